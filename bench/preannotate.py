"""Benchmark: pre-annotation throughput and memory against the fake LLM server.

Throughput is reported as ratios measured in the same run, never as absolute
timings: against the ideal C/L (C requests in flight, each taking L seconds)
and against a plain client (the openai SDK with a semaphore, no store, no
grounding, no cache) sending the same requests to the same server. On 2 cores
the server and the client share the CPU, so the plain client is the practical
ceiling. Memory is the peak RSS of a whole job (ingest + pre-annotate) run in
a fresh process for two corpus sizes; flat memory means the ratio stays ~1.

    .venv/bin/python bench/preannotate.py                  # the targets below
    .venv/bin/python bench/preannotate.py --documents 200 --memory-sizes 100,1000

Targets (issue 2): pipeline >= 0.9 x plain client at C=32, L=0.2 s, 2,000
documents; peak memory within 10% between 1,000 and 10,000 documents.
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

from measure import own_peak_kib
from openai import AsyncOpenAI

from annotate.ingest import ingest_paths
from annotate.llm import EndpointSettings
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers.openai_chat import USER_PREFIX, OpenAIChatProvider
from annotate.prompts import load_prompt
from annotate.schemas import strict_json_schema
from annotate.store import Store
from annotate.testing.llm_server import running_llm_server

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
KEY = "sk-bench-not-a-real-key"


def make_corpus(folder: Path, count: int) -> Path:
    """`count` distinct articles (seed texts with a numbered dateline) as JSON Lines."""
    seeds = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    path = folder / f"corpus-{count}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            text = f"Dispatch {i}.\n\n" + seeds[i % len(seeds)]
            handle.write(json.dumps({"id": i, "text": text}) + "\n")
    return path


async def plain_client(base_url: str, texts: list[str], concurrency: int) -> float:
    """The baseline: the same requests with the bare SDK; returns documents/s."""
    client = AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    gate = asyncio.Semaphore(concurrency)
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "extraction", "schema": strict_json_schema(), "strict": True},
    }

    async def one(text: str) -> None:
        async with gate:
            response = await client.chat.completions.create(
                model="bench-model",
                messages=[
                    {"role": "system", "content": load_prompt()},
                    {"role": "user", "content": USER_PREFIX + text},
                ],
                response_format=response_format,  # type: ignore[arg-type]
                temperature=0.0,
            )
            json.loads(response.choices[0].message.content or "{}")

    started = time.perf_counter()
    await asyncio.gather(*(one(text) for text in texts))
    elapsed = time.perf_counter() - started
    await client.close()
    return len(texts) / elapsed


async def pipeline(base_url: str, db: Path, concurrency: int) -> float:
    """The product: ingest is done; time the pre-annotation job; returns documents/s."""
    store = Store(db)
    provider = OpenAIChatProvider(
        EndpointSettings(model="bench-model", base_url=base_url, api_key=KEY)
    )
    try:
        summary = await preannotate(store, provider, concurrency=concurrency)
    finally:
        await provider.aclose()
        store.close()
    assert summary.counters.failed == 0, summary.failures[:3]
    return summary.counters.documents / summary.seconds


def throughput(documents: int, concurrency: int, latency: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, running_llm_server(latency=latency) as server:
        corpus = make_corpus(Path(tmp), documents)
        texts = [json.loads(line)["text"] for line in corpus.read_text().splitlines()]
        store = Store(Path(tmp) / "bench.db")
        ingest_paths(store, [corpus])
        store.close()
        # Untimed warm-up: the server computes each answer once and caches it, so
        # neither timed run pays (or is spared) that work because of the order.
        asyncio.run(plain_client(server.base_url, texts, concurrency))
        plain = asyncio.run(plain_client(server.base_url, texts, concurrency))
        ours = asyncio.run(pipeline(server.base_url, Path(tmp) / "bench.db", concurrency))
    ideal = concurrency / latency if latency else float("inf")
    return {
        "documents": documents,
        "concurrency": concurrency,
        "latency_s": latency,
        "ideal_docs_per_s": ideal,
        "plain_client_docs_per_s": round(plain, 1),
        "pipeline_docs_per_s": round(ours, 1),
        "pipeline_vs_plain": round(ours / plain, 3),
        "pipeline_vs_ideal": round(ours / ideal, 3) if latency else 0.0,
        "plain_vs_ideal": round(plain / ideal, 3) if latency else 0.0,
    }


def peak_memory_child(base_url: str, documents: int, concurrency: int) -> None:
    """Run in a fresh process: a whole job, then print the peak RSS in KiB."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = make_corpus(Path(tmp), documents)
        store = Store(Path(tmp) / "mem.db")
        ingest_paths(store, [corpus])
        store.close()
        asyncio.run(pipeline(base_url, Path(tmp) / "mem.db", concurrency))
    print(own_peak_kib())  # not ru_maxrss: that carries the parent's peak across fork


def peak_memory(sizes: list[int], concurrency: int) -> dict[str, float]:
    peaks = {}
    with running_llm_server(latency=0.0) as server:
        for size in sizes:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child-memory",
                    str(size),
                    "--base-url",
                    server.base_url,
                    "--concurrency",
                    str(concurrency),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            peaks[size] = int(out.stdout.strip().splitlines()[-1])
    small, large = min(sizes), max(sizes)
    return {
        **{f"peak_rss_mib_{size}": round(kib / 1024, 1) for size, kib in peaks.items()},
        "peak_ratio_large_vs_small": round(peaks[large] / peaks[small], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--memory-sizes", default="1000,10000")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        peak_memory_child(args.base_url, args.child_memory, args.concurrency)
        return
    report = {"throughput": throughput(args.documents, args.concurrency, args.latency)}
    print(json.dumps(report, indent=2), flush=True)
    if not args.skip_memory:
        sizes = [int(s) for s in args.memory_sizes.split(",")]
        report["memory"] = peak_memory(sizes, args.concurrency)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
