"""Benchmark: the gold commands a user runs, over stores of 1k, 10k and 100k documents.

Each store holds N documents x 3 annotators, filled the way `annotate pull`
fills it (`annotate.testing.gold_corpus`: the seeds' rule-based annotations,
perturbed per annotator, with their Label Studio results). For each size, in
this order, the commands are run as a user runs them, each in its own process:

* ``annotate agreement --json`` on a store with no gold kept yet (cold);
* ``annotate export`` right after it (it reads the gold the agreement kept);
* ``annotate agreement --json`` again (nothing changed: every gold is read back);
* ``annotate export`` on a copy of the store with no gold kept (cold).

Reported: wall time, peak memory of the command's whole process tree (the
command and its worker processes, sampled every 20 ms), time per document,
and how the per-document cost and the peak memory grow from the smallest to
the largest store (1.0 is linear time, flat memory). Stores are kept in
``--work`` and reused across runs (filling 100k documents takes minutes and
about 13 GB).

    .venv/bin/python bench/agreement.py                      # 1,000 / 10,000 / 100,000
    .venv/bin/python bench/agreement.py --sizes 1000,10000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from pathlib import Path

from measure import machine_speed, run_measured

from annotate.store import Store
from annotate.studio.annotations import refresh_regions
from annotate.testing.gold_corpus import fill

ROOT = Path(__file__).resolve().parent.parent
#: The installed command, beside this interpreter.
ANNOTATE = [str(Path(sys.executable).parent / "annotate")]


def store_of(size: int, work: Path) -> Path:
    """A store of `size` documents x 3 annotators (made once, then reused).

    A store made by an older release is brought up to what pull stores now
    (its migrations, and the codec regions pull keeps beside each annotation),
    before anything is timed.
    """
    path = work / f"gold-{size}.db"
    done = work / f"gold-{size}.done"
    if not done.exists():
        path.unlink(missing_ok=True)
        started = time.perf_counter()
        with Store(path) as store:
            fill(store, size)
        done.write_text(f"{time.perf_counter() - started:.1f}\n")
    with Store(path) as store:
        refresh_regions(store)
    return path


def forget_gold(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("delete from gold")


def timed(args: list[str], out: Path | None = None) -> dict[str, float]:
    """Run one command; its wall time, the peak memory of its process tree, and the CPU time
    of that tree (the command and its workers, user and system).

    On a shared VM the wall time varies with the neighbours' load far more than the CPU
    time does, so both are reported.
    """
    return run_measured([*ANNOTATE, *args], out=out)


def run_size(size: int, work: Path) -> dict[str, dict[str, float]]:
    path = store_of(size, work)
    forget_gold(path)
    runs = {
        "agreement (cold)": timed(["agreement", "--json", "--db", str(path)], work / "a.json"),
        "export (after agreement)": timed(["export", "--db", str(path), "--out", str(work / "x")]),
        "agreement (again)": timed(["agreement", "--json", "--db", str(path)], work / "b.json"),
    }
    if (work / "a.json").read_bytes() != (work / "b.json").read_bytes():
        raise SystemExit("the second agreement report differs from the first")
    cold = work / f"cold-{size}.db"
    shutil.copy(path, cold)
    forget_gold(cold)
    runs["export (cold)"] = timed(["export", "--db", str(cold), "--out", str(work / "y")])
    for leftover in (cold, cold.with_name(cold.name + "-wal"), cold.with_name(cold.name + "-shm")):
        leftover.unlink(missing_ok=True)
    if (work / "x" / "manifest.json").read_text() != (work / "y" / "manifest.json").read_text():
        raise SystemExit("the export after agreement differs from the cold export")
    for run in runs.values():
        run["ms_per_document"] = round(run["seconds"] / size * 1000, 3)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/annotate-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = {}
    speed_before = machine_speed()
    for size in (int(s) for s in args.sizes.split(",")):
        results[size] = run_size(size, args.work)
        print(size, json.dumps(results[size]), flush=True)
    small, large = min(results), max(results)
    middle = sorted(results)[len(results) // 2]
    report = {
        "annotators": 3,
        "reference_loop_seconds_before_and_after": [speed_before, machine_speed()],
        "by_size": results,
        "agreement_plus_export_seconds": _both(results, "seconds"),
        "agreement_plus_export_cpu_seconds": _both(results, "cpu_seconds"),
        "per_document_cost_largest_vs_smallest": {
            name: round(results[large][name]["ms_per_document"] / run["ms_per_document"], 3)
            for name, run in results[small].items()
        },
        "peak_memory_largest_vs_middle": {
            name: round(results[large][name]["peak_mib"] / run["peak_mib"], 3)
            for name, run in results[middle].items()
        },
    }
    print(json.dumps(report, indent=2))


def _both(results: dict[int, dict[str, dict[str, float]]], measure: str) -> dict[int, float]:
    """Per size: agreement (cold) plus export (after agreement), as a user runs them."""
    names = ("agreement (cold)", "export (after agreement)")
    return {size: round(sum(r[name][measure] for name in names), 1) for size, r in results.items()}


if __name__ == "__main__":
    main()
