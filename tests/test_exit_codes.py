"""`annotate preannotate`'s exit status, circuit breaker, budget and dry run, as a script sees them.

Every case runs the real command line (``python -m annotate``) against the fake
OpenAI-compatible server over HTTP, faults injected through its control API:
0 when every document got a prediction, 1 when some failed, 3 when the job
stopped early with the documents it did not reach still pending, and the same
command resuming it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotate.store import Store
from annotate.testing.llm_server import RunningServer, running_llm_server

from .conftest import SEEDS

API_KEY = "sk-test-SECRET-budget-0123456789"
#: OpenAI-like prices (USD per 1M tokens) for the fake model.
PRICES = ["--price-input", "0.15", "--price-output", "0.6"]


@pytest.fixture(scope="module")
def llm() -> Iterator[RunningServer]:
    with running_llm_server() as running:
        yield running


@pytest.fixture
def env(tmp_path: Path, llm: RunningServer) -> dict[str, str]:
    """The five seeds ingested into a fresh store; the endpoint is the fake server."""
    llm.reset()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "LABEL_STUDIO_", "ANNOTATE_"))
    }
    clean.update(
        ANNOTATE_DB=str(tmp_path / "budget.db"),
        ANNOTATE_HOME=str(tmp_path / "home"),
        OPENAI_BASE_URL=llm.base_url,
        OPENAI_API_KEY=API_KEY,
        NO_COLOR="1",
        COLUMNS="80",
    )
    assert cli(clean, "ingest", str(SEEDS)).returncode == 0
    return clean


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "annotate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def preannotate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Pre-annotate with the fake model, quick retries, and no response-format fallback."""
    return cli(
        env, "preannotate", "--model", "fake-model", "--response-format", "json_object", *args
    )


def runs_of(env: dict[str, str]) -> list[dict[str, Any]]:
    with Store(env["ANNOTATE_DB"]) as store:
        return [
            {**run.as_json(), "failures": store.runs.failures(run.id)} for run in store.runs.all()
        ]


def pending(env: dict[str, str]) -> int:
    """Documents without any prediction (whatever the job)."""
    with Store(env["ANNOTATE_DB"]) as store:
        return int(
            store.db.execute(
                "select count(*) from documents d where not exists "
                "(select 1 from predictions p where p.document_id = d.id)"
            ).fetchone()[0]
        )


def seed_text(index: int) -> str:
    """A line from seed `index` that the fake server's fault `match` can find."""
    text = sorted(SEEDS.glob("*.txt"))[index].read_text(encoding="utf-8")
    return next(line for line in text.splitlines() if len(line) > 40)[:40]


# ---------------------------------------------------------------- 0 and 1


def test_every_document_predicted_is_status_0(env: dict[str, str]) -> None:
    result = preannotate(env)
    assert result.returncode == 0, result.stderr
    assert "stopped" not in result.stderr and pending(env) == 0
    # a local server's model has no price: unknown on the progress line, never $0
    assert "cost unknown" in result.stdout and "$0.0000" not in result.stdout


def test_some_documents_failed_is_status_1_with_the_reasons(
    env: dict[str, str], llm: RunningServer
) -> None:
    llm.set_faults([{"kind": "invalid_json", "match": seed_text(1), "times": 1000}])
    result = preannotate(env)
    assert result.returncode == 1, result.stderr
    assert "1 document(s) failed (invalid_output 1)" in result.stdout
    (run,) = runs_of(env)
    assert (run["status"], run["predicted"], run["failed"]) == ("finished", 4, 1)


def test_runs_counts_failures_that_share_a_reason(env: dict[str, str], llm: RunningServer) -> None:
    """Every document failing alike is one line with its count in `annotate runs`."""
    llm.set_faults([{"kind": "invalid_json", "times": 1000}])
    assert preannotate(env, "--max-consecutive-failures", "100").returncode == 1
    shown = cli(env, "runs")
    lines = [line for line in shown.stdout.splitlines() if "invalid_output" in line]
    assert len(lines) == 1 and "invalid_output 5 document(s)" in lines[0], shown.stdout
    assert "and 2 more" in lines[0]


# ---------------------------------------------------------------- the circuit breaker


def test_a_dead_endpoint_trips_the_breaker_and_leaves_the_rest_pending(
    env: dict[str, str], llm: RunningServer
) -> None:
    llm.set_faults([{"kind": "500", "times": 1000}])
    result = preannotate(
        env, "--concurrency", "1", "--max-retries", "0", "--max-consecutive-failures", "2"
    )
    assert result.returncode == 3, result.stderr
    why, how = [line for line in result.stderr.splitlines() if line.strip()]
    assert why.startswith("stopped: 2 documents in a row failed to reach the LLM endpoint")
    assert "500" in why and API_KEY not in result.stderr
    assert how.startswith("3 document(s) stay pending, not failed; 2 failed")
    assert "same command" in how
    (run,) = runs_of(env)
    assert (run["status"], run["documents"], run["failed"]) == ("stopped", 2, 2)
    assert run["stop_reason"].startswith("circuit: 2 documents in a row")
    assert {f.reason for f in run["failures"]} == {"transport"}
    assert pending(env) == 5
    # The endpoint is back: the same command does the two failures and the three left.
    llm.reset()
    again = preannotate(env)
    assert again.returncode == 0, again.stderr
    assert runs_of(env)[-1]["predicted"] == 5 and pending(env) == 0


def test_failures_that_are_not_the_endpoints_do_not_trip_it(
    env: dict[str, str], llm: RunningServer
) -> None:
    llm.set_faults([{"kind": "invalid_json", "times": 1000}])  # the endpoint answers, badly
    result = preannotate(env, "--concurrency", "1", "--max-consecutive-failures", "2")
    assert result.returncode == 1, result.stderr
    assert runs_of(env)[0]["failed"] == 5


# ---------------------------------------------------------------- the budget


def test_the_budget_counts_calls_in_flight_and_stops_before_it_is_passed(
    env: dict[str, str], llm: RunningServer
) -> None:
    # Each call is expected at about $0.0017 here (no history: 4 characters per token,
    # as many tokens out as in): $0.004 holds two, and five workers start together.
    result = preannotate(env, *PRICES, "--max-cost", "0.004", "--concurrency", "5")
    assert result.returncode == 3, result.stderr
    why = result.stderr.splitlines()[0]
    assert why.startswith("stopped: the budget of $0.0040 is reached"), why
    assert "--max-cost" in result.stderr and "3 document(s) stay pending" in result.stderr
    (run,) = runs_of(env)
    assert run["status"] == "stopped" and run["stop_reason"].startswith("budget:")
    assert run["requests"] == 2, "the other three workers were held back, not sent"
    assert 0 < run["cost_usd"] <= 0.004 and run["failures"] == []
    assert pending(env) == 3
    # The same command goes on with the documents left, with a budget of its own.
    again = preannotate(env, *PRICES, "--max-cost", "1")
    assert again.returncode == 0, again.stderr
    assert runs_of(env)[-1]["predicted"] == 3 and pending(env) == 0


def test_a_budget_needs_a_price(env: dict[str, str], llm: RunningServer) -> None:
    result = preannotate(env, "--max-cost", "1")  # a local server's model has no price
    assert result.returncode == 1 and result.stderr.startswith("error: --max-cost needs a price")
    assert "--prices" in result.stderr and llm.stats()["requests"] == 0


# ---------------------------------------------------------------- dry run and prices


def test_dry_run_sends_nothing_and_says_how_it_estimated(
    env: dict[str, str], llm: RunningServer, tmp_path: Path
) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text('["fake-"]\ninput = 0.15\noutput = 0.6\n')
    wide = {**env, "COLUMNS": "250"}  # no cell wrapped
    result = preannotate(wide, "--dry-run", "--prices", str(prices))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "5 pending" in out and "5 (0 cached" in out
    assert "4 characters per token" in out and "no tokenizer" in out and "assumed" in out
    assert f"(prices file {prices})" in out and "per 1,000 documents" in out
    assert llm.stats()["requests"] == 0 and not runs_of(env)
    unpriced = preannotate(wide, "--dry-run")
    assert "unknown (no price for model 'fake-model'" in unpriced.stdout


def test_dry_run_learns_from_past_calls(env: dict[str, str], llm: RunningServer) -> None:
    assert preannotate(env, "--limit", "3").returncode == 0
    estimate = preannotate({**env, "COLUMNS": "250"}, "--dry-run", *PRICES)
    out = estimate.stdout
    assert "fitted on 3 past calls" in out and "measured on 3 past calls" in out
    found = re.search(r"input tokens\s*\S\s*([\d,]+):", out)
    assert found, out
    expected_in = int(found.group(1).replace(",", ""))
    assert preannotate(env, *PRICES).returncode == 0
    real_in = runs_of(env)[-1]["prompt_tokens"]
    assert abs(expected_in - real_in) <= 0.05 * real_in, (expected_in, real_in)


# ---------------------------------------------------------------- annotate runs


def test_runs_shows_cost_per_document_in_80_columns(env: dict[str, str]) -> None:
    assert preannotate(env, *PRICES).returncode == 0
    assert preannotate(env, "--model", "other-model").returncode == 0  # no price
    shown = cli(env, "runs")
    assert shown.returncode == 0
    assert all(len(line) <= 80 for line in shown.stdout.splitlines()), shown.stdout
    first, second = json.loads(cli(env, "runs", "--json").stdout)
    per_document = first["cost_usd"] / 5
    assert first["cost_per_document_usd"] == pytest.approx(per_document)
    assert first["cost_per_1000_documents_usd"] == pytest.approx(per_document * 1000)
    assert f"${per_document:.5f} per document" in shown.stdout
    assert f"${per_document * 1000:.2f} per 1,000" in shown.stdout
    assert second["cost_known"] is False and second["cost_per_document_usd"] is None
    assert "unknown (the model had no price)" in shown.stdout
