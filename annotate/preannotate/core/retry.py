"""Two kinds of "try again": transport retries and validation re-asks.

They are kept apart because they fix different failures. A *transport retry*
re-sends the identical request after a transient HTTP failure (429, 5xx, a
timeout, a dropped connection): nothing about the request was wrong. A
*re-ask* sends a longer conversation, the model's invalid output plus the
validation error, because the request succeeded but the answer was unusable.
Mixing them would re-send a bad answer's conversation on a 500 or retry a
schema violation blindly.

Transport retries use tenacity rather than the SDK's built-in retries (the
client is built with ``max_retries=0``) so that one policy, with one set of
tests, governs every provider call: ``Retry-After`` honoured and capped,
exponential backoff with jitter otherwise, and a failure that names its cause
without ever echoing credentials.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import openai
from pydantic import ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

from annotate.preannotate.providers.base import ExtractionFailed, Usage
from annotate.schemas import Extraction

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Status codes worth re-sending unchanged: timeout, rate limit, and every 5xx.
TRANSIENT_STATUS = frozenset({408, 429})
#: Longest error text quoted back to the model in a re-ask, and into failure details.
MAX_ERROR_CHARS = 2000


# --------------------------------------------------------------------------
# Transport retries
# --------------------------------------------------------------------------


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
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        asked = retry_after_seconds(exc) if exc is not None else None
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
    policy: RetryPolicy, call: Callable[..., Awaitable[T]], *args: Any
) -> T:
    """Await ``call(*args)``, re-sending it on transient failures; re-raises the last error.

    `call` must be an ``async def`` function (tenacity runs other callables synchronously).
    """
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=_RetryAfterOrBackoff(policy),
        retry=retry_if_exception(is_transient),
        before_sleep=_log_retry,
        reraise=True,
    )
    return await retrying(call, *args)


# --------------------------------------------------------------------------
# Failure details without secrets
# --------------------------------------------------------------------------

_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)\S+"),
    re.compile(r"\bsk-[A-Za-z0-9_\-*]{6,}"),
)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with the given secrets, bearer tokens and ``sk-...`` keys masked.

    Error bodies from some servers echo part of the key ("Incorrect API key
    provided: sk-test-***6789"); masking the known key *and* anything key-shaped
    keeps failure details safe to store in the database and to print.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _SECRET_PATTERNS[0].sub(r"\1***", text)
    return _SECRET_PATTERNS[1].sub("sk-***", text)


def short_error(exc: BaseException, secrets: Iterable[str | None] = ()) -> str:
    """One line naming the error class, HTTP status and (redacted, truncated) message."""
    status = getattr(exc, "status_code", None)
    head = type(exc).__name__ + (f" {status}" if status else "")
    message = str(getattr(exc, "message", None) or exc)
    return redact(f"{head}: {message}", secrets)[:MAX_ERROR_CHARS]


def failure_from(
    exc: BaseException, usage: Usage, secrets: Iterable[str | None] = ()
) -> ExtractionFailed:
    """The `ExtractionFailed` a final transport or HTTP error ends in.

    Transient errors that outlived the retries are ``transport``; any other 4xx
    is ``bad_request`` because re-sending the same request cannot help.
    """
    reason = "transport"
    if isinstance(exc, openai.APIStatusError) and not is_transient(exc):
        reason = "bad_request"
    return ExtractionFailed(reason, short_error(exc, secrets), usage)


# --------------------------------------------------------------------------
# Validation re-asks
# --------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*\n(.*?)\n?```\s*$", re.DOTALL)


def strip_fences(content: str) -> str:
    """Drop a Markdown code fence around the JSON (local models in JSON mode add them)."""
    match = _FENCE.match(content)
    return match.group(1) if match else content.strip()


def parse_extraction(content: str | None) -> Extraction:
    """Parse and validate a model's answer; raises `ValueError` (incl. ValidationError)."""
    if not content or not content.strip():
        raise ValueError("the answer was empty: expected one JSON object")
    return Extraction.model_validate_json(strip_fences(content))


def describe_invalid(exc: ValueError) -> str:
    """A compact, model-readable list of what is wrong, at most ~2 KB."""
    if isinstance(exc, ValidationError):
        lines = [f"{exc.error_count()} validation error(s):"]
        for error in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in error["loc"]) or "(root)"
            lines.append(f"- {where}: {error['msg']}")
        text = "\n".join(lines)
    else:
        text = str(exc)
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 15] + "\n... (truncated)"
    return text


REASK_INSTRUCTION = (
    "Your previous answer could not be used: it is not valid JSON for the required schema.\n"
    "Error:\n{error}\n\n"
    "Reply with the corrected JSON object only: follow the schema exactly, include every "
    "required field, and copy quotes verbatim from the article."
)


def reask_messages(bad_output: str | None, exc: ValueError) -> list[dict[str, Any]]:
    """The two messages appended to the conversation to ask for a corrected answer."""
    return [
        {"role": "assistant", "content": bad_output or ""},
        {"role": "user", "content": REASK_INSTRUCTION.format(error=describe_invalid(exc))},
    ]
