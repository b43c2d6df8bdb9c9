"""Transport retries: re-send the identical request after a transient HTTP failure.

A *transport retry* re-sends the same request after a 429, a 5xx, a timeout or
a dropped connection: nothing about the request was wrong. A *re-ask*
(`annotate.llm.answers`) is kept apart: it sends a longer conversation because
the request succeeded but the answer was unusable. Mixing them would re-send a
bad answer's conversation on a 500 or retry a schema violation blindly.

Retries use tenacity rather than the SDK's built-in retries (the client is
built with ``max_retries=0``) so that one policy, with one set of tests,
governs every call: ``Retry-After`` honoured and capped, exponential backoff
with jitter otherwise.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

from .redaction import short_error

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Status codes worth re-sending unchanged: timeout, rate limit, and every 5xx.
TRANSIENT_STATUS = frozenset({408, 429})
#: Seconds a refused connection is retried before the endpoint counts as down (a server
#: restarting comes back within them); `StructuredChat` then stops every call at once.
CONNECT_GRACE = 3.0
#: Longest wait between two tries of a connection that failed: the grace is short.
CONNECT_RETRY_WAIT = 0.5


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before re-sending a request.

    `max_retries` counts re-sends, so a call makes at most ``max_retries + 1``
    HTTP attempts. Waits double from `backoff_initial` up to `backoff_max`, plus
    up to `backoff_initial` of random jitter so that concurrent workers that
    failed together do not retry together. A server's ``Retry-After`` replaces
    the backoff, capped at `retry_after_cap` so one bad header cannot stall a job.
    """

    max_retries: int = 6
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0


def is_transient(exc: BaseException) -> bool:
    """True for failures that the same request may not hit again."""
    import openai  # loaded by now: only a call made with the SDK is retried

    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500 or exc.status_code in TRANSIENT_STATUS
    return False


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's requested wait: ``retry-after-ms``, or ``Retry-After`` (seconds or date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    millis = _parse_float(headers.get("retry-after-ms"))
    if millis is not None:
        return max(millis / 1000, 0.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _parse_float(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError, IndexError):
        return None


def _parse_float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


class _RetryAfterOrBackoff(wait_base):
    """Wait what the server asked for when it said so, else back off exponentially."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def backoff(self, attempt: int) -> float:
        """Doubling from `backoff_initial`, capped, plus up to `backoff_initial` of jitter.

        Written out rather than tenacity's `wait_exponential_jitter`, whose
        parameters changed name between tenacity 8 and 9.
        """
        policy = self.policy
        base = min(policy.backoff_initial * 2 ** (attempt - 1), policy.backoff_max)
        return base + random.uniform(0, policy.backoff_initial)

    def __call__(self, retry_state: RetryCallState) -> float:
        import openai

        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        asked = retry_after_seconds(exc) if exc is not None else None
        if isinstance(exc, openai.APIConnectionError) and not isinstance(
            exc, openai.APITimeoutError
        ):
            return min(self.backoff(retry_state.attempt_number), CONNECT_RETRY_WAIT)
        if asked is None:
            return self.backoff(retry_state.attempt_number)
        # A little extra jitter: workers told the same Retry-After should not all wake at once.
        return min(asked, self.policy.retry_after_cap) + random.uniform(0, 0.1 * min(asked, 1.0))


def _log_retry(retry_state: RetryCallState) -> None:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
    log.info(
        "transient failure (%s), retry %d in %.2fs",
        short_error(exc) if exc else "?",
        retry_state.attempt_number,
        wait,
    )


async def call_with_retries(
    policy: RetryPolicy,
    call: Callable[..., Awaitable[T]],
    *args: Any,
    give_up: Callable[[BaseException], bool] | None = None,
    on_retry: Callable[[], None] | None = None,
) -> T:
    """Await ``call(*args)``, re-sending it on transient failures; re-raises the last error.

    `call` must be an ``async def`` function (tenacity runs other callables
    synchronously). `give_up` names transient-looking failures that re-sending
    cannot fix (llama-cpp-python answers an unsupported ``response_format``
    with a 500). `on_retry` is told of each re-send as its wait begins, so that
    a progress display shows a struggling endpoint while it struggles, not
    after the call ends.

    The first attempt is made before tenacity's retrying object, which costs
    30 µs to make, and most calls need no other: a failure worth retrying is
    handed to tenacity as its first attempt's (`_replayed`), so the waits,
    logs and attempts that follow are the ones tenacity always made.
    """

    def worth_retrying(exc: BaseException) -> bool:
        return is_transient(exc) and not (give_up is not None and give_up(exc))

    try:
        return await call(*args)
    except BaseException as exc:
        if not worth_retrying(exc):
            raise
        first = exc

    def before_sleep(retry_state: RetryCallState) -> None:
        _log_retry(retry_state)
        if on_retry is not None:
            on_retry()

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=_RetryAfterOrBackoff(policy),
        retry=retry_if_exception(worth_retrying),
        before_sleep=before_sleep,
        reraise=True,
    )
    return await retrying(_replayed(first, call), *args)


def _replayed(
    first: BaseException, call: Callable[..., Awaitable[T]]
) -> Callable[..., Awaitable[T]]:
    """`call`, whose first attempt raises `first` again (it was made already) instead."""
    pending = [first]

    async def attempt(*args: Any) -> T:
        if pending:
            raise pending.pop()
        return await call(*args)

    return attempt
