"""Benchmark: pre-annotation at scale, as a user runs it, against a plain client and instructor.

For each corpus size N (``--sizes``; 2,000 by default, 10,000 and 100,000 on request)
three contestants pre-annotate the same N documents (seed articles with a numbered
dateline, as in ``bench/preannotate.py``), each in its own process and each against its
own fresh fake server with the same settings (C requests in flight, L seconds per
answer, the rule-based responder; a fresh server so that none is spared the
responder's work by another's cache):

* ``annotate preannotate`` (the CLI, as a user runs it) on a store where the N
  documents were ingested from JSON Lines with ``annotate ingest``;
* a plain client: the openai SDK's async client with a semaphore, reading the same
  JSON Lines (``bench/preannotate.py``'s baseline): no store, no grounding, no cache;
* instructor (the library a maintainer would script this with instead): its async
  client, the same ``Extraction`` as ``response_model`` (JSON-schema mode), no store,
  no grounding.

Reported per contestant: documents/s over the whole process (start-up included) and over
the job alone (``job_docs_per_s``: the rate the CLI's summary or the script reports), its
share of the ideal C/L, annotate's ratio to the plain client and to instructor, the
client's CPU seconds per 1,000 documents (user + system of its process tree; the server
runs in another process and is not counted) and its peak memory (process tree, sampled
every 20 ms); across sizes, annotate's peak memory at the largest size against 10,000.

instructor pins ``jiter<0.15`` while openai 3.x needs ``jiter>=0.16``, so it is not a dev
dependency; install it beside the project without its pins
(``pip install --no-deps --target DIR instructor docstring-parser``, then
``PYTHONPATH=DIR``); without it the instructor column is skipped and says so.

    .venv/bin/python bench/scale.py                          # 2,000 documents
    .venv/bin/python bench/scale.py --sizes 10000,100000     # memory 100k vs 10k
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from measure import machine_speed, run_measured

from annotate.testing.llm_server import DEFAULT_RESPONDER, load_responder, running_llm_server

#: What the fake server answers with. ``seeds``: the rules' answer for the seed under each
#: dispatch's dateline, worked out once per seed (the quotes hold in the whole article), so
#: the server's CPU per request is small: a real endpoint's CPU is not on the client's
#: machine, and on 2 shared cores the rules run per request made the server the bottleneck
#: of every contestant alike. ``rules``: the rules on every distinct article (the default
#: responder of the tests).
RESPONDERS = {"seeds": "scale:seed_answer", "rules": DEFAULT_RESPONDER}
#: The installed command, beside this interpreter.
ANNOTATE = [str(Path(sys.executable).parent / "annotate")]
KEY = "sk-bench-not-a-real-key"
MODEL = "bench-model"


@functools.lru_cache(maxsize=64)
def _seed_body_answer(body: str) -> Any:
    return load_responder(DEFAULT_RESPONDER)(body)


def seed_answer(article: str) -> Any:
    """The fake server's ``seeds`` responder: the seed's answer, once per seed (see RESPONDERS)."""
    _dateline, _, body = article.partition("\n\n")
    return _seed_body_answer(body)


def store_of(size: int, work: Path) -> tuple[Path, Path, dict[str, float]]:
    """The corpus of `size` documents as JSON Lines and a store it was ingested into (made
    once with ``annotate ingest``, then reused: each run pre-annotates a copy)."""
    from preannotate import make_corpus  # bench/preannotate.py: the same documents

    corpus = work / f"corpus-{size}.jsonl"
    template = work / f"scale-{size}.db"
    done = work / f"scale-{size}.done"
    if not done.exists():
        template.unlink(missing_ok=True)
        make_corpus(work, size)
        run = run_measured([*ANNOTATE, "ingest", str(corpus), "--db", str(template)])
        done.write_text(json.dumps(run))
    return corpus, template, json.loads(done.read_text())


def contestant(name: str, corpus: Path, template: Path, work: Path, args: argparse.Namespace):
    """Run one contestant against its own fresh fake server; its measures."""
    command: list[str]
    env = dict(os.environ, OPENAI_API_KEY=KEY)
    if name == "annotate":
        db = work / "run.db"
        for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            stale.unlink(missing_ok=True)
        shutil.copy(template, db)
        command = [*ANNOTATE, "preannotate", "--provider", "openai", "--model", MODEL]
        command += ["--concurrency", str(args.concurrency), "--db", str(db)]
    else:
        command = [sys.executable, __file__, "--child", name, "--corpus", str(corpus)]
        command += ["--concurrency", str(args.concurrency)]
    with running_llm_server(latency=args.latency, responder=RESPONDERS[args.responder]) as server:
        env["OPENAI_BASE_URL"] = server.base_url
        run = run_measured(command, env=env, out=work / f"{name}.out")
        requests = server.stats().get("requests")
    output = (work / f"{name}.out").read_text(encoding="utf-8")
    if name == "annotate":
        _check_predicted(work / "run.db")
        # the job's own rate, from its summary: "time │ 3.6 s (83.4 docs/s)"
        run["job_docs_per_s"] = float(re.findall(r"\(([0-9.]+) docs/s\)", output)[-1])
    else:
        run["job_docs_per_s"] = round(float(output.split()[-1]), 1)
    run["requests"] = requests
    return run


def _check_predicted(db: Path) -> None:
    import sqlite3

    with sqlite3.connect(db) as connection:
        documents = connection.execute("select count(*) from documents").fetchone()[0]
        predicted = connection.execute(
            "select count(distinct document_id) from predictions"
        ).fetchone()[0]
    if predicted != documents:
        raise SystemExit(f"annotate predicted {predicted} of {documents} documents")


def run_size(size: int, args: argparse.Namespace, contestants: list[str]) -> dict:
    work = args.work
    corpus, template, ingest = store_of(size, work)
    ideal = args.concurrency / args.latency
    runs: dict[str, dict] = {}
    for name in contestants:
        run = contestant(name, corpus, template, work, args)
        run["docs_per_s"] = round(size / run["seconds"], 1)
        run["share_of_ideal"] = round(run["docs_per_s"] / ideal, 3)
        run["cpu_s_per_1000_docs"] = round(run["cpu_seconds"] / size * 1000, 2)
        runs[name] = run
        print(size, name, json.dumps(run), flush=True)
    ours = runs["annotate"]
    ratios = {
        f"annotate_vs_{other}{suffix}": round(ours[measure] / runs[other][measure], 3)
        for other in runs
        if other != "annotate"
        for measure, suffix in (("docs_per_s", ""), ("job_docs_per_s", "_job_only"))
    }
    return {"ingest": ingest, "runs": runs, **ratios}


# --- the contestants that are not annotate (run as `--child NAME` in their own process) ---


def _texts(corpus: Path) -> list[str]:
    with corpus.open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def plain_child(corpus: Path, concurrency: int) -> None:
    from preannotate import plain_client  # bench/preannotate.py's baseline, as is

    texts = _texts(corpus)
    print(asyncio.run(plain_client(os.environ["OPENAI_BASE_URL"], texts, concurrency)))


def instructor_child(corpus: Path, concurrency: int) -> None:
    import instructor
    from openai import AsyncOpenAI

    from annotate.preannotate.providers.openai_chat import USER_PREFIX
    from annotate.prompts import load_prompt
    from annotate.schemas import Extraction

    texts = _texts(corpus)
    system = load_prompt()

    async def run() -> float:
        client = instructor.from_openai(
            AsyncOpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key=KEY, max_retries=0),
            mode=instructor.Mode.JSON_SCHEMA,
        )
        gate = asyncio.Semaphore(concurrency)

        async def one(text: str) -> None:
            async with gate:
                await client.chat.completions.create(
                    model=MODEL,
                    response_model=Extraction,
                    messages=[
                        {"role": "system", "content": system},
                        {"role": "user", "content": USER_PREFIX + text},
                    ],
                    temperature=0.0,
                    max_retries=0,
                )

        started = time.perf_counter()
        await asyncio.gather(*(one(text) for text in texts))
        return len(texts) / (time.perf_counter() - started)

    print(asyncio.run(run()))


def _instructor_importable() -> bool:
    probe = [sys.executable, "-c", "import instructor"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000", help="comma-separated: 2000,10000,100000")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--only", default="annotate,plain,instructor")
    parser.add_argument(
        "--responder",
        choices=sorted(RESPONDERS),
        default="seeds",
        help="the fake server's answers (see RESPONDERS)",
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/annotate-bench-scale"))
    parser.add_argument("--child", choices=["plain", "instructor"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "plain":
        return plain_child(args.corpus, args.concurrency)
    if args.child == "instructor":
        return instructor_child(args.corpus, args.concurrency)
    args.work.mkdir(parents=True, exist_ok=True)
    # The fake servers import the ``seeds`` responder from this folder.
    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    contestants = args.only.split(",")
    notes = []
    if "instructor" in contestants and not _instructor_importable():
        contestants.remove("instructor")
        notes.append("instructor is not importable here: skipped (see this file's docstring)")
    speed_before = machine_speed()
    results = {size: run_size(size, args, contestants) for size in map(int, args.sizes.split(","))}
    report: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "concurrency": args.concurrency,
        "latency_s": args.latency,
        "responder": args.responder,
        "ideal_docs_per_s": round(args.concurrency / args.latency, 1),
        "reference_loop_seconds_before_and_after": [speed_before, machine_speed()],
        "notes": notes,
        "by_size": results,
    }
    if 10_000 in results and max(results) > 10_000:
        peak = results[max(results)]["runs"]["annotate"]["peak_mib"]
        report[f"annotate_peak_memory_{max(results)}_vs_10000"] = round(
            peak / results[10_000]["runs"]["annotate"]["peak_mib"], 3
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
