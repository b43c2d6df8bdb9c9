"""Reading a model's answer into a Pydantic model, and re-asking when it does not fit.

A *re-ask* sends the model its invalid output plus the validation error,
because the request succeeded but the answer was unusable (see
`annotate.llm.retry` for re-sending after transport failures). Validation is
the response model's own, validators included: an answer the schema allows
but the model's rules refuse is re-asked like malformed JSON.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .redaction import MAX_ERROR_CHARS

M = TypeVar("M", bound=BaseModel)

_FENCE = re.compile(r"^\s*```[A-Za-z]*\s*\n(.*?)\n?```\s*$", re.DOTALL)

REASK_INSTRUCTION = (
    "Your previous answer could not be used: it is not valid JSON for the required schema.\n"
    "Error:\n{error}\n\n"
    "Reply with the corrected JSON object only: follow the schema exactly, include every "
    "required field, and {rule}."
)


def strip_fences(content: str) -> str:
    """Drop a Markdown code fence around the JSON (local models in JSON mode add them)."""
    match = _FENCE.match(content)
    return match.group(1) if match else content.strip()


def parse_answer(model: type[M], content: str | None) -> M:
    """Parse and validate a model's answer; raises `ValueError` (incl. ValidationError)."""
    if not content or not content.strip():
        raise ValueError("the answer was empty: expected one JSON object")
    return model.model_validate_json(strip_fences(content))


def raw_json(content: str | None, parsed: BaseModel) -> str:
    """What a cache stores: the answer itself when it is bare JSON, else re-serialised."""
    stripped = (content or "").strip()
    return stripped if stripped.startswith("{") else parsed.model_dump_json()


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


def reask_messages(bad_output: str | None, exc: ValueError, rule: str) -> list[dict[str, Any]]:
    """The two messages appended to the conversation to ask for a corrected answer.

    `rule` is the caller's reminder of what the answer must respect beyond the
    schema ("copy quotes verbatim from the article").
    """
    instruction = REASK_INSTRUCTION.format(error=describe_invalid(exc), rule=rule)
    return [
        {"role": "assistant", "content": bad_output or ""},
        {"role": "user", "content": instruction},
    ]
