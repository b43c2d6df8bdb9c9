"""What every benchmark measures the same way: a command's peak memory and the machine's speed.

Imported by the benchmark scripts (run as ``python bench/NAME.py``, so this folder is on
the path).
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def finish_sampling(process: subprocess.Popen[bytes]) -> tuple[bytes, bytes, int]:
    """Wait for `process` (its stdout, stderr) while sampling its tree's memory every 20 ms.

    Returns the output, the error output and the peak resident memory in KiB.
    """
    peak = 0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, tree_rss_kib(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    output, errors = process.communicate()
    sampler.join()
    return output or b"", errors or b"", peak


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop: how fast this (shared) machine is right now.

    Figures from runs on a VM whose neighbours vary are comparable only beside this.
    """
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return round(time.perf_counter() - started, 3)
