"""What every benchmark measures the same way: a command's peak memory and the machine's speed.

Imported by the benchmark scripts (run as ``python bench/NAME.py``, so this folder is on
the path).
"""

from __future__ import annotations

import resource
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


def own_peak_kib() -> int:
    """This process's peak resident memory since it started its program, in KiB (VmHWM).

    Not ``getrusage``'s ru_maxrss: Linux gives a child its parent's at fork and keeps the
    larger across exec, so a measured child started by a benchmark that had prepared a
    large corpus in memory reports the benchmark's peak, not its own.
    """
    status = Path("/proc/self/status").read_text()
    return int(next(x for x in status.splitlines() if x.startswith("VmHWM")).split()[1])


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop: how fast this (shared) machine is right now.

    Figures from runs on a VM whose neighbours vary are comparable only beside this.
    """
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return round(time.perf_counter() - started, 3)


def children_cpu_seconds() -> float:
    """User and system time of this process's finished children and theirs (the workers a
    command waited for count in the command's)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(
    command: list[str], *, env: dict[str, str] | None = None, out: Path | None = None
) -> dict[str, float]:
    """Run one command to its end: its wall time, the CPU time of its process tree (user and
    system, the command and the children it waited for) and that tree's peak memory.

    Only children started and waited for in between count, so a server this process runs
    beside the command (and stops afterwards) is not counted as the command's.
    """
    started = time.perf_counter()
    before = children_cpu_seconds()
    stdout = out.open("w") if out else subprocess.DEVNULL
    try:
        process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, env=env)
        _, errors, peak = finish_sampling(process)
    finally:
        if out:
            stdout.close()  # type: ignore[union-attr]
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {errors.decode()[-2000:]}")
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(children_cpu_seconds() - before, 2),
        "peak_mib": round(peak / 1024, 1),
    }
