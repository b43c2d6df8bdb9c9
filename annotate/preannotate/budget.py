"""When a pre-annotation job stops early: a spending budget and a circuit breaker.

Both exist because a job over tens of thousands of documents must not keep
going when going on is pointless or costly. A *stopped* job is not a failed
one: the documents it did not reach are left pending (never recorded as
failures), so the same command resumes it once the cause is gone.

* `Budget` (``--max-cost``): before each call is sent, its expected cost is
  *reserved*; after it returns, the reservation is *settled* with the cost of
  the tokens the server reported. A call is not sent when what was spent, plus
  what calls in flight are expected to cost, plus its own expected cost would
  pass the limit, so concurrent workers cannot overshoot together. Expected
  costs come from `estimate.TokenModel`, corrected during the run by the ratio
  of real to expected cost once a few calls have settled.
* `CircuitBreaker` (``--max-consecutive-failures``): documents that fail one
  after another for transport reasons (5xx, timeouts, dropped connections,
  rate limits that outlived the retries) say the endpoint is down, not that
  the documents are bad; after `threshold` of them in a row the job stops
  instead of retrying every remaining document for minutes each. Any other
  outcome (a prediction, an invalid answer) proves the endpoint answers and
  resets the count. An endpoint that refuses the key or cannot be connected to
  at all (`EndpointFailed`) stops the job at the first failure, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotate.errors import ConfigurationError
from annotate.llm import CallFailed, Price

from .estimate import TokenModel

#: Consecutive transport failures after which a job stops (``--max-consecutive-failures``).
DEFAULT_MAX_CONSECUTIVE_FAILURES = 5
#: Failure reasons that say the endpoint, not the document, is the problem.
TRANSPORT_REASONS = frozenset({"transport"})
#: Settled calls needed before the run's own real/expected cost ratio corrects estimates.
CORRECTION_AFTER_CALLS = 3


@dataclass(frozen=True)
class Stop:
    """Why a job stopped early, and what to do before running the same command again."""

    #: ``budget``, ``circuit`` (consecutive transport failures) or ``endpoint``.
    kind: str
    reason: str
    advice: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


@dataclass(frozen=True)
class Reservation:
    """A call's share of the budget: its uncorrected `expected` cost and the amount `held`."""

    expected: float
    held: float


class BudgetReached(Exception):
    """A call was not sent because it would pass the budget (the pipeline's internal signal)."""

    def __init__(self, stop: Stop) -> None:
        super().__init__(str(stop))
        self.stop = stop


class Budget:
    """A spending limit in USD, with the expected cost of calls in flight held back.

    Not thread-safe, and need not be: the job's workers share one event loop,
    and `reserve` does not await.
    """

    def __init__(self, limit: float, price: Price, tokens: TokenModel) -> None:
        if limit < 0:
            raise ValueError(f"a budget cannot be negative ({limit})")
        self.limit = limit
        self.price = price
        self.tokens = tokens
        self.spent = 0.0
        self.reserved = 0.0
        self._expected_settled = 0.0
        self._actual_settled = 0.0
        self._settled_calls = 0

    def expected_cost(self, text_chars: int) -> float:
        """A call's expected cost for `text_chars` of text, corrected by this run's calls so far."""
        return self._raw_cost(text_chars) * self.correction

    def _raw_cost(self, text_chars: int) -> float:
        prompt = self.tokens.prompt_tokens(text_chars)
        return self.price.cost(prompt, self.tokens.completion_tokens(prompt))

    @property
    def correction(self) -> float:
        """Real over expected cost of the calls settled in this run (1 until there are a few)."""
        if self._settled_calls < CORRECTION_AFTER_CALLS or self._expected_settled <= 0:
            return 1.0
        return self._actual_settled / self._expected_settled

    def reserve(self, text_chars: int) -> Reservation:
        """Hold back a call's expected cost; raises `BudgetReached` when it would not fit."""
        raw = self._raw_cost(text_chars)
        held = raw * self.correction
        if self.spent + self.reserved + held > self.limit:
            raise BudgetReached(self.stop(held))
        self.reserved += held
        return Reservation(raw, held)

    def settle(self, reservation: Reservation, cost: float) -> None:
        """Replace a reservation by what the call really cost (failed calls cost too)."""
        self.reserved = max(self.reserved - reservation.held, 0.0)
        self.spent += cost
        self._expected_settled += reservation.expected
        self._actual_settled += cost
        self._settled_calls += 1

    def stop(self, next_call: float) -> Stop:
        return Stop(
            "budget",
            f"the budget of ${self.limit:.4f} is reached: ${self.spent:.4f} spent, "
            f"${self.reserved:.4f} expected for calls in flight, and the next call is "
            f"expected to cost ${next_call:.4f}",
            "run the same command with a new --max-cost (it counts this run's spending "
            "only) to go on with the documents left",
        )


def budget_price(price: Price | None, model: str) -> Price:
    """The price a budget counts in; an unknown price is an error, never a free model."""
    if price is None:
        raise ConfigurationError(
            f"--max-cost needs a price for model {model!r}: give "
            "--price-input/--price-output or --prices FILE"
        )
    return price


class CircuitBreaker:
    """Counts documents that failed one after another for transport reasons."""

    def __init__(self, threshold: int = DEFAULT_MAX_CONSECUTIVE_FAILURES) -> None:
        if threshold < 1:
            raise ValueError(f"the breaker needs a threshold of at least 1, not {threshold}")
        self.threshold = threshold
        self.consecutive = 0
        self.last: CallFailed | None = None

    def succeeded(self) -> None:
        """The endpoint answered (even if the answer was unusable): the run of failures ends."""
        self.consecutive = 0

    def failed(self, failure: CallFailed) -> Stop | None:
        """Count `failure`; the `Stop` when it completes a run of `threshold` transport failures."""
        if failure.reason not in TRANSPORT_REASONS:
            self.consecutive = 0
            return None
        self.consecutive += 1
        self.last = failure
        if self.consecutive < self.threshold:
            return None
        return Stop(
            "circuit",
            f"{self.consecutive} documents in a row failed to reach the LLM endpoint "
            f"(last: {failure.detail[:300]})",
            "check that the endpoint is up (OPENAI_BASE_URL), then run the same command",
        )
