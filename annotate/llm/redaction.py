"""Failure details without secrets.

Error bodies, log lines and stored failure details all end up where people
read them; none of them may carry the API key. Everything the LLM layer says
about a failure goes through `redact` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Longest error text quoted back to the model in a re-ask, and into failure details.
MAX_ERROR_CHARS = 2000

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
