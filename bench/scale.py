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
  JSON Lines: no store, no grounding, no cache; it imports the SDK and nothing of
  annotate (the prompt and response format come in a file the benchmark writes), and
  neither contestant script imports the fake server's code, so that each start-up is
  what a user's script would pay;
* instructor (the library a maintainer would script this with instead): its async
  client, the same ``Extraction`` as ``response_model`` (JSON-schema mode), no store,
  no grounding.

Two settings (``--settings``; both by default):

* ``remote``: the endpoint's CPU is elsewhere. The server answers from a precomputed
  table (the ``seeds`` responder) after L seconds (``--latency``, 0.2), so its CPU per
  request is small and every contestant runs at the ideal C/L unless its own CPU holds it
  back;
* ``same-machine``: the model runs on the client's cores (llama.cpp, Ollama, a vLLM box
  shared with the job). The server computes each answer: before the table's answer it
  burns CPU in proportion to the article (SHA-256 over ``--server-kib-per-char`` KiB per
  character of article, a deterministic amount of work; about 6 ms for a seed article
  on this machine), in a pool of one thread per core (hashing releases the GIL, so the
  "model" uses every core, as llama.cpp's threads do), and adds no latency of its own:
  the answer takes what its work takes. Every CPU second the client spends is then one
  the model does not get, so throughput follows the client's CPU per document.

Reported per contestant: documents/s over the whole process (start-up included) and over
the job alone (``job_docs_per_s``: the rate the CLI's summary or the script reports), its
share of the ideal C/L, the client's CPU seconds per 1,000 documents (user + system of
its process tree, start-up included, from ``getrusage`` of the waited-for child; the
server runs in another process and is not counted), its start-up CPU (the same command
run with no document to do: annotate on the store it has just finished, the scripts on
an empty corpus) and its CPU per 1,000 documents after start-up (the work per
document, which start-up hides at small sizes), the server's CPU per 1,000 answers
and the client's peak memory (process tree, sampled every 20 ms); annotate's ratios to
the plain client and to instructor, in throughput and in client CPU; across sizes,
annotate's peak memory at the largest size against 10,000.

Each setting runs ``--repeat`` rounds (3 by default), each round every contestant once
in turn, so that a neighbour's load falls on all of them alike; the summary gives the
median of each figure and of each round's ratios. On a shared machine wall-clock rates
vary from run to run; CPU seconds vary much less and are the figure to trust there.

instructor pins ``jiter<0.15`` while openai 3.x needs ``jiter>=0.16``, so it is not a dev
dependency; install it beside the project without its pins
(``pip install --no-deps --target DIR instructor docstring-parser``, then
``PYTHONPATH=DIR``); without it the instructor column is skipped and says so.

    .venv/bin/python bench/scale.py                          # both settings, 2,000 docs, ~5 min
    .venv/bin/python bench/scale.py --settings same-machine --repeat 5
    .venv/bin/python bench/scale.py --sizes 10000,100000 --settings remote --repeat 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from measure import machine_speed, run_measured

if TYPE_CHECKING:
    from annotate.testing.llm_server import RunningServer

#: What the fake server answers with. ``seeds``: the rules' answer for the seed under each
#: dispatch's dateline, worked out once per seed (the quotes hold in the whole article), so
#: the table costs the server next to nothing per request. ``rules``: the rules on every
#: distinct article (the default responder of the tests).
RESPONDERS = {"seeds": "scale:seed_answer", "rules": "default"}
#: The two settings (see the module docstring): the server's latency and CPU per answer.
SETTINGS = ("remote", "same-machine")
CONTESTANTS = ("annotate", "plain", "instructor")
#: The installed command, beside this interpreter.
ANNOTATE = [str(Path(sys.executable).parent / "annotate")]
#: The contestants that run `annotate preannotate` (this install's, and `--baseline`'s).
ANNOTATES = ("annotate", "baseline")
KEY = "sk-bench-not-a-real-key"
MODEL = "bench-model"
#: The block the same-machine server hashes, over and over, to compute an answer.
BURN_BLOCK = bytes(1 << 20)


@functools.lru_cache(maxsize=64)
def _seed_body_answer(body: str) -> Any:
    from annotate.testing.llm_server import DEFAULT_RESPONDER, load_responder

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


# --- the server: the fake endpoint, computing each answer on this machine or not ---------


def burn(size: int) -> None:
    """Hash `size` bytes (a fixed amount of CPU work, whatever the machine's load)."""
    digest = hashlib.sha256()
    for _ in range(size // len(BURN_BLOCK)):
        digest.update(BURN_BLOCK)
    digest.update(BURN_BLOCK[: size % len(BURN_BLOCK)])


def serve_child(args: argparse.Namespace) -> None:
    """``--serve``: run the server in this process until terminated.

    The server's imports stay here: the contestants' processes run this file too, and
    what they import is their start-up, so the module's top imports almost nothing.
    """
    from annotate.testing.llm_server import DEFAULT_RESPONDER, FakeLLM, find_article, serve

    class ComputingLLM(FakeLLM):
        """The fake endpoint, burning `kib_per_char` KiB of SHA-256 per article character first.

        The work runs in a pool of one thread per core (SHA-256 releases the GIL), so
        answers are computed on every core at once, as a local model's threads do; the
        event loop stays free to take requests and send answers.
        """

        def __init__(self, responder: str, latency: float, kib_per_char: float) -> None:
            super().__init__(responder, latency)
            self.bytes_per_char = int(kib_per_char * 1024)
            self.pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)

        async def respond(self, body: dict[str, Any], request: Any = None) -> Any:
            article = find_article(body.get("messages") or [])
            if self.bytes_per_char and article and request is not None:
                work = len(article) * self.bytes_per_char
                await asyncio.get_running_loop().run_in_executor(self.pool, burn, work)
            return await super().respond(body, request)

    responder = RESPONDERS[args.responder]
    responder = DEFAULT_RESPONDER if responder == "default" else responder
    asyncio.run(serve(ComputingLLM(responder, args.latency, args.server_kib_per_char), 0))


@contextlib.contextmanager
def serving(setting: str, args: argparse.Namespace) -> Iterator[tuple[RunningServer, int]]:
    """A fresh server for `setting` in its own process: its handle and its pid."""
    from annotate.testing.llm_server import RunningServer, _wait_listening

    same_machine = setting == "same-machine"
    command = [sys.executable, __file__, "--serve", "--responder", args.responder]
    command += ["--latency", str(args.same_machine_latency if same_machine else args.latency)]
    command += ["--server-kib-per-char", str(args.server_kib_per_char if same_machine else 0)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        yield RunningServer(_wait_listening(process, 30.0)), process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the corpus and the contestants ------------------------------------------------------


def contestant(
    name: str, setting: str, corpus: Path, template: Path, args: argparse.Namespace
) -> dict[str, Any]:
    """Run one contestant against its own fresh server in `setting`; its measures."""
    work: Path = args.work
    command: list[str]
    env = dict(os.environ, OPENAI_API_KEY=KEY)
    if name in ANNOTATES:
        db = work / "run.db"
        for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            stale.unlink(missing_ok=True)
        shutil.copy(template, db)
        executable = [str(args.baseline)] if name == "baseline" else ANNOTATE
        command = [*executable, "preannotate", "--provider", "openai", "--model", MODEL]
        command += ["--concurrency", str(args.concurrency), "--db", str(db)]
        idle = command  # run again once every document is predicted: nothing to send
    else:
        child = [sys.executable, __file__, "--child", name, "--concurrency", str(args.concurrency)]
        child += ["--request", str(request_spec(work))]
        command = [*child, "--corpus", str(corpus)]
        empty = work / "empty.jsonl"
        empty.write_text("")
        idle = [*child, "--corpus", str(empty)]
    with serving(setting, args) as (server, pid):
        env["OPENAI_BASE_URL"] = server.base_url
        server_before = process_cpu_seconds(pid)
        run: dict[str, Any] = run_measured(command, env=env, out=work / f"{name}.out")
        run["server_cpu_seconds"] = round(process_cpu_seconds(pid) - server_before, 2)
        run["requests"] = server.stats().get("requests")
        # The same command with no document to do: its start-up and ending, paid once per run.
        run["startup_cpu_seconds"] = run_measured(idle, env=env)["cpu_seconds"]
    output = (work / f"{name}.out").read_text(encoding="utf-8")
    if name in ANNOTATES:
        _check_predicted(work / "run.db")
        # the job's own rate, from its summary: "time │ 3.6 s (83.4 docs/s)"
        run["job_docs_per_s"] = float(re.findall(r"\(([0-9.]+) docs/s\)", output)[-1])
    else:
        run["job_docs_per_s"] = round(float(output.split()[-1]), 1)
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


def run_setting(
    size: int, setting: str, args: argparse.Namespace, contestants: list[str]
) -> dict[str, Any]:
    """`--repeat` rounds of every contestant in `setting`; each run and the medians."""
    corpus, template, _ingest = store_of(size, args.work)
    rounds: list[dict[str, dict[str, Any]]] = []
    for number in range(1, args.repeat + 1):
        runs: dict[str, dict[str, Any]] = {}
        for name in contestants:
            run = contestant(name, setting, corpus, template, args)
            run["docs_per_s"] = round(size / run["seconds"], 1)
            run["cpu_s_per_1000_docs"] = round(run["cpu_seconds"] / size * 1000, 2)
            run["cpu_s_per_1000_docs_after_startup"] = round(
                (run["cpu_seconds"] - run["startup_cpu_seconds"]) / size * 1000, 2
            )
            run["server_cpu_s_per_1000_answers"] = round(
                run["server_cpu_seconds"] / max(run["requests"] or 1, 1) * 1000, 2
            )
            runs[name] = run
            print(size, setting, f"round {number}", name, json.dumps(run), flush=True)
        rounds.append(runs)
    return {"medians": medians(rounds, contestants), "rounds": rounds}


#: Per contestant: the figures whose medians the summary gives.
FIGURES = (
    "docs_per_s",
    "job_docs_per_s",
    "cpu_s_per_1000_docs",
    "startup_cpu_seconds",
    "cpu_s_per_1000_docs_after_startup",
    "server_cpu_s_per_1000_answers",
    "peak_mib",
)


def medians(rounds: list[dict[str, dict[str, Any]]], contestants: list[str]) -> dict[str, Any]:
    """Each contestant's median figures, and the median of each round's ratios of annotate's."""
    result: dict[str, Any] = {
        name: {
            figure: round(statistics.median(runs[name][figure] for runs in rounds), 2)
            for figure in FIGURES
        }
        for name in contestants
    }
    for other in contestants:
        if other == "annotate" or "annotate" not in contestants:
            continue
        for figure, label in (
            ("docs_per_s", "throughput"),
            ("job_docs_per_s", "throughput_job_only"),
            ("cpu_s_per_1000_docs", "client_cpu"),
            ("cpu_s_per_1000_docs_after_startup", "client_cpu_after_startup"),
        ):
            ratios = [runs["annotate"][figure] / runs[other][figure] for runs in rounds]
            result[f"annotate_vs_{other}_{label}"] = round(statistics.median(ratios), 3)
    return result


# --- the contestants that are not annotate (run as `--child NAME` in their own process) ---


def _texts(corpus: Path) -> list[str]:
    with corpus.open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def request_spec(work: Path) -> Path:
    """The system prompt, the user message's prefix and the response format annotate sends,
    written once by the benchmark for the scripts: they then import the SDK and nothing of
    annotate, as a script of a user's would."""
    from annotate.preannotate.providers.openai_chat import USER_PREFIX
    from annotate.prompts import load_prompt
    from annotate.schemas import strict_json_schema

    path = work / "request.json"
    schema = {"name": "extraction", "schema": strict_json_schema(), "strict": True}
    spec = {
        "system": load_prompt(),
        "prefix": USER_PREFIX,
        "response_format": {"type": "json_schema", "json_schema": schema},
    }
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def plain_child(corpus: Path, concurrency: int, spec_path: Path) -> None:
    """The bare SDK: its async client with a semaphore, the answer read with json.loads."""
    from openai import AsyncOpenAI

    texts = _texts(corpus)
    spec = json.loads(spec_path.read_text(encoding="utf-8"))

    async def run() -> float:
        client = AsyncOpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key=KEY, max_retries=0)
        gate = asyncio.Semaphore(concurrency)

        async def one(text: str) -> None:
            async with gate:
                response = await client.chat.completions.create(
                    model=MODEL,
                    messages=[
                        {"role": "system", "content": spec["system"]},
                        {"role": "user", "content": spec["prefix"] + text},
                    ],
                    response_format=spec["response_format"],
                    temperature=0.0,
                )
                json.loads(response.choices[0].message.content or "{}")

        started = time.perf_counter()
        await asyncio.gather(*(one(text) for text in texts))
        elapsed = time.perf_counter() - started
        await client.close()
        return len(texts) / elapsed

    print(asyncio.run(run()))


def instructor_child(corpus: Path, concurrency: int, spec_path: Path) -> None:
    """instructor's async client; `Extraction` (annotate's schema) is its response model."""
    import instructor
    from openai import AsyncOpenAI

    from annotate.schemas import Extraction

    texts = _texts(corpus)
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    system, prefix = spec["system"], spec["prefix"]

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
                        {"role": "user", "content": prefix + text},
                    ],
                    temperature=0.0,
                    max_retries=0,
                )

        started = time.perf_counter()
        await asyncio.gather(*(one(text) for text in texts))
        return len(texts) / (time.perf_counter() - started)

    print(asyncio.run(run()))


# --- the report ----------------------------------------------------------------------------

#: The targets of issue 22, in the same-machine setting: (ratio, at least, at most).
TARGETS = (
    ("annotate_vs_plain_throughput", 0.95, None),
    ("annotate_vs_instructor_throughput", 1.05, None),
    ("annotate_vs_plain_client_cpu", None, 1.2),
)


def summary(report: dict[str, Any]) -> str:
    """The medians as a table per size and setting, and the targets met or not."""
    lines = [
        f"median of {report['repeat']} round(s); C={report['concurrency']}; reference loop "
        f"{report['reference_loop_seconds_before_and_after']} s (before, after)"
    ]
    for size, settings in report["by_size"].items():
        for setting, result in settings.items():
            found = result["medians"]
            lines.append(f"\n{size} documents, {setting}:")
            lines.append(
                f"  {'contestant':<11} {'docs/s':>7} {'job docs/s':>10} {'client CPU s/1k':>15} "
                f"{'start-up CPU s':>14} {'after start-up':>14} {'server CPU s/1k':>15} "
                f"{'peak MiB':>8}"
            )
            for name in ("baseline", *CONTESTANTS):
                if name in found:
                    row = found[name]
                    lines.append(
                        f"  {name:<11} {row['docs_per_s']:>7} {row['job_docs_per_s']:>10} "
                        f"{row['cpu_s_per_1000_docs']:>15} {row['startup_cpu_seconds']:>14} "
                        f"{row['cpu_s_per_1000_docs_after_startup']:>14} "
                        f"{row['server_cpu_s_per_1000_answers']:>15} {row['peak_mib']:>8}"
                    )
            for key, value in found.items():
                if key.startswith("annotate_vs_"):
                    lines.append(f"  {key}: {value}")
            if setting == "same-machine":
                for key, low, high in TARGETS:
                    if key in found:
                        met = (low is None or found[key] >= low) and (
                            high is None or found[key] <= high
                        )
                        bound = f">= {low}" if low is not None else f"<= {high}"
                        verdict = "met" if met else "NOT met"
                        lines.append(f"  target {key} {bound}: {found[key]} ({verdict})")
    return "\n".join(lines)


def _instructor_importable() -> bool:
    probe = [sys.executable, "-c", "import instructor"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2000", help="comma-separated: 2000,10000,100000")
    parser.add_argument("--settings", default=",".join(SETTINGS), help="remote,same-machine")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per setting (medians)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2, help="remote: s per answer")
    parser.add_argument(
        "--same-machine-latency", type=float, default=0.0, help="same-machine: s added"
    )
    parser.add_argument(
        "--server-kib-per-char",
        type=float,
        default=4.0,
        help="same-machine: KiB hashed per article character to compute an answer",
    )
    parser.add_argument("--only", default=",".join(CONTESTANTS))
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another install's `annotate` (e.g. ../base/.venv/bin/annotate): run first in "
        "every round, as contestant `baseline`, to measure a change against the code before it",
    )
    parser.add_argument(
        "--responder",
        choices=sorted(RESPONDERS),
        default="seeds",
        help="the fake server's answers (see RESPONDERS)",
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/annotate-bench-scale"))
    parser.add_argument("--child", choices=["plain", "instructor"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--request", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve_child(args)
    if args.child == "plain":
        return plain_child(args.corpus, args.concurrency, args.request)
    if args.child == "instructor":
        return instructor_child(args.corpus, args.concurrency, args.request)
    args.work.mkdir(parents=True, exist_ok=True)
    # The servers import the ``seeds`` responder from this folder.
    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    contestants = args.only.split(",")
    if args.baseline:
        contestants.insert(0, "baseline")
    notes = []
    if "instructor" in contestants and not _instructor_importable():
        contestants.remove("instructor")
        notes.append("instructor is not importable here: skipped (see this file's docstring)")
    settings = args.settings.split(",")
    speed_before = machine_speed()
    results = {
        size: {setting: run_setting(size, setting, args, contestants) for setting in settings}
        for size in map(int, args.sizes.split(","))
    }
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "concurrency": args.concurrency,
        "repeat": args.repeat,
        "remote_latency_s": args.latency,
        "same_machine_latency_s": args.same_machine_latency,
        "same_machine_server_kib_per_char": args.server_kib_per_char,
        "responder": args.responder,
        "remote_ideal_docs_per_s": round(args.concurrency / args.latency, 1),
        "reference_loop_seconds_before_and_after": [speed_before, machine_speed()],
        "notes": notes,
        "ingest": {size: store_of(size, args.work)[2] for size in results},
        "by_size": results,
    }
    remote = {size: by["remote"] for size, by in results.items() if "remote" in by}
    if 10_000 in remote and max(remote) > 10_000 and "annotate" in contestants:
        peak = remote[max(remote)]["medians"]["annotate"]["peak_mib"]
        report[f"annotate_peak_memory_{max(remote)}_vs_10000"] = round(
            peak / remote[10_000]["medians"]["annotate"]["peak_mib"], 3
        )
    (args.work / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(summary(report))


if __name__ == "__main__":
    main()
