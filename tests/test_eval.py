"""`annotate eval`: a model and prompt run over the documents with gold and scored against it.

Through the CLI, against the fake OpenAI-compatible server (and the offline
rules): two prompts on the `annotated` store, the figures cross-checked with
model-vs-gold (`gold_report`) for the same predictions, cost and tokens as the
server counted them, `--compare` best first, and a re-run that calls nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.gold.report import gold_report
from annotate.ingest import ingest_paths
from annotate.prompts import load_prompt, prompt_hash, prompt_version, read_prompt
from annotate.store import Store
from annotate.testing.llm_server import RunningServer, running_llm_server

from .conftest import SEEDS

API_KEY = "sk-test-SECRET-eval-77777"
WEAK = "annotate.testing.llm_server:first_sentence_responder"
runner = CliRunner()


@pytest.fixture(scope="module")
def good() -> Iterator[RunningServer]:
    """Answers as the rules extractor does (what the annotators started from)."""
    with running_llm_server() as running:
        yield running


@pytest.fixture(scope="module")
def weak() -> Iterator[RunningServer]:
    """Answers with the article's first sentence as its only claim."""
    with running_llm_server(responder=WEAK) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(good: RunningServer, weak: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    good.reset()
    weak.reset()
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def _eval(db: Path, *args: str, base_url: str | None = None) -> tuple[int, str]:
    env = {"OPENAI_BASE_URL": base_url} if base_url else {}
    result = runner.invoke(app, ["--db", str(db), "eval", *args], env=env)
    return result.exit_code, result.output


def _eval_json(db: Path, *args: str, base_url: str | None = None) -> dict[str, Any]:
    code, output = _eval(db, *args, "--json", base_url=base_url)
    assert code == 0, output
    return json.loads(output[output.index("{") :])  # after the "pre-annotating" line


def _openai(model: str) -> list[str]:
    return ["--provider", "openai", "--model", model, "--max-retries", "1",
            "--price-input", "1", "--price-output", "2"]  # fmt: skip


def test_two_prompts_scored_as_model_vs_gold_with_their_cost_and_compared(
    annotated: Path, good: RunningServer, weak: RunningServer, tmp_path: Path
) -> None:
    terse = tmp_path / "terse.md"
    terse.write_text(load_prompt() + "\nQuote only the first claim.\n", encoding="utf-8")

    default = _eval_json(annotated, *_openai("good-model"), base_url=good.base_url)
    good_stats = good.stats()
    other = _eval_json(annotated, *_openai("weak-model"), "--prompt", str(terse),
                       base_url=weak.base_url)  # fmt: skip
    weak_stats = weak.stats()

    with Store(annotated) as store:
        gold_documents = sum(1 for _ in store.gold.annotations())
        reference = gold_report(store)["model_vs_gold"]
    assert gold_documents > 0
    # The prompts: the default's version, and the file's own hash, sent as the system prompt.
    assert default["prompt_name"] == "default"
    assert default["prompt_version"] == prompt_version()
    assert other["prompt_name"] == "terse"
    assert other["prompt_version"] == prompt_hash(read_prompt(terse)[1])
    assert other["prompt_version"] != prompt_version()
    system = weak_stats["last_request"]["messages"][0]["content"]
    assert system.startswith(terse.read_text(encoding="utf-8").rstrip()[:200])
    for result, stats in ((default, good_stats), (other, weak_stats)):
        # Every document with gold was predicted and scored, one request each.
        assert result["gold_documents"] == result["scored"] == gold_documents
        assert result["failed"] == 0
        # The same figures model-vs-gold computes for the same predictions.
        assert result["fields"] == reference[result["model_version"]]
        # Cost and tokens: what the server was asked and counted, at the given prices.
        totals = result["totals"]
        assert totals["requests"] == stats["requests"] == gold_documents
        assert totals["prompt_tokens"] > 0 and totals["completion_tokens"] > 0
        expected = (totals["prompt_tokens"] * 1 + totals["completion_tokens"] * 2) / 1e6
        assert totals["cost_usd"] == pytest.approx(expected, rel=1e-6)
        assert result["per_document"]["cost_usd"] == pytest.approx(expected / gold_documents,
                                                                   abs=1e-6)  # fmt: skip
        assert result["per_document"]["seconds"] > 0
    assert default["f1"] > other["f1"]

    # Re-run: the cache answers, no call is made, and the figures are the same.
    again = _eval_json(annotated, *_openai("good-model"), base_url=good.base_url)
    assert good.stats()["requests"] == good_stats["requests"]
    assert again["run_id"] is None
    assert {k: again[k] for k in ("f1", "fields", "totals")} == {
        k: default[k] for k in ("f1", "fields", "totals")
    }

    # --compare: one row per (model, prompt), best F1 first; the weak one last.
    code, output = _eval(annotated, "--compare", "--json")
    assert code == 0, output
    rows = json.loads(output)["evaluations"]
    assert [(r["model"], r["prompt_name"]) for r in rows] == [
        ("good-model", "default"),
        ("weak-model", "terse"),
    ]
    assert rows[0]["id"] == again["id"]  # the latest evaluation of each
    code, output = _eval(annotated, "--compare")
    assert code == 0, output
    assert output.index("good-model") < output.index("weak-model")
    assert max(len(line) for line in output.splitlines()) <= 80


def test_rules_provider_is_scored_without_new_work(annotated: Path) -> None:
    with Store(annotated) as store:
        runs = len(store.runs.all())
    result = _eval_json(annotated, "--provider", "rules")
    with Store(annotated) as store:
        assert len(store.runs.all()) == runs  # the fixture's predictions are the job's: no run
        reference = gold_report(store)["model_vs_gold"][result["model_version"]]
        evaluations = store.evaluations.all()
    assert result["fields"] == reference
    assert result["scored"] == result["gold_documents"] > 0
    assert result["totals"]["cost_usd"] == 0 and result["prompt_version"] == ""
    # The overall figure is micro-averaged over the fields counted once.
    counts = evaluations[-1].counts
    once = [n for n in counts if ":" not in n or n.startswith("relation:")]
    tp, fp, fn = (sum(counts[n][i] for n in once) for i in range(3))
    assert result["f1"] == round(2 * tp / (2 * tp + fp + fn), 4)
    assert result["precision"] == round(tp / (tp + fp), 4)


def test_no_gold_and_bad_prompt_are_one_line_errors(tmp_path: Path, annotated: Path) -> None:
    db = tmp_path / "bare.db"
    with Store(db) as store:
        ingest_paths(store, [SEEDS])
    code, output = _eval(db, "--provider", "rules")
    assert code == 1 and "annotate pull" in output
    code, output = _eval(annotated, "--provider", "rules", "--prompt", "extract")
    assert code == 1 and "--provider openai" in output
    code, output = _eval(annotated, "--provider", "openai", "--model", "m",
                         "--prompt", str(tmp_path / "missing.md"))  # fmt: skip
    assert code == 1 and "no prompt file" in output
    code, output = _eval(db, "--compare")
    assert code == 0 and "no evaluations yet" in output


def test_a_prompt_is_found_by_name_in_prompts_and_versioned_like_the_default() -> None:
    name, text = read_prompt("extract")
    assert (name, text) == ("extract", load_prompt())
    assert read_prompt(Path("prompts") / "extract.md")[1] == load_prompt()


def test_max_cost_stops_the_evaluation_before_the_budget_and_records_nothing(
    annotated: Path, good: RunningServer
) -> None:
    # One document costs well over $0.0001 at $1/$2 per 1M tokens: the budget stops the job.
    code, output = _eval(annotated, *_openai("good-model"), "--max-cost", "0.0001",
                         "--concurrency", "1", base_url=good.base_url)  # fmt: skip
    assert code == 3, output
    assert "stopped:" in output and "--max-cost" in output and "nothing recorded" in output
    stopped_requests = good.stats()["requests"]
    with Store(annotated) as store:
        gold_documents = sum(1 for _ in store.gold.annotations())
        assert store.evaluations.all() == []
    assert stopped_requests < gold_documents

    # The same command with room to spend resumes: only the rest is sent, and it is recorded.
    result = _eval_json(annotated, *_openai("good-model"), "--max-cost", "5",
                        base_url=good.base_url)  # fmt: skip
    assert result["scored"] == result["gold_documents"] == gold_documents
    assert good.stats()["requests"] == gold_documents
    assert result["totals"]["requests"] == gold_documents


def test_max_cost_without_a_price_is_a_one_line_error(annotated: Path, good: RunningServer) -> None:
    code, output = _eval(annotated, "--provider", "openai", "--model", "local-model",
                         "--max-cost", "1", base_url=good.base_url)  # fmt: skip
    assert code == 1
    assert output.startswith("error: --max-cost needs a price") and output.count("\n") == 1
    assert good.stats()["requests"] == 0


def test_the_evaluation_shows_its_progress_line(annotated: Path, good: RunningServer) -> None:
    code, output = _eval(annotated, *_openai("good-model"), base_url=good.base_url)
    assert code == 0, output
    with Store(annotated) as store:
        gold_documents = sum(1 for _ in store.gold.annotations())
    lines = output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("evaluating"))
    bar, figures = lines[at], lines[at + 1]  # the bar, then the job's figures below it
    assert f"{gold_documents}/{gold_documents}" in bar and "docs/s" in figures


def test_documents_waiting_in_an_open_batch_of_the_job_are_not_paid_for_twice(
    annotated: Path, good: RunningServer
) -> None:
    submitted = runner.invoke(app, ["--db", str(annotated), "preannotate", *_openai("good-model"),
                                    "--batch", "--limit", "3"],
                              env={"OPENAI_BASE_URL": good.base_url})  # fmt: skip
    assert submitted.exit_code == 0, submitted.output

    code, output = _eval(annotated, *_openai("good-model"), "--json", base_url=good.base_url)
    assert code == 0, output
    with Store(annotated) as store:  # the gold is kept by the evaluation's gold pass
        gold = {d for (d,) in store.db.execute("select document_id from gold")}
        batched = {d for (d,) in store.db.execute("select document_id from batch_documents")}
    waiting = len(gold & batched)
    assert waiting > 0 and len(gold) > waiting
    assert f"{waiting} document(s) with gold wait in an open batch of this job" in output
    assert good.stats()["requests"] == len(gold) - waiting  # none for the batched ones
    result = json.loads(output[output.index("{") :])
    assert result["scored"] == len(gold) - waiting and result["failed"] == waiting
