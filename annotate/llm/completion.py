"""Reading one chat completion: its token counts, then its text or why there is none.

The completion is read as plain JSON rather than into the SDK's typed models:
at tens of requests per second building typed responses costs as much client
CPU as the caller's own work on the answers (see `bench/preannotate.py`).
"""

from __future__ import annotations

import json
from typing import Any

from .failures import CallFailed
from .usage import Usage


def read_completion(text: str, usage: Usage) -> dict[str, Any]:
    """The completion object of a response body, its token counts added to `usage`."""
    try:
        completion = json.loads(text)
    except ValueError:
        raise CallFailed("invalid_output", "the response was not JSON", usage) from None
    if not isinstance(completion, dict):
        raise CallFailed("invalid_output", "the response was not an object", usage)
    counts = completion.get("usage") or {}
    usage.prompt_tokens += int(counts.get("prompt_tokens") or 0)
    usage.completion_tokens += int(counts.get("completion_tokens") or 0)
    return completion


def prompt_tokens_of(completion: dict[str, Any]) -> int:
    """This completion's own ``usage.prompt_tokens`` (0 when the server reports none)."""
    return int((completion.get("usage") or {}).get("prompt_tokens") or 0)


def answer_text(completion: dict[str, Any], usage: Usage, limit: str = "") -> str | None:
    """The answer's text, after the finish reasons that must not be parsed.

    A truncated answer (``finish_reason=length``) is never parsed as success,
    even when what arrived happens to be valid JSON: the caller decides what a
    truncation means (pre-annotation splits the text in two). Its message
    gives this answer's own tokens, not the call's total (a re-ask's would
    include the first answer's), and `limit`, what capped it.
    """
    choices = completion.get("choices")
    if not choices or not isinstance(choices[0], dict):
        raise CallFailed("invalid_output", "the response had no choices", usage)
    choice = choices[0]
    message = choice.get("message") or {}
    finish_reason = choice.get("finish_reason")
    if finish_reason == "length":
        tokens = int((completion.get("usage") or {}).get("completion_tokens") or 0)
        detail = f"the answer was cut at {tokens} tokens (finish_reason=length)"
        raise CallFailed("truncated", f"{detail}; {limit}" if limit else detail, usage)
    refusal = message.get("refusal")
    if refusal or finish_reason == "content_filter":
        raise CallFailed("refused", str(refusal or "content_filter")[:500], usage)
    content = message.get("content")
    return content if isinstance(content, str) or content is None else str(content)
