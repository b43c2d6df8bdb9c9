"""`annotate compare --provider openai` on the seeds, through the fake LLM server with faults.

The same command a user runs: faults recovered, verdicts kept, a re-run asks
nothing, a pair the server never answers validly fails the command with one
line (exit 1) while the rest is written, and the next run judges only it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.store import Store
from annotate.testing.llm_server import RunningServer, running_llm_server

from .conftest import by_the_rules

API_KEY = "sk-test-SECRET-compare-55555"
runner = CliRunner()


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_llm_server(reject_json_schema="llama.cpp") as running:
        yield running


@pytest.fixture
def seeds_db(tmp_path: Path, server: RunningServer,
             monkeypatch: pytest.MonkeyPatch) -> Path:  # fmt: skip
    server.reset()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    db = tmp_path / "seeds.db"
    return by_the_rules(db)


def _compare(db: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(db), "compare", "--provider", "openai",
                                 "--model", "fake-judge", "--max-retries", "3",
                                 "--out", str(out), *extra])  # fmt: skip
    return result.exit_code, result.output


def test_faults_are_recovered_and_a_rerun_asks_nothing(
    seeds_db: Path, tmp_path: Path, server: RunningServer
) -> None:
    server.set_faults([
        {"kind": "500", "times": 3},
        {"kind": "429", "times": 2, "retry_after": 0.1},
        {"kind": "invalid_json", "times": 2},
        {"kind": "validation_error", "times": 2},
    ])  # fmt: skip
    status, output = _compare(seeds_db, tmp_path / "one")
    assert status == 0, output
    stats = server.stats()
    assert sum(stats["faults"].values()) == 9 and not stats["faults_left"]
    pairs = [json.loads(line) for line in (tmp_path / "one" / "pairs.jsonl").open()]
    facts = json.loads((tmp_path / "one" / "facts.json").read_text())
    counts = facts["comparison"]["counts"]
    assert pairs and counts["candidate_pairs"] == len(pairs) == counts["judge_usage"]["calls"]
    assert counts["judge_usage"]["requests"] > counts["judge_usage"]["calls"]
    assert counts["judge_usage"]["reasks"] >= 2
    assert all(p["judge"].startswith("fake-judge+prompt-") for p in pairs)
    assert API_KEY not in output and API_KEY not in json.dumps(facts)

    requests_before = server.stats()["requests"]
    status, output = _compare(seeds_db, tmp_path / "two")
    assert status == 0, output
    assert server.stats()["requests"] == requests_before  # every verdict was kept
    again = json.loads((tmp_path / "two" / "facts.json").read_text())
    assert again["comparison"]["counts"]["reused_verdicts"] == len(pairs)
    assert again["facts"] == facts["facts"]
    with Store(seeds_db) as store:
        assert API_KEY not in json.dumps([c.params for c in store.comparisons.runs()])

    status, output = _compare(seeds_db, tmp_path / "three", "--temperature", "0.5")
    assert status == 0, output
    warmer = json.loads((tmp_path / "three" / "facts.json").read_text())["comparison"]
    assert warmer["counts"]["judge_usage"]["calls"] == len(pairs)  # other settings: asked again


def test_a_pair_never_answered_fails_the_run_and_is_judged_next_time(
    seeds_db: Path, tmp_path: Path, server: RunningServer
) -> None:
    # One pair at a time, the first pair asked gets the three spoilt answers (the first
    # and two re-asks): whichever claims the rules find, exactly one pair fails.
    server.set_faults([{"kind": "validation_error", "times": 3}])
    status, output = _compare(seeds_db, tmp_path / "one", "--concurrency", "1")
    assert status == 1
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "could not be judged" in lines[0] and "again" in lines[0]
    assert "Traceback" not in output
    first = json.loads((tmp_path / "one" / "facts.json").read_text())["comparison"]["counts"]
    assert first["unjudged"] == 1
    assert (tmp_path / "one" / "report.html").exists()

    server.set_faults([])
    requests_before = server.stats()["requests"]
    status, output = _compare(seeds_db, tmp_path / "two")
    assert status == 0, output
    second = json.loads((tmp_path / "two" / "facts.json").read_text())["comparison"]["counts"]
    assert second["unjudged"] == 0
    assert second["judge_usage"]["calls"] == first["unjudged"]
    # one request per unjudged pair, and the one json_schema request llama.cpp refuses
    assert server.stats()["requests"] - requests_before == first["unjudged"] + 1


def test_pairs_failing_alike_are_counted_in_one_line(
    seeds_db: Path, tmp_path: Path, server: RunningServer
) -> None:
    """Every pair failing for one reason is said once with its count, not once per pair."""
    server.set_faults([{"kind": "validation_error", "times": 100_000}])
    status, output = _compare(seeds_db, tmp_path / "spoilt")
    server.set_faults([])
    assert status == 1
    (line,) = [" ".join(line.split()) for line in output.splitlines() if line.startswith("error:")]
    counts = json.loads((tmp_path / "spoilt" / "facts.json").read_text())["comparison"]["counts"]
    ((reason, failed),) = counts["failure_reasons"].items()
    assert failed == counts["unjudged"] == counts["candidate_pairs"] > 1
    assert f"Reasons: {reason} {failed:,}" in line and line.count(f"{reason}:") == 1
    assert "run the same command again" in line


def test_a_refused_key_stops_with_one_line(seeds_db: Path, tmp_path: Path,
                                           server: RunningServer) -> None:  # fmt: skip
    server.set_faults([{"kind": "401", "times": 1000}])
    status, output = _compare(seeds_db, tmp_path / "out")
    assert status == 1
    assert "OPENAI_API_KEY" in output and API_KEY not in output
    assert "Traceback" not in output


def test_an_unreachable_endpoint_marks_the_comparison_failed(
    seeds_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    status, output = _compare(seeds_db, tmp_path / "out", "--max-retries", "0")
    assert status == 1 and "cannot be reached" in output and "Traceback" not in output
    with Store(seeds_db) as store:
        assert [c.status for c in store.comparisons.runs()] == ["failed"]


def test_a_prices_file_prices_the_judge_of_a_local_server(
    seeds_db: Path, tmp_path: Path, server: RunningServer
) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text("[fake-judge]\ninput = 1.0\noutput = 2.0\n", encoding="utf-8")
    status, output = _compare(seeds_db, tmp_path / "priced", "--prices", str(prices))
    assert status == 0, output
    usage = json.loads((tmp_path / "priced" / "facts.json").read_text())["comparison"]["counts"][
        "judge_usage"
    ]
    expected = (usage["prompt_tokens"] * 1.0 + usage["completion_tokens"] * 2.0) / 1e6
    assert usage["prompt_tokens"] > 0 and usage["cost_usd"] == pytest.approx(expected, rel=1e-6)
    assert usage["priced"] and "cost unknown" not in output


def test_an_unpriced_judge_costs_unknown_not_zero(
    seeds_db: Path, tmp_path: Path, server: RunningServer
) -> None:
    """A local server's model has no price: the summary says so, as preannotate does."""
    status, output = _compare(seeds_db, tmp_path / "unpriced")
    assert status == 0, output
    output = " ".join(output.split())  # the console wraps at its width
    assert "cost unknown" in output and "--prices" in output and "$0.0000" not in output
    usage = json.loads((tmp_path / "unpriced" / "facts.json").read_text())["comparison"][
        "counts"
    ]["judge_usage"]
    assert usage["priced"] is False


@pytest.fixture(scope="module")
def strict_server() -> Iterator[RunningServer]:
    """A server that takes ``json_schema``, so the union goes as strict structured outputs."""
    with running_llm_server() as running:
        yield running


@pytest.mark.parametrize(
    ("strict", "answers"),
    [(True, "any_instance"), (False, "any_instance"), (False, "union_ignored")],
    ids=["json_schema-any-instance", "json_object-any-instance", "json_object-union-ignored"],
)
def test_any_answer_the_schema_allows_judges_every_pair(
    seeds_db: Path, tmp_path: Path, server: RunningServer, strict_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch, strict: bool, answers: str,
) -> None:  # fmt: skip
    """A server answering with any instance of the schema sent (or ignoring its union):
    every pair is judged, nothing re-asked, and what a relation does not use is counted."""
    endpoint = strict_server if strict else server
    endpoint.reset()
    endpoint.configure(comparison_answers=answers)
    monkeypatch.setenv("OPENAI_BASE_URL", endpoint.base_url)
    status, output = _compare(seeds_db, tmp_path / "out")
    assert status == 0, output
    counts = json.loads((tmp_path / "out" / "facts.json").read_text())["comparison"]["counts"]
    usage = counts["judge_usage"]
    pairs = [json.loads(line) for line in (tmp_path / "out" / "pairs.jsonl").open()]
    assert counts["unjudged"] == 0 and usage["reasks"] == 0
    assert len(pairs) == counts["candidate_pairs"] == usage["calls"] > 50
    assert {p["relation"] for p in pairs} == {"same", "contradicts", "elaborates", "unrelated"}
    assert all(p["detail"] is None for p in pairs if p["relation"] != "contradicts")
    formats = endpoint.stats()["response_formats"]
    assert formats.get("json_object", 0) == (0 if strict else usage["calls"])
    if answers == "union_ignored":
        assert usage["unused_fields"] > 0
        assert f"{usage['unused_fields']} fields the answers' relations do not use" in output
    else:
        assert usage["unused_fields"] == 0
