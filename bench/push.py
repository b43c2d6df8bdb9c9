"""Benchmark: pushing pre-annotated tasks into a real Label Studio.

Compares `annotate.studio.push.push` (chunks of 500, every task id and
prediction recorded in the store as it goes) with the simplest thing a user
could do instead: one raw SDK ``import_tasks`` call with every task and its
prediction in a single request. Both run against the same fresh Label Studio
in the same run, each in its own process so that peak memory is its own.

    .venv/bin/python bench/push.py               # 10,000 tasks
    .venv/bin/python bench/push.py --tasks 1000
    .venv/bin/python bench/push.py --corpus feed --tasks 10000 --no-raw

Reported: tasks/s of each, the ratio push/raw, and each process's peak RSS (its
own high-water mark, `measure.own_peak_kib`). ``--corpus feed`` pushes the
one-sentence records of a JSON Lines feed (those of `tests/test_odd_input.py`'s
100,000-line file) instead of seed-sized articles; ``--no-raw`` skips the raw
import.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers.rules import RulesProvider
from annotate.store import Store
from annotate.studio import server
from annotate.studio.connection import Credentials, connect
from annotate.studio.labelconfig import labeling_config
from annotate.studio.push import push
from annotate.studio.tasks import iter_tasks

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import own_peak_kib  # noqa: E402
from preannotate import make_corpus  # noqa: E402


def make_feed(folder: Path, count: int) -> Path:
    """`count` one-sentence records, as in a large feed of short items."""
    path = folder / f"feed-{count}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            record = {"text": f"Minister {i} said the talks number {i} would continue.",
                      "outlet": f"outlet {i % 7}"}  # fmt: skip
            handle.write(json.dumps(record) + "\n")
    return path


def prepare(folder: Path, tasks: int, corpus: str) -> Path:
    db = folder / "push.db"
    make = make_feed if corpus == "feed" else make_corpus
    with Store(db) as store:
        ingest_paths(store, [make(folder, tasks)])
        asyncio.run(preannotate(store, RulesProvider(), concurrency=1))
    return db


def child(mode: str, db: Path, url: str, token: str) -> None:
    """One measured push in this process; prints seconds and peak RSS (KiB) as JSON."""
    client = connect(Credentials(url, token, "bench"))
    with Store(db) as store:
        started = time.perf_counter()
        if mode == "raw":
            project = client.projects.create(title="raw", label_config=labeling_config())
            tasks = list(iter_tasks(store))  # a raw import holds every task at once
            client.projects.import_tasks(
                id=project.id,
                request=tasks,  # type: ignore[arg-type]
                request_options={"timeout_in_seconds": 3600},
            )
        else:
            push(store, client, url, "annotate")
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_kib": own_peak_kib()}))


def measure(mode: str, db: Path, config: server.StudioConfig) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--db", str(db), "--url", config.url],
        input=config.token,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        return {"seconds": float("nan"), "peak_kib": float("nan"), "error": last}  # type: ignore[dict-item]
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--corpus", choices=("seeds", "feed"), default="seeds")
    parser.add_argument("--no-raw", action="store_true", help="push only")
    parser.add_argument("--child", choices=("raw", "push"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.url, sys.stdin.read().strip())
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = prepare(folder, args.tasks, args.corpus)
        paths = server.StudioPaths(home=folder / "studio", venv=server.StudioPaths.default().venv)
        config = server.start(paths, port=server.free_port())
        try:
            skipped = {"seconds": float("nan"), "peak_kib": float("nan")}
            raw = skipped if args.no_raw else measure("raw", db, config)
            ours = measure("push", db, config)
        finally:
            server.stop(paths)
    report: dict[str, object] = {
        "tasks": args.tasks,
        "corpus": args.corpus,
        "raw_error": raw.get("error"),
        "raw_import_tasks_per_s": round(args.tasks / raw["seconds"], 1),
        "push_tasks_per_s": round(args.tasks / ours["seconds"], 1),
        "push_vs_raw": round(raw["seconds"] / ours["seconds"], 3),
        "raw_peak_rss_mib": round(raw["peak_kib"] / 1024, 1),
        "push_peak_rss_mib": round(ours["peak_kib"] / 1024, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
