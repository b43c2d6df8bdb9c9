"""The batch route without OpenAI: request files written with ``--out``, output files collected.

Run as a user runs it: `annotate preannotate --batch --out DIR` writes the
OpenAI Batch request files and sends nothing; an engine of one's own answers
them (here the fake server's batch code, `BatchControl.run_file`, standing for
``vllm run-batch``: the same function that answers the fake Batch API's lines);
`annotate batch collect --results FILE` ingests the output through the online
route's validation, re-asks, cache and store.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from annotate.llm import EndpointSettings
from annotate.llm.batch_files import ResultsFileError, read_results_file
from annotate.preannotate.batch import collect_results
from annotate.preannotate.chunking import split_text
from annotate.preannotate.pipeline import call_key, job_key
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.store import RunCounts, Store
from annotate.testing.batch_api import BatchControl
from annotate.testing.llm_server import RunningServer

from .conftest import SEEDS

API_KEY = "sk-test-SECRET-offline-0123456789abcdef"
MODEL = "fake-model"
#: A phrase of one seed (004), and of another (000), to aim faults at them.
ONE_SEED = "Kuleba"
OTHER_SEED = "IFP Exclusive"


def _bare_env(tmp_path: Path) -> dict[str, str]:
    """No endpoint at all: no OPENAI_BASE_URL, no OPENAI_API_KEY."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "LABEL_STUDIO_", "ANNOTATE_"))}  # fmt: skip
    env.update(ANNOTATE_DB=str(tmp_path / "offline.db"), ANNOTATE_HOME=str(tmp_path / "home"),
               NO_COLOR="1", COLUMNS="100")  # fmt: skip
    return env


def _served(env: dict[str, str], batch_llm: RunningServer) -> dict[str, str]:
    return {**env, "OPENAI_BASE_URL": batch_llm.base_url, "OPENAI_API_KEY": API_KEY}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "annotate", *args], env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip


def _write(env: dict[str, str], out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _cli(env, "preannotate", "--batch", "--out", str(out), "--model", MODEL,
                "--response-format", "json_object", *args)  # fmt: skip


def _ingested(tmp_path: Path) -> dict[str, str]:
    env = _bare_env(tmp_path)
    assert _cli(env, "ingest", str(SEEDS)).returncode == 0
    return env


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _predictions(db: str) -> dict[str, int]:
    with Store(db) as store:
        found: dict[str, int] = {}
        for row in store.db.sqlite_utils.query("select document_id from predictions"):
            found[row["document_id"]] = found.get(row["document_id"], 0) + 1
        return found


def _calls(db: str) -> int:
    with Store(db) as store:
        return int(store.db.execute("select count(*) from llm_calls").fetchone()[0])


def _one_file(out: Path) -> Path:
    [written] = sorted(out.iterdir())
    return written


def _written_and_run(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> tuple[dict[str, str], Path, Path]:
    """Seeds ingested, their requests written with --out and answered by the 'engine'."""
    env = _ingested(tmp_path)
    assert _write(env, tmp_path / "requests").returncode == 0
    requests = _one_file(tmp_path / "requests")
    output = tmp_path / "output.jsonl"
    batches.run_file(requests, output)
    return _served(env, batch_llm), requests, output


def test_out_writes_the_online_requests_and_sends_nothing(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    env = _ingested(tmp_path)
    out = tmp_path / "requests"
    done = _write(env, out)  # no endpoint, no key: nothing to send to
    assert done.returncode == 0, done.stdout + done.stderr
    written = _one_file(out)
    assert written.name == "batch-00001.jsonl" and str(written) in done.stdout
    lines = _lines(written)
    assert len(lines) == 5, "one request per document (each seed is one chunk)"
    assert "vllm run-batch -i FILE -o OUTPUT.jsonl --model fake-model" in " ".join(
        done.stdout.split()
    )
    # Each line is the online route's request, under the online call's cache key.
    provider = OpenAIChatProvider(
        EndpointSettings(model=MODEL, api_key="unused", response_format="json_object")
    )
    expected = {}
    with Store(env["ANNOTATE_DB"]) as store:
        for document in store.documents.iter():
            for chunk in split_text(document.text, provider.max_chunk_chars):
                text = chunk.of(document.text)
                expected[call_key(provider, job_key(provider), text)] = provider.request_body(text)
        [batch] = store.batches.all()
        assert batch.batch_id is None and batch.input_file_id == str(written.resolve())
        assert store.batches.count_unbatched(batch.job) == 0, "the documents wait in the batch"
    assert {line["custom_id"]: line["body"] for line in lines} == expected
    assert all(line["method"] == "POST" and line["url"] == "/v1/chat/completions"
               for line in lines)  # fmt: skip
    assert all(line["body"]["model"] == MODEL for line in lines)

    status = _cli(env, "batch", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert str(written.resolve()) in status.stdout and "--results" in status.stdout
    [shown] = json.loads(_cli(env, "batch", "status", "--json").stdout)
    assert shown["file"] == str(written.resolve()) and shown["status"] == "offline"

    # Against a live endpoint, still nothing is sent, and the online route leaves them.
    served = _served(env, batch_llm)
    again = _write(served, out)
    assert again.returncode == 0, again.stdout + again.stderr
    assert [p.name for p in out.iterdir()] == ["batch-00001.jsonl"], "nothing new, no empty file"
    online = _cli(served, "preannotate", "--model", MODEL, "--response-format", "json_object")
    assert online.returncode == 0, online.stdout + online.stderr
    assert "5 document(s) wait in an open batch of this job" in online.stdout
    stats, fake = batch_llm.stats(), batches.stats()
    assert stats["requests"] == 0 and stats["model_listings"] == 0
    assert fake["uploads"] == 0 and not fake["batches"]


def test_out_refuses_without_a_model_or_without_batch(tmp_path: Path) -> None:
    env = _ingested(tmp_path)
    for args, said in (
        (("preannotate", "--batch", "--out", str(tmp_path / "r")), "give --model"),
        (("preannotate", "--out", str(tmp_path / "r"), "--model", MODEL), "give it with --batch"),
    ):
        refused = _cli(env, *args)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert refused.stderr.startswith("error:") and said in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_collect_results_stores_each_prediction_once_without_a_call(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    env, _, output = _written_and_run(tmp_path, batch_llm, batches)
    done = _cli(env, "batch", "collect", "--results", str(output))
    assert done.returncode == 0, done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    assert "5 result line(s) read: 5 for requests waiting" in said
    assert "5 answer(s) taken from the batch, 0 re-asked online, 0 sent online" in said
    assert batch_llm.stats()["requests"] == 0, "every line was good: no online call"
    predictions = _predictions(env["ANNOTATE_DB"])
    assert len(predictions) == 5 and set(predictions.values()) == {1}
    with Store(env["ANNOTATE_DB"]) as store:
        [batch] = store.batches.all()
        assert batch.collected and batch.completed == 5
    calls = _calls(env["ANNOTATE_DB"])
    assert calls == 5

    twice = _cli(env, "batch", "collect", "--results", str(output))
    assert twice.returncode == 0, twice.stdout + twice.stderr
    assert "5 line(s) for requests of no open batch" in " ".join(twice.stdout.split())
    assert _predictions(env["ANNOTATE_DB"]) == predictions and _calls(env["ANNOTATE_DB"]) == calls
    assert batch_llm.stats()["requests"] == 0
    online = _cli(env, "preannotate", "--model", MODEL, "--response-format", "json_object")
    assert online.returncode == 0 and "wait in an open batch" not in online.stdout
    assert batch_llm.stats()["requests"] == 0, "the answers are in the call cache"


def test_collect_results_reasks_sends_failed_lines_online_and_names_unknown_ids(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    batches.configure(fail_match=ONE_SEED)  # that line: a 500 in the output file
    batch_llm.set_faults([{"kind": "invalid_json", "match": OTHER_SEED, "times": 1}])
    env, _, output = _written_and_run(tmp_path, batch_llm, batches)
    lines = _lines(output)
    assert sum(line["response"]["status_code"] != 200 for line in lines) == 1
    stranger = {**lines[0], "custom_id": "not-a-request-of-this-store"}
    with output.open("a") as more:
        more.write(json.dumps(stranger) + "\n")

    done = _cli(env, "batch", "collect", "--results", str(output))
    assert done.returncode == 0, done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    assert "6 result line(s) read: 5 for requests waiting" in said
    assert "1 line(s) for requests unknown to this store" in said
    assert "not-a-request-of-this-store" in said
    assert "3 answer(s) taken from the batch, 1 re-asked online, 1 sent online" in said
    assert batch_llm.stats()["requests"] == 2, "one re-ask and one failed line, online"
    assert len(_predictions(env["ANNOTATE_DB"])) == 5
    with Store(env["ANNOTATE_DB"]) as store:
        reasks = store.db.execute("select sum(reasks) from llm_calls").fetchone()[0]
        assert reasks == 1, "the invalid answer was re-asked, not asked anew"
        [batch] = store.batches.all()
        assert batch.collected and batch.failed == 1


def test_a_request_without_an_answer_waits_for_a_later_file(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    env, _, output = _written_and_run(tmp_path, batch_llm, batches)
    lines = output.read_text().splitlines(keepends=True)
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    first.write_text("".join(lines[:3]))
    rest.write_text("".join(lines[3:]))

    partly = _cli(env, "batch", "collect", "--results", str(first))
    assert partly.returncode == 3, partly.stdout + partly.stderr
    assert "2 request(s) of 1 batch(es) written with --out have no answer" in partly.stderr
    assert len(_predictions(env["ANNOTATE_DB"])) == 3 and batch_llm.stats()["requests"] == 0
    with Store(env["ANNOTATE_DB"]) as store:
        [batch] = store.batches.all()
        assert not batch.collected and not store.runs.failures()
    online = _cli(env, "preannotate", "--model", MODEL, "--response-format", "json_object")
    assert "2 document(s) wait in an open batch" in online.stdout and online.returncode == 0
    assert batch_llm.stats()["requests"] == 0

    done = _cli(env, "batch", "collect", "--results", str(first), str(rest))  # FILE FILE
    assert done.returncode == 0, done.stdout + done.stderr
    predictions = _predictions(env["ANNOTATE_DB"])
    assert len(predictions) == 5 and set(predictions.values()) == {1}
    assert batch_llm.stats()["requests"] == 0 and _calls(env["ANNOTATE_DB"]) == 5
    with Store(env["ANNOTATE_DB"]) as store:
        assert store.batches.all()[0].collected


def test_bad_results_files_store_nothing(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    env, requests, output = _written_and_run(tmp_path, batch_llm, batches)
    not_jsonl = tmp_path / "notes.txt"
    not_jsonl.write_text("these are not JSON lines\n")
    for args, said in (
        ((str(tmp_path / "missing.jsonl"),), "cannot read"),
        ((str(output), str(not_jsonl)), f"{not_jsonl} line 1 is not a Batch output line"),
        ((str(requests),), "a request line?"),
    ):
        refused = _cli(env, "batch", "collect", "--results", *args)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        [line] = refused.stderr.strip().splitlines()
        assert line.startswith("error:") and said in line, line
    with Store(env["ANNOTATE_DB"]) as store:
        answered = store.db.execute(
            "select count(*) from batch_requests where status is not null"
        ).fetchone()[0]
        assert answered == 0 and not _predictions(env["ANNOTATE_DB"])
    no_option = _cli(env, "batch", "collect", str(output))
    assert no_option.returncode == 1 and "give the output files with --results" in no_option.stderr
    assert batch_llm.stats()["requests"] == 0


def test_cancel_gives_an_out_batch_back_to_the_online_route(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    env = _ingested(tmp_path)
    assert _write(env, tmp_path / "requests", "--limit", "2").returncode == 0
    cancelled = _cli(env, "batch", "cancel", "1")  # no endpoint needed: nothing runs it here
    assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
    assert "its 2 document(s) are pending again" in " ".join(cancelled.stdout.split())
    online = _cli(_served(env, batch_llm), "preannotate", "--model", MODEL,
                  "--response-format", "json_object")  # fmt: skip
    assert online.returncode == 0 and "wait in an open batch" not in online.stdout
    assert batch_llm.stats()["requests"] == 5


def test_a_killed_collect_resumes_and_ingests_nothing_twice(
    tmp_path: Path, batch_llm: RunningServer, batches: BatchControl
) -> None:
    env, _, output = _written_and_run(tmp_path, batch_llm, batches)

    class Killed(Exception):
        pass

    def kill_after_two(counters: RunCounts) -> None:
        if counters.documents == 2:
            raise Killed

    def provider_for(batch: Any) -> OpenAIChatProvider:
        settings = EndpointSettings(
            model=MODEL, base_url=batch_llm.base_url, api_key=API_KEY, response_format="json_object"
        )
        return OpenAIChatProvider(settings)

    with Store(env["ANNOTATE_DB"]) as store, pytest.raises(Killed):
        asyncio.run(collect_results(store, [output], provider_for, concurrency=1,
                                    on_progress=kill_after_two))  # fmt: skip
    assert sum(_predictions(env["ANNOTATE_DB"]).values()) == 2
    done = _cli(env, "batch", "collect", "--results", str(output))
    assert done.returncode == 0, done.stdout + done.stderr
    predictions = _predictions(env["ANNOTATE_DB"])
    assert len(predictions) == 5 and set(predictions.values()) == {1}
    assert _calls(env["ANNOTATE_DB"]) == 5 and batch_llm.stats()["requests"] == 0


def test_lines_as_vllm_run_batch_writes_them(tmp_path: Path) -> None:
    """vLLM's output lines: an error is a string, a refused request has a null body."""
    completion = {"id": "chatcmpl-1", "object": "chat.completion", "model": MODEL,
                  "choices": [{"index": 0, "message": {"role": "assistant", "content": "{}"},
                               "finish_reason": "stop"}],
                  "usage": {"prompt_tokens": 12, "completion_tokens": 3}}  # fmt: skip
    good = {
        "id": "vllm-a",
        "custom_id": "a",
        "error": None,
        "response": {"status_code": 200, "request_id": "vllm-batch-a", "body": completion},
    }
    refused = {"id": "vllm-b", "custom_id": "b",
               "response": {"status_code": 400, "request_id": "vllm-batch-b", "body": None},
               "error": "The model `other` does not exist."}  # fmt: skip
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps(refused) + "\n")
    first, second = read_results_file(path)
    assert first.answered and first.answer()[0] == "{}"
    assert not second.answered and second.status == 400
    assert second.error == "The model `other` does not exist."
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(ResultsFileError, match="holds no result line"):
        list(read_results_file(empty))
