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


def answer_text(completion: dict[str, Any], usage: Usage) -> str | None:
    """The answer's text, after the finish reasons that must not be parsed.

    A truncated answer (``finish_reason=length``) is never parsed as success,
    even when what arrived happens to be valid JSON: the caller decides what a
    truncation means (pre-annotation splits the text in two).
    """
    choices = completion.get("choices")
    if not choices or not isinstance(choices[0], dict):
        raise CallFailed("invalid_output", "the response had no choices", usage)
    choice = choices[0]
    message = choice.get("message") or {}
    finish_reason = choice.get("finish_reason")
    if finish_reason == "length":
        raise CallFailed(
            "truncated", f"finish_reason=length after {usage.completion_tokens} tokens", usage
        )
    refusal = message.get("refusal")
    if refusal or finish_reason == "content_filter":
        raise CallFailed("refused", str(refusal or "content_filter")[:500], usage)
    content = message.get("content")
    return content if isinstance(content, str) or content is None else str(content)
