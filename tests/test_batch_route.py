"""The batch route against the fake server's Files and Batches endpoints, over real HTTP.

Submit, poll and collect give the online route's predictions on the seeds at
half the price; batch ids live in the store; a collect killed half-way resumes
without ingesting anything twice; an expired, a partly failed and a refused
batch send what they did not answer through the online route; files are
split by request count and by bytes; exit statuses are `annotate
preannotate`'s (0 done, 1 some failed, 3 still in progress or stopped).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from annotate.errors import ProviderError
from annotate.ingest import ingest_paths
from annotate.llm import EndpointSettings, Price
from annotate.llm.batch_files import (
    BatchResult,
    TooLarge,
    parse_result_line,
    request_line,
    split_lines,
)
from annotate.preannotate.batch import (
    Cancelled,
    Collected,
    Submitted,
    batch_client,
    cancel,
    collect,
    submit,
)
from annotate.preannotate.pipeline import RunSummary, job_key, preannotate
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.schemas import Annotation
from annotate.store import RunCounts, Store, StoredBatch
from annotate.testing.batch_api import BatchControl
from annotate.testing.llm_server import RunningServer

from .conftest import SEEDS

API_KEY = "sk-test-SECRET-batch-0123456789abcdef"
MODEL = "fake-model"
PRICE = Price(0.15, 0.6)
#: A phrase of one seed (004), to aim faults at it.
ONE_SEED = "Kuleba"


def _provider(batch_llm: RunningServer, **options: Any) -> OpenAIChatProvider:
    settings = EndpointSettings(
        model=MODEL, base_url=batch_llm.base_url, api_key=API_KEY, response_format="json_object",
        backoff_initial=0.01, max_retries=1, **options,
    )  # fmt: skip
    return OpenAIChatProvider(settings)


def _seeded(tmp_path: Path, name: str) -> Store:
    store = Store(tmp_path / f"{name}.db")
    ingest_paths(store, [SEEDS])
    return store


def _submit(store: Store, batch_llm: RunningServer, **options: Any) -> Submitted:
    async def go() -> Submitted:
        provider = _provider(batch_llm)
        try:
            return await submit(store, provider, **options)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def _collect(store: Store, batch_llm: RunningServer, **options: Any) -> Collected:
    def provider_for(batch: StoredBatch) -> OpenAIChatProvider:
        return _provider(batch_llm)

    return asyncio.run(collect(store, provider_for, price_for=lambda batch: PRICE, **options))


def _online(store: Store, batch_llm: RunningServer) -> RunSummary:
    async def go() -> RunSummary:
        provider = _provider(batch_llm)
        try:
            return await preannotate(store, provider, concurrency=4, price=PRICE)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def _predictions(store: Store) -> dict[str, list[str]]:
    """document id -> its predictions' annotations (every one, to see duplicates)."""
    found: dict[str, list[str]] = {}
    for row in store.db.sqlite_utils.query(
        "select document_id, annotation from predictions order by id"
    ):
        found.setdefault(row["document_id"], []).append(row["annotation"])
    return found


def _grounded(store: Store) -> None:
    for document in store.documents.iter():
        prediction = store.predictions.latest(document.id)
        assert prediction is not None
        annotation = Annotation.model_validate_json(prediction.annotation)
        for claim in annotation.claims:
            assert document.text[claim.span.start : claim.span.end] == claim.span.text


# ------------------------------------------------------------------ the files


def test_files_split_by_request_count_and_by_bytes() -> None:
    groups = [[request_line(f"id-{i}-{j}", {"n": i}) for j in range(2)] for i in range(5)]
    size = sum(len(line) for line in groups[0])
    by_count = list(split_lines(groups, max_requests=4))
    assert [len(file) for file in by_count] == [2, 2, 1]  # a document's 2 lines never split
    by_bytes = list(split_lines(groups, max_bytes=size * 3 + 1))
    assert [len(file) for file in by_bytes] == [3, 2]
    assert all(sum(map(len, g)) <= size * 3 + 1 for f in by_bytes for g in f)
    with pytest.raises(TooLarge):
        list(split_lines(groups, max_requests=1))
    line = json.loads(groups[0][0])
    assert line == {"custom_id": "id-0-0", "method": "POST", "url": "/v1/chat/completions",
                    "body": {"n": 0}}  # fmt: skip


def test_result_lines_answers_errors_and_expired() -> None:
    completion = {"choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}],
                  "usage": {"prompt_tokens": 10, "completion_tokens": 4}}  # fmt: skip
    ok = parse_result_line(
        json.dumps(
            {"custom_id": "a", "response": {"status_code": 200, "body": completion}, "error": None}
        )
    )
    assert ok.answered
    content, usage = ok.answer()
    assert content == "{}" and usage.batch_prompt_tokens == 10 and usage.completion_tokens == 4
    failed = parse_result_line(
        json.dumps(
            {
                "custom_id": "b",
                "response": {"status_code": 500, "body": {"error": {"message": "boom"}}},
                "error": None,
            }
        )
    )
    assert not failed.answered and failed.error == "HTTP 500: boom"
    expired = parse_result_line(json.dumps({"custom_id": "c", "response": None, "error": {
        "code": "batch_expired", "message": "not run"}}))  # fmt: skip
    assert expired == BatchResult("c", 0, {}, "batch_expired: not run")
    assert PRICE.cost_of(usage) == pytest.approx(PRICE.cost(10, 4) / 2)


# ------------------------------------------------------------------ the route


def test_batch_route_gives_the_online_predictions_at_half_price(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    online = _seeded(tmp_path, "online")
    online_run = _online(online, batch_llm)
    assert online_run.counters.predicted == 5
    batch_llm.reset()

    store = _seeded(tmp_path, "batch")
    submitted = _submit(store, batch_llm)
    assert submitted.documents == 5 and submitted.requests == 5 and len(submitted.batches) == 1
    batch = store.batches.all()[0]
    assert batch.batch_id and batch.batch_id.startswith("batch_fake_") and not batch.collected
    assert batch.job == job_key(_provider(batch_llm))
    again = _submit(store, batch_llm)
    assert again.documents == 0 and not again.batches, "documents in an open batch are not sent"

    collected = _collect(store, batch_llm)
    assert batch_llm.stats()["requests"] == 0, "every answer came from the batch"
    [item] = collected.batches
    assert item.answered == 5 and item.reasked == 0 and item.online == 0
    assert item.summary is not None and item.summary.counters.predicted == 5
    assert store.batches.all()[0].collected
    assert _predictions(store) == _predictions(online)
    _grounded(store)
    # The same tokens as online (the same request bodies), at half the price.
    counts = item.summary.counters
    assert counts.prompt_tokens == online_run.counters.prompt_tokens
    assert counts.cost_usd == pytest.approx(online_run.counters.cost_usd / 2)
    # The answers are in the call cache: the online route has nothing left to do.
    assert _online(store, batch_llm).counters.documents == 0
    assert batch_llm.stats()["requests"] == 0
    assert API_KEY.encode() not in (tmp_path / "batch.db").read_bytes()


def test_a_killed_collect_resumes_and_ingests_nothing_twice(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    store = _seeded(tmp_path, "killed")
    _submit(store, batch_llm)

    class Killed(Exception):
        pass

    def kill_after_two(counters: RunCounts) -> None:
        if counters.documents == 2:
            raise Killed

    with pytest.raises(Killed):
        _collect(store, batch_llm, on_progress=kill_after_two, concurrency=1)
    assert sum(len(p) for p in _predictions(store).values()) == 2
    batch = store.batches.all()[0]
    assert batch.results_saved and not batch.collected
    downloads = batches.stats()["downloads"]

    collected = _collect(store, batch_llm)
    [item] = collected.batches
    assert item.summary is not None and item.summary.counters.predicted == 3
    predictions = _predictions(store)
    assert len(predictions) == 5 and all(len(p) == 1 for p in predictions.values())
    assert batches.stats()["downloads"] == downloads, "saved answers are not downloaded again"
    assert batch_llm.stats()["requests"] == 0
    assert store.batches.all()[0].collected


def test_an_expired_batch_sends_what_it_did_not_answer_online(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    batches.configure(expire_after=2)
    store = _seeded(tmp_path, "expired")
    _submit(store, batch_llm)
    [item] = _collect(store, batch_llm).batches
    assert item.state is not None and item.state.status == "expired"
    assert item.answered == 2 and item.online == 3
    assert batch_llm.stats()["requests"] == 3
    assert len(_predictions(store)) == 5 and store.batches.all()[0].collected


def test_a_partly_failed_batch_and_an_invalid_answer(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    """A request the batch failed goes online; an invalid answer is re-asked online, once."""
    batches.configure(fail_match=ONE_SEED)
    batch_llm.set_faults([{"kind": "invalid_json", "match": "IFP Exclusive", "times": 1}])
    store = _seeded(tmp_path, "partly")
    _submit(store, batch_llm)
    [item] = _collect(store, batch_llm).batches
    assert item.state is not None and item.state.status == "completed"
    assert item.state.failed == 1
    assert item.online == 1 and item.reasked == 1 and item.answered == 3
    stats = batch_llm.stats()
    assert stats["requests"] == 2
    assert len(_predictions(store)) == 5
    reasks = store.db.execute("select sum(reasks) from llm_calls").fetchone()[0]
    assert reasks == 1, "the batch's invalid answer was re-asked, not asked anew"


def test_a_batch_that_fails_validation_goes_online(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    batches.configure(max_requests=3)
    store = _seeded(tmp_path, "refused")
    _submit(store, batch_llm)
    [item] = _collect(store, batch_llm).batches
    assert item.state is not None and item.state.status == "failed"
    assert "more than 3" in item.state.errors[0]
    assert item.online == 5 and batch_llm.stats()["requests"] == 5
    assert len(_predictions(store)) == 5


# ------------------------------------------------------------------ the command line


def _env(tmp_path: Path, batch_llm: RunningServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "LABEL_STUDIO_", "ANNOTATE_"))}  # fmt: skip
    env.update(ANNOTATE_DB=str(tmp_path / "cli.db"), ANNOTATE_HOME=str(tmp_path / "home"),
               OPENAI_BASE_URL=batch_llm.base_url, OPENAI_API_KEY=API_KEY, NO_COLOR="1",
               COLUMNS="100")  # fmt: skip
    assert _cli(env, "ingest", str(SEEDS)).returncode == 0
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "annotate", *args], env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip


def _submit_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _cli(env, "preannotate", "--model", MODEL, "--response-format", "json_object",
                "--batch", *args)  # fmt: skip


def test_cli_splits_files_by_count_and_by_bytes(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    env = _env(tmp_path, batch_llm)
    done = _submit_cli(env, "--batch-max-requests", "2")
    assert done.returncode == 0, done.stderr
    with Store(env["ANNOTATE_DB"]) as store:
        assert [b.requests for b in store.batches.all()] == [2, 2, 1]
        largest = max(b.bytes for b in store.batches.all())
    env["ANNOTATE_DB"] = str(tmp_path / "bytes.db")
    assert _cli(env, "ingest", str(SEEDS)).returncode == 0
    done = _submit_cli(env, "--batch-max-bytes", str(largest + 1))
    assert done.returncode == 0, done.stderr
    with Store(env["ANNOTATE_DB"]) as store:
        sizes = [b.bytes for b in store.batches.all()]
        assert all(size <= largest + 1 for size in sizes) and len(sizes) >= 3
        assert sum(b.documents for b in store.batches.all()) == 5
    for upload in batches.stats()["batches"]:
        assert upload["status"] == "validating"


def test_cli_exit_statuses_in_progress_then_collected(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    batches.configure(polls=2)
    env = _env(tmp_path, batch_llm)
    assert _submit_cli(env).returncode == 0
    status = _cli(env, "batch", "status", "--json")
    assert status.returncode == 3
    assert json.loads(status.stdout)[0]["status"] == "in_progress"
    early = _cli(env, "batch", "collect")
    assert early.returncode == 3, early.stdout + early.stderr
    assert "still in progress" in early.stderr and "annotate batch collect" in early.stderr
    done = _cli(env, "batch", "collect", "--wait", "--poll-interval", "0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 answer(s) taken from the batch" in done.stdout
    assert _cli(env, "batch", "status").returncode == 0
    assert API_KEY not in done.stdout + done.stderr


def test_cli_collect_exits_1_when_an_online_fallback_fails(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    batches.configure(fail_match=ONE_SEED)
    env = _env(tmp_path, batch_llm)
    assert _submit_cli(env).returncode == 0
    assert _cli(env, "batch", "status").returncode == 0  # the batch ends at this poll
    batch_llm.set_faults([{"kind": "400", "match": ONE_SEED, "times": 10}])
    collected = _cli(env, "batch", "collect")
    assert collected.returncode == 1, collected.stdout + collected.stderr
    assert "1 document(s) failed (bad_request 1)" in collected.stdout
    with Store(env["ANNOTATE_DB"]) as store:
        assert store.batches.all()[0].collected  # the failed document is pending for the next run
        assert store.predictions.count_unpredicted(store.batches.all()[0].job) == 1


def test_cli_batch_needs_the_openai_provider(tmp_path: Path, batch_llm: RunningServer) -> None:
    env = _env(tmp_path, batch_llm)
    refused = _cli(env, "preannotate", "--provider", "rules", "--batch")
    assert refused.returncode == 1 and "--batch needs --provider openai" in refused.stderr


def test_a_batch_created_but_not_recorded_is_adopted_not_created_twice(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    """A submit killed between creating a batch and recording its id: the next command adopts it."""
    store = _seeded(tmp_path, "adopt")
    _submit(store, batch_llm)
    batch = store.batches.all()[0]
    with store.db.conn:  # as if killed before `batches.created`: the id never reached the store
        store.db.conn.execute("update batches set batch_id = null, status = 'submitting'")
    [item] = _collect(store, batch_llm).batches
    assert item.state is not None and item.state.id == batch.batch_id
    assert len(batches.stats()["batches"]) == 1, "no second batch was created"
    assert len(_predictions(store)) == 5 and batch_llm.stats()["requests"] == 0


def _online_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _cli(env, "preannotate", "--model", MODEL, "--response-format", "json_object", *args)


def test_online_route_leaves_documents_in_an_open_batch_to_it(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    """Documents submitted in a batch are not paid for twice: online skips them, exit 0."""
    env = _env(tmp_path, batch_llm)
    assert _submit_cli(env, "--limit", "3").returncode == 0
    waiting = "3 document(s) wait in an open batch of this job"
    estimate = _online_cli(env, "--dry-run", "--price-input", "0.15", "--price-output", "0.6")
    assert estimate.returncode == 0, estimate.stdout + estimate.stderr
    assert re.search(r"documents +│ 2 pending", estimate.stdout), estimate.stdout
    assert re.search(r"requests +│ 2 \(0 cached", estimate.stdout), estimate.stdout
    assert f"{waiting}: not counted above" in estimate.stdout
    done = _online_cli(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{waiting}: left to it, not sent online" in done.stdout
    assert "run `annotate batch collect` to ingest them" in done.stdout
    assert "2 (2 predicted, 0 failed)" in done.stdout
    assert batch_llm.stats()["requests"] == 2, "no chat call for the documents in the batch"
    with Store(env["ANNOTATE_DB"]) as store:
        batched = {d for (d,) in store.db.execute("select document_id from batch_documents")}
        assert len(batched) == 3 and not batched & set(_predictions(store))
        assert not store.runs.failures(), "left to the batch: neither failed nor attempted"
        [run] = store.runs.all()
        assert run.counts.documents == 2
    again = _online_cli(env)  # nothing left online: still exit 0, still no call
    assert again.returncode == 0 and waiting in again.stdout and batch_llm.stats()["requests"] == 2
    collected = _cli(env, "batch", "collect")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert batch_llm.stats()["requests"] == 2, "the batch answered its three documents"
    with Store(env["ANNOTATE_DB"]) as store:
        predictions = _predictions(store)
        assert len(predictions) == 5 and all(len(p) == 1 for p in predictions.values())
    last = _online_cli(env)
    assert last.returncode == 0 and "wait in an open batch" not in last.stdout


# ------------------------------------------------------------------ cancelling


def _cancel(store: Store, batch_llm: RunningServer, chosen: list[StoredBatch]) -> list[Cancelled]:
    return asyncio.run(cancel(store, lambda batch: _provider(batch_llm), chosen))


def test_cli_cancel_then_collect_takes_what_finished_and_frees_the_rest(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    batches.configure(polls=5, cancel_after=2)
    env = _env(tmp_path, batch_llm)
    assert _submit_cli(env).returncode == 0
    assert _cli(env, "batch", "status").returncode == 3  # in progress
    stopped = _cli(env, "batch", "cancel", "--all")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "cancelling; run `annotate batch collect` once it is cancelled" in stopped.stdout
    with Store(env["ANNOTATE_DB"]) as store:
        [batch] = store.batches.all()
        assert batch.status == "cancelling" and not batch.collected
    [fake] = batches.stats()["batches"]
    assert fake["status"] == "cancelling" and fake["cancelling_at"]
    # Still open: the online route leaves its documents to it.
    waiting = _online_cli(env)
    assert waiting.returncode == 0 and "5 document(s) wait in an open batch" in waiting.stdout

    collected = _cli(env, "batch", "collect")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    said = " ".join(collected.stdout.split())
    assert "cancelled; 2 answer(s) taken from the batch, 0 re-asked online, 0 sent online" in said
    assert "3 document(s) it did not finish before it was cancelled are pending again" in said
    assert batch_llm.stats()["requests"] == 0, "what a cancelled batch did not answer stays"
    with Store(env["ANNOTATE_DB"]) as store:
        [batch] = store.batches.all()
        assert batch.collected and batch.status == "cancelled"
        assert len(_predictions(store)) == 2 and not store.runs.failures()
        assert store.batches.count_unbatched(batch.job) == 3
    online = _online_cli(env)
    assert online.returncode == 0 and "wait in an open batch" not in online.stdout
    assert batch_llm.stats()["requests"] == 3, "the three pending documents, online, once each"
    with Store(env["ANNOTATE_DB"]) as store:
        predictions = _predictions(store)
        assert len(predictions) == 5 and all(len(p) == 1 for p in predictions.values())


def test_a_cancelled_batch_keeps_the_chunks_it_answered(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    """A document cut short by the cancel is pending again, its answered chunks in the cache."""
    small = {"context_window": 2600, "max_tokens": 600}
    store = _seeded(tmp_path, "chunks")

    async def go() -> Submitted:
        provider = _provider(batch_llm, **small)
        try:
            return await submit(store, provider)
        finally:
            await provider.aclose()

    batches.configure(polls=5, cancel_after=3)
    submitted = asyncio.run(go())
    assert submitted.requests > submitted.documents, "some documents go in several chunks"
    [outcome] = _cancel(store, batch_llm, store.batches.all())
    assert outcome.asked and outcome.status == "cancelling"

    [item] = asyncio.run(collect(store, lambda b: _provider(batch_llm, **small))).batches
    assert item.state is not None and item.state.status == "cancelled"
    assert item.answered == 3 and item.online == 0 and batch_llm.stats()["requests"] == 0
    assert item.deferred == submitted.documents - len(_predictions(store))
    kept = store.db.execute("select count(*) from llm_calls").fetchone()[0]
    assert kept == 3, "every chunk the batch answered is in the cache"
    assert store.batches.all()[0].collected

    async def online() -> RunSummary:
        provider = _provider(batch_llm, **small)
        try:
            return await preannotate(store, provider, concurrency=2)
        finally:
            await provider.aclose()

    run = asyncio.run(online())
    assert run.counters.predicted == item.deferred
    assert run.counters.cached_calls == 3, "the chunks the batch answered are not asked again"
    predictions = _predictions(store)
    assert len(predictions) == 5 and all(len(p) == 1 for p in predictions.values())


def test_cancel_leaves_ended_batches_and_closes_one_never_created(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    store = _seeded(tmp_path, "ended")
    _submit(store, batch_llm)
    [batch] = store.batches.all()
    [outcome] = _cancel(store, batch_llm, [batch])  # its first poll ends it (polls=0)
    assert not outcome.asked and outcome.status == "completed"
    assert batches.stats()["batches"][0]["status"] == "completed"

    async def cancel_ended() -> None:  # the fake refuses it as OpenAI does
        provider = _provider(batch_llm)
        try:
            assert batch.batch_id is not None
            await batch_client(provider).cancel(batch.batch_id)
        finally:
            await provider.aclose()

    with pytest.raises(ProviderError, match="Cannot cancel a batch with status completed"):
        asyncio.run(cancel_ended())

    # Recorded by a submit killed before creating it: closed, not created to be cancelled.
    other = _seeded(tmp_path, "never")
    record = StoredBatch(
        id=0, batch_id=None, input_file_id="file-never-created", job=job_key(_provider(batch_llm)),
        model=MODEL, params={}, max_chunk_chars=None, requests=5, documents=5, bytes=1,
        status="submitting",
    )  # fmt: skip
    ids = [d.id for d in other.documents.iter()]
    local = other.batches.add(record, ids, [])
    assert other.batches.count_unbatched(record.job) == 0
    created = len(batches.stats()["batches"])
    [closed] = _cancel(other, batch_llm, [other.batches.get(local)])
    assert closed.never_created and closed.status == "cancelled"
    assert other.batches.get(local).collected and other.batches.count_unbatched(record.job) == 5
    assert len(batches.stats()["batches"]) == created, "no batch created to be cancelled"


def test_cli_cancel_refuses_unknown_collected_or_no_batches(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    env = _env(tmp_path, batch_llm)
    assert _cli(env, "batch", "cancel", "--all").stdout.startswith("no open batches")
    assert _submit_cli(env).returncode == 0
    for args, message in (
        ((), "name the batches to cancel"),
        (("1", "--all"), "name the batches to cancel"),
        (("batch_nope",), "no batch batch_nope in the store"),
    ):
        refused = _cli(env, "batch", "cancel", *args)
        assert refused.returncode == 1 and message in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert _cli(env, "batch", "collect").returncode == 0
    ended = _cli(env, "batch", "cancel", "1")
    assert ended.returncode == 1 and "batch 1 is collected already" in ended.stderr
