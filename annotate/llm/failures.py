"""How a structured call ends when it does not end in an answer.

Two kinds, because they call for different reactions: a `CallFailed` is this
call's failure (the caller records it and goes on with the next input); an
`EndpointFailed` holds for every call (a refused key, a URL that does not
exist, a server that cannot be reached), so the caller stops at the first one
rather than recording the same failure thousands of times.
"""

from __future__ import annotations

from collections.abc import Iterable

from annotate.errors import ProviderError

from .redaction import redact, short_error
from .retry import is_transient
from .usage import Usage


class CallFailed(Exception):
    """One call ended without a usable answer; `reason` is a short code.

    Reasons: ``truncated`` (finish_reason=length), ``context_length`` (the
    prompt does not fit the model's context window: refused by the server, or
    not sent because the estimate says so), ``invalid_output`` (no valid JSON
    after the re-asks), ``transport`` (HTTP errors after the retries),
    ``refused`` (the model refused), ``bad_request`` (4xx other than 429, or a
    request form the server rejects). The message never contains credentials.
    """

    def __init__(self, reason: str, detail: str, usage: Usage | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.usage = usage or Usage()


class EndpointFailed(CallFailed, ProviderError):
    """The endpoint refuses the credentials or cannot be reached: no call can succeed.

    Still a `CallFailed` (with its reason and detail) for code that handles one
    call, and a `ProviderError` whose message names what to fix, so that a run
    stops with one line instead of failing every remaining input.
    """

    def __init__(self, failure: CallFailed, message: str) -> None:
        super().__init__(failure.reason, failure.detail, failure.usage)
        self.message = message

    def __str__(self) -> str:
        return self.message


def failure_from(
    exc: BaseException, usage: Usage, secrets: Iterable[str | None] = ()
) -> CallFailed:
    """The `CallFailed` a final transport or HTTP error ends in.

    Transient errors that outlived the retries are ``transport``; any other 4xx
    is ``bad_request`` because re-sending the same request cannot help.
    """
    import openai  # loaded by now: `exc` came from it (see `annotate.llm.client`)

    reason = "transport"
    if isinstance(exc, openai.APIStatusError) and not is_transient(exc):
        reason = "bad_request"
    return CallFailed(reason, short_error(exc, secrets), usage)


def endpoint_failure(
    failure: CallFailed, exc: BaseException, url: str, model: str, secrets: Iterable[str | None]
) -> CallFailed:
    """`failure` as an `EndpointFailed` when `exc` holds for every call, else unchanged.

    A refused key (401), refused access (403), a URL or model that does not
    exist (404) and a connection that cannot be made hold for every call.
    """
    fix = _endpoint_fix(exc, failure.detail, model)
    if fix is None:
        return failure
    return EndpointFailed(failure, redact(f"the LLM endpoint {url} {fix}", secrets))


def _endpoint_fix(exc: BaseException, detail: str, model: str) -> str | None:
    """What went wrong for every call and what to fix, or None if it is this call's."""
    import openai

    if isinstance(exc, openai.AuthenticationError):
        return f"refused the API key ({detail[:300]}): check OPENAI_API_KEY"
    if isinstance(exc, openai.PermissionDeniedError):
        return f"refused access ({detail[:300]}): check OPENAI_API_KEY and --model"
    if isinstance(exc, openai.NotFoundError):
        return (
            f"has no chat completions for model {model!r} ({detail[:300]}): check "
            "OPENAI_BASE_URL (usually ending in /v1) and --model"
        )
    if isinstance(exc, openai.APIConnectionError) and connect_failed(exc):
        return unreachable_fix(exc)
    return None


def unreachable_fix(exc: BaseException) -> str:
    """What to check when no connection could be made."""
    return (
        f"cannot be reached ({exc.__cause__}): check OPENAI_BASE_URL and that the server is running"
    )


def unreachable_message(url: str, exc: BaseException) -> str:
    """The one line a run stops with when no connection to `url` could be made."""
    return f"the LLM endpoint {url} {unreachable_fix(exc)}"


#: What the SDK's cause is when no connection could be made (httpx's, or a vendored copy's).
_CONNECT_ERRORS = frozenset({"ConnectError", "ConnectTimeout"})


def connect_failed(exc: BaseException) -> bool:
    """True when no connection could be made (refused, no route, unknown host, no answer).

    Matched by class name: the SDK wraps ``httpx.ConnectError`` or, in newer
    releases, its vendored ``httpx2.ConnectError``. A connection dropped after
    it was made is a different error and stays one call's failure.
    """
    cause = exc.__cause__
    while cause is not None:
        if type(cause).__name__ in _CONNECT_ERRORS:
            return True
        cause = cause.__cause__
    return False
