"""Prices, token estimates, the budget and the circuit breaker, piece by piece.

The same pieces are driven end to end through the command line against the
fake server in `tests/test_exit_codes.py`; here each rule is pinned on its own,
where a failure points at one function.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.errors import ConfigurationError
from annotate.llm import CallFailed, Price, choose_price
from annotate.llm.pricing import is_openai_endpoint, load_prices
from annotate.preannotate.budget import Budget, BudgetReached, CircuitBreaker
from annotate.preannotate.estimate import (
    DEFAULT_OUTPUT_RATIO,
    TokenModel,
    calibrated,
    default_token_model,
)
from annotate.store import CallTotals

LOCAL = "http://127.0.0.1:8000/v1"


# ---------------------------------------------------------------- prices


def test_the_table_prices_openai_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    choice = choose_price("gpt-4o-mini-2024-07-18")
    assert choice.price == Price(0.15, 0.60) and "built-in" in choice.source
    assert choose_price("gpt-4o-mini", base_url="https://api.openai.com/v1").known
    local = choose_price("gpt-4o-mini", base_url=LOCAL)
    assert local.price is None and "no price" in local.source
    monkeypatch.setenv("OPENAI_BASE_URL", LOCAL)  # the SDK's variable counts too
    assert not is_openai_endpoint() and not choose_price("gpt-4o-mini").known


def test_options_override_the_file_and_the_table(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text('{"llama3": {"input": 0.2, "output": 0.4}}')
    from_file = choose_price("llama3.1:8b", prices_file=prices, base_url=LOCAL)
    assert from_file.price == Price(0.2, 0.4) and str(prices) in from_file.source
    half = choose_price("llama3.1", prices_file=prices, base_url=LOCAL, output_override=0.0)
    assert half.price == Price(0.2, 0.0) and half.source == "--price-input/--price-output"
    assert choose_price("qwen", prices_file=prices, base_url=LOCAL).price is None
    only_input = choose_price("qwen", base_url=LOCAL, input_override=1.0)
    assert only_input.price == Price(1.0, 0.0)


def test_a_toml_prices_file_with_the_longest_prefix(tmp_path: Path) -> None:
    prices = tmp_path / "prices.toml"
    prices.write_text(
        '[gpt-4o]\ninput = 2.5\noutput = 10\n\n["gpt-4o-mini"]\ninput = 0.15\noutput = 0.6\n'
    )
    assert load_prices(prices) == {"gpt-4o": (2.5, 10.0), "gpt-4o-mini": (0.15, 0.6)}
    assert choose_price("gpt-4o-mini-x", prices_file=prices, base_url=LOCAL).price == Price(
        0.15, 0.6
    )


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("p.json", "{not json", "not valid"),
        ("p.json", "[1, 2]", "must map"),
        ("p.json", '{"m": {"input": 1}}', "numeric"),
        ("p.toml", "[m]\ninput = -1\noutput = 1\n", "negative"),
    ],
)
def test_a_bad_prices_file_is_a_configuration_error(
    tmp_path: Path, name: str, content: str, says: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=says):
        load_prices(path)
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_prices(tmp_path / "missing.json")


# ---------------------------------------------------------------- token estimates


def _totals(calls: list[tuple[int, int, int]], reasked: int = 0) -> CallTotals:
    """CallTotals of (chars, prompt tokens, completion tokens) calls, as the store sums them."""
    return CallTotals(
        clean_calls=len(calls),
        sum_chars=sum(c for c, _, _ in calls),
        sum_tokens=sum(p for _, p, _ in calls),
        sum_chars_tokens=sum(c * p for c, p, _ in calls),
        sum_chars_squared=sum(c * c for c, _, _ in calls),
        all_calls=len(calls) + reasked,
        all_prompt_tokens=sum(p for _, p, _ in calls),
        all_completion_tokens=sum(o for _, _, o in calls),
    )


def test_the_input_line_is_fitted_on_past_calls() -> None:
    # A server that counts 600 tokens of prompt and 3.5 characters per token.
    calls = [(chars, round(600 + chars / 3.5), chars // 10) for chars in (1000, 2800, 5000, 9000)]
    model = calibrated(_totals(calls), default_token_model(5000))
    assert model.overhead_tokens == pytest.approx(600, abs=1)
    assert model.chars_per_token == pytest.approx(3.5, rel=0.01)
    assert model.prompt_tokens(7000) == pytest.approx(2600, rel=0.01)
    assert "fitted on 4 past calls" in model.input_method
    ratio = sum(o for _, _, o in calls) / sum(p for _, p, _ in calls)
    assert model.output_ratio == pytest.approx(ratio)
    assert "measured on 4 past calls" in model.output_method


def test_without_history_the_estimate_says_it_is_one() -> None:
    model = calibrated(CallTotals(), default_token_model(400))
    assert model.prompt_tokens(4000) == 1100 and model.output_ratio == DEFAULT_OUTPUT_RATIO
    assert "4 characters per token" in model.input_method
    assert "assumed" in model.output_method


def test_texts_of_one_length_do_not_fit_a_line() -> None:
    same = [(2000, 1100, 300)] * 5
    model = calibrated(_totals(same), default_token_model(400))
    assert "4 characters per token" in model.input_method  # the slope is undetermined
    assert "measured on 5" in model.output_method  # the output ratio still is measured


# ---------------------------------------------------------------- budget


def _budget(limit: float) -> Budget:
    """One call of 4,000 characters expected at 1,000 tokens in and 1,000 out: $0.0050."""
    tokens = TokenModel(0, 4, 1.0, "test", "test")
    return Budget(limit, Price(1.0, 4.0), tokens)


def test_calls_in_flight_hold_back_their_expected_cost() -> None:
    budget = _budget(0.012)
    first = budget.reserve(4000)
    second = budget.reserve(4000)
    assert budget.reserved == pytest.approx(0.010)
    with pytest.raises(BudgetReached) as reached:
        budget.reserve(4000)  # nothing is spent yet, but two calls are in flight
    assert reached.value.stop.kind == "budget" and "--max-cost" in reached.value.stop.advice
    budget.settle(first, 0.001)
    budget.settle(second, 0.001)
    assert (budget.spent, budget.reserved) == (pytest.approx(0.002), 0.0)
    budget.reserve(4000)  # cheaper than expected: room again


def test_the_run_corrects_its_estimate_after_a_few_calls() -> None:
    budget = _budget(1.0)
    for _ in range(3):
        budget.settle(budget.reserve(4000), 0.010)  # each call costs twice the estimate
    assert budget.correction == pytest.approx(2.0)
    assert budget.expected_cost(4000) == pytest.approx(0.010)


# ---------------------------------------------------------------- circuit breaker


def test_the_breaker_counts_transport_failures_in_a_row() -> None:
    breaker = CircuitBreaker(3)
    down = CallFailed("transport", "InternalServerError 500")
    assert breaker.failed(down) is None and breaker.failed(down) is None
    breaker.succeeded()  # a prediction in between: the endpoint answers
    assert breaker.failed(down) is None and breaker.failed(down) is None
    assert breaker.failed(CallFailed("invalid_output", "bad JSON")) is None  # an answer: resets
    assert breaker.failed(down) is None and breaker.failed(down) is None
    stop = breaker.failed(down)
    assert stop is not None and stop.kind == "circuit" and "3 documents in a row" in stop.reason
    assert "InternalServerError 500" in stop.reason and "OPENAI_BASE_URL" in stop.advice
    with pytest.raises(ValueError):
        CircuitBreaker(0)
