"""The LLM path end to end: pipeline + OpenAI provider + the fake server over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotate.ingest import ingest_paths
from annotate.llm import EndpointSettings
from annotate.preannotate.pipeline import RunSummary, preannotate
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.schemas import Annotation
from annotate.store import Store
from annotate.testing.llm_server import running_llm_server

from .conftest import ROOT

API_KEY = "sk-test-SECRET-abcdefghijklmnop"


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with running_llm_server(latency=0.05) as running:
        yield running


@pytest.fixture(autouse=True)
def _reset(server: Any) -> None:
    server.reset()


def _run(store: Store, server: Any, **provider_options: Any) -> RunSummary:
    async def go() -> RunSummary:
        provider = OpenAIChatProvider(
            EndpointSettings(
                model="test-model",
                base_url=server.base_url,
                api_key=API_KEY,
                backoff_initial=0.05,
                **provider_options,
            )
        )
        try:
            return await preannotate(store, provider, concurrency=4)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def _outcomes(store: Store, run_id: int) -> dict[str, str]:
    """document id -> 'prediction' or 'failure' for one run; duplicates are an error."""
    outcomes: dict[str, str] = {}
    rows = list(
        store.db.sqlite_utils.query(
            "select document_id from predictions where run_id = ?", [run_id]
        )
    )
    rows += [{"document_id": f.document_id, "failure": 1} for f in store.runs.failures(run_id)]
    for row in rows:
        assert row["document_id"] not in outcomes, f"two outcomes for {row['document_id']}"
        outcomes[row["document_id"]] = "failure" if "failure" in row else "prediction"
    return outcomes


def _assert_grounded(store: Store) -> None:
    for document in store.documents.iter():
        prediction = store.predictions.latest(document.id)
        if prediction is None:
            continue
        annotation = Annotation.model_validate_json(prediction.annotation)
        spans = [m for a in annotation.actors for m in a.mentions]
        spans += [c.span for c in annotation.claims] + [s.evidence for s in annotation.stances]
        for span in spans:
            assert document.text[span.start : span.end] == span.text


def test_happy_path_then_rerun_makes_zero_calls(store: Store, seeds_dir: Path, server: Any) -> None:
    ingest_paths(store, [seeds_dir])
    first = _run(store, server)
    assert first.counters.predicted == 5 and first.counters.failed == 0
    assert first.counters.prompt_tokens > 0 and first.counters.completion_tokens > 0
    assert server.stats()["requests"] == 5
    _assert_grounded(store)
    second = _run(store, server)
    assert second.counters.documents == 0
    assert server.stats()["requests"] == 5, "a re-run must make no LLM call"


def test_faults_end_in_one_prediction_or_one_failure_each(
    store: Store, seeds_dir: Path, server: Any
) -> None:
    ingest_paths(store, [seeds_dir])
    server.set_faults(
        [
            {"kind": "429", "match": "By Staff, Agencies", "times": 1, "retry_after": 1},
            {"kind": "500", "match": "Putin, Raisi discuss Ukraine", "times": 2},
            {"kind": "invalid_json", "match": "IFP Exclusive", "times": 1},
            {"kind": "hallucinate", "match": "Brasov-Romania", "times": 1},
            {"kind": "truncated", "match": "Kuleba", "times": 1000},
        ]
    )
    summary = _run(store, server)
    outcomes = _outcomes(store, summary.run_id)
    assert len(outcomes) == 5
    assert list(outcomes.values()).count("failure") == 1
    failure = store.runs.failures(summary.run_id)[0]
    assert failure.reason == "truncated"
    assert "Kuleba" in store.documents.get(failure.document_id).text
    assert summary.counters.hallucinations >= 1
    stats = server.stats()
    assert stats["faults"]["429"] == 1 and stats["faults"]["500"] == 2
    assert stats["faults"]["invalid_json"] == 1
    _assert_grounded(store)
    # The failed document is retried by the next run; the others are not.
    server.reset()
    again = _run(store, server)
    assert again.counters.documents == 1 and again.counters.predicted == 1


def test_long_documents_are_chunked_and_merged(store: Store, seeds_dir: Path, server: Any) -> None:
    ingest_paths(store, [seeds_dir])
    summary = _run(store, server, context_window=3000, max_tokens=600)
    assert summary.counters.predicted == 5
    assert summary.counters.llm_calls > 5, "small windows must split the seeds into chunks"
    _assert_grounded(store)


def test_api_key_never_reaches_db_or_logs(
    store: Store,
    seeds_dir: Path,
    server: Any,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    ingest_paths(store, [seeds_dir])
    server.set_faults([{"kind": "500", "times": 2}])
    _run(store, server)
    assert f"Bearer {API_KEY}" in server.stats()["authorization"]
    store.db.execute("PRAGMA wal_checkpoint(FULL)")
    for path in store.path.parent.iterdir():
        assert API_KEY.encode() not in path.read_bytes(), path
    captured = capfd.readouterr()
    assert API_KEY not in caplog.text + captured.out + captured.err


def test_sigkill_loses_at_most_the_calls_in_flight(tmp_path: Path, server: Any) -> None:
    """Kill a running job, re-run it: finished documents are never paid for twice."""
    db = tmp_path / "kill.db"
    env = {
        **os.environ,
        "ANNOTATE_DB": str(db),
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": API_KEY,
    }
    cli = [sys.executable, "-m", "annotate"]
    subprocess.run([*cli, "ingest", str(ROOT / "seeds")], env=env, check=True)
    server.set_faults([{"kind": "slow", "seconds": 1.0, "times": 100}])
    job = subprocess.Popen(
        [*cli, "preannotate", "--concurrency", "1", "--model", "m"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    done = 0
    while done < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        with Store(db) as store:
            done = store.db.sqlite_utils["predictions"].count
            alive = [run.status for run in store.runs.all()]
    assert alive == ["running"]  # its process is at work: not taken for killed
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert done >= 2
    paid_before = server.stats()["requests"]
    server.set_faults([])
    subprocess.run(
        [*cli, "preannotate", "--model", "m"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    with Store(db) as store:
        assert store.db.sqlite_utils["predictions"].count == 5
        runs = store.runs.all()
        done_by_killed = store.db.execute(
            "select count(*) from predictions where run_id = ?", [runs[0].id]
        ).fetchone()[0]
    # Killed before it recorded its end: its process is gone, so it reads "killed", counted
    # from what it stored (the re-run then took the rest).
    assert runs[0].status == "killed"
    assert runs[0].counts.predicted == done_by_killed >= done and runs[0].counts.failed == 0
    assert done_by_killed <= runs[0].counts.requests <= paid_before
    assert runs[0].counts.requests + runs[-1].counts.requests >= 5
    assert runs[-1].status == "finished"
    # In flight when killed: at most one call (concurrency 1) is paid twice.
    assert server.stats()["requests"] <= 5 + 1
    assert paid_before + runs[-1].counts.requests == server.stats()["requests"]


@pytest.mark.parametrize("temperature", [0.0, 0.7])
def test_cache_keys_are_the_hash_of_the_calls_canonical_json(temperature: float) -> None:
    """A store's cached calls stay found: the key is what it always was, however computed."""
    import hashlib
    import json

    from annotate.preannotate.pipeline import CallKeys, call_key, job_key
    from annotate.preannotate.providers.rules import RulesProvider

    chat = OpenAIChatProvider(
        EndpointSettings(model="m/é:7b", base_url="http://127.0.0.1:9/v1", temperature=temperature)
    )
    for provider in (RulesProvider(), chat):
        key = job_key(provider)
        keys = CallKeys(provider, key)
        for text in ["", "Plain.", 'Le président « non » — 3\u202f%\n\ttab "q" \\']:
            canonical = json.dumps(
                {
                    "model": provider.model,
                    "prompt": key.prompt_version,
                    "schema": key.schema_version,
                    "params": provider.cache_params,
                    "text": hashlib.sha256(text.encode()).hexdigest(),
                },
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
            )
            expected = hashlib.sha256(canonical.encode()).hexdigest()
            assert keys(text) == call_key(provider, key, text) == expected
