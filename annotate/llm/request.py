"""The request form an endpoint accepts, learnt from its rejections at run time.

Endpoints differ in what they accept, so three things adapt and then stay
adapted for the client's lifetime:

* ``response_format="auto"`` starts with strict ``json_schema`` structured
  outputs and falls back to ``json_object``, with the schema appended to the
  system prompt, the first time the server rejects ``response_format``. OpenAI
  and vLLM reject with a 400; llama.cpp servers answer a 500 that names
  ``json_schema``, which is a rejection too, not a transient failure. A server
  whose rejection offers ``json_object`` instead (llama-cpp-python: "Input
  should be 'text' or 'json_object'") is also sent the schema inside
  ``response_format`` (its ``{"type": "json_object", "schema": ...}``), which
  it turns into a grammar: every answer then follows the schema;
* a server that refuses ``max_tokens`` in favour of ``max_completion_tokens``
  is sent the latter;
* a server that refuses a fixed ``temperature`` (OpenAI's reasoning models) is
  sent none.

A `Form` is immutable: each request carries the form it was sent with, so
that many concurrent requests rejected for the same reason all adapt once and
re-send, instead of the first adapting and the others failing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any

import openai

from annotate.errors import ConfigurationError

log = logging.getLogger(__name__)

RESPONSE_FORMATS = ("auto", "json_schema", "json_object")


def checked_response_format(response_format: str) -> str:
    if response_format not in RESPONSE_FORMATS:
        raise ConfigurationError(
            f"--response-format must be one of {', '.join(RESPONSE_FORMATS)}, "
            f"not {response_format!r}"
        )
    return response_format


@dataclass(frozen=True)
class Form:
    """How requests are written now: the structured-output mode and two field choices."""

    #: ``json_schema`` (strict structured outputs) or ``json_object`` (JSON mode).
    mode: str
    max_completion_tokens: bool = False
    temperature: bool = True
    #: JSON mode sends the schema in ``response_format`` too (llama-cpp-python's grammar).
    json_object_schema: bool = False


def initial_form(response_format: str) -> Form:
    return Form("json_object" if response_format == "json_object" else "json_schema")


def chat_body(
    form: Form,
    model: str,
    messages: list[Any],
    schema_name: str,
    schema: dict[str, Any],
    max_tokens: int,
    temperature: float,
) -> dict[str, Any]:
    """The chat-completions request body, as JSON: what is POSTed, and a batch line's body.

    Built here as plain JSON and posted as it is: the SDK's typed ``create``
    walks every argument against its annotations on every call, which cost a
    tenth of the client's CPU per document for the messages and the schema.
    """
    response_format: dict[str, Any] = {"type": "json_object"}
    if form.json_object_schema:
        response_format["schema"] = schema
    if form.mode == "json_schema":
        strict = {"name": schema_name, "schema": schema, "strict": True}
        response_format = {"type": "json_schema", "json_schema": strict}
    body: dict[str, Any] = {"model": model, "messages": messages}
    body["max_completion_tokens" if form.max_completion_tokens else "max_tokens"] = max_tokens
    if form.temperature:
        body["temperature"] = temperature
    body["response_format"] = response_format
    return body


def json_mode_prompt(system_prompt: str, schema: dict[str, Any]) -> str:
    """JSON mode constrains the output to *some* JSON: the prompt must carry the schema."""
    compact = json.dumps(schema, separators=(",", ":"))
    return f"{system_prompt}\n\nThe JSON object must follow this JSON schema:\n{compact}\n"


def compact_schema(schema: Any) -> Any:
    """`schema` without its descriptions and titles: the same constraints in fewer tokens.

    What JSON mode's prompt carries when the full schema leaves a small window
    no room for an article (its descriptions are most of its length; the
    system prompt says the same in words). Answers validate against the same
    model either way.
    """
    if isinstance(schema, dict):
        return {
            key: compact_schema(value)
            for key, value in schema.items()
            if key not in ("description", "title")
        }
    if isinstance(schema, list):
        return [compact_schema(value) for value in schema]
    return schema


def rejects_format(exc: openai.APIStatusError) -> bool:
    """True when the server refused the ``response_format``, however it says so.

    OpenAI and vLLM answer 400, FastAPI-based servers 422; llama-cpp-python 0.3
    answers 500 because its error handler turns its request validation error
    (which names ``response_format``) into an internal error, and older
    llama.cpp servers answered 500 naming ``json_schema``. A 500 naming neither
    is an ordinary server error, worth retrying.
    """
    if exc.status_code not in (400, 422) and exc.status_code < 500:
        return False
    message = str(exc.message).lower()
    return "response_format" in message or "json_schema" in message


#: How servers word a request longer than the model's context window: OpenAI and
#: vLLM ("maximum context length", code ``context_length_exceeded``),
#: llama-cpp-python (the same, from "Requested tokens (N) exceed context window"),
#: llama.cpp's server ("exceeds the available context size").
_CONTEXT_WORDS = (
    "context_length_exceeded",
    "maximum context length",
    "exceed context window",
    "exceeds the available context size",
    "context length exceeded",
)


def exceeds_context(exc: openai.APIStatusError) -> bool:
    """True when the server refused the request as longer than its context window."""
    if exc.status_code not in (400, 413, 422) and exc.status_code < 500:
        return False
    message = str(exc.message).lower()
    return any(words in message for words in _CONTEXT_WORDS)


def adapted(sent: Form, exc: openai.APIStatusError, response_format: str) -> dict[str, Any]:
    """The changes to the form that `exc`, the rejection of a request sent as `sent`, asks for.

    Empty when re-sending cannot help: the rejection is not about the form, or
    the form it asks for was already sent (so the loop of re-sends is bounded).
    """
    if rejects_format(exc) and response_format == "auto" and sent.mode == "json_schema":
        return {"mode": "json_object", "json_object_schema": _offers_json_object(exc)}
    if rejects_format(exc) and sent.json_object_schema:
        return {"json_object_schema": False}
    if exc.status_code not in (400, 422):
        return {}
    message = str(exc.message).lower()
    if "max_completion_tokens" in message and not sent.max_completion_tokens:
        return {"max_completion_tokens": True}
    if "temperature" in message and sent.temperature:
        return {"temperature": False}
    return {}


def _offers_json_object(exc: openai.APIStatusError) -> bool:
    """True when the rejection of ``json_schema`` names ``json_object`` as what is accepted."""
    return "json_object" in str(exc.message)


def adopt(current: Form, changes: dict[str, Any], reason: str, temperature: float) -> Form:
    """`current` with `changes` applied, logging the first time each one is made."""
    new = replace(current, **changes)
    if new.mode != current.mode:
        log.warning("server rejected json_schema (%s); using json_object mode", reason[:200])
    if new.temperature != current.temperature:
        log.warning("server rejected temperature=%s; using its default", temperature)
    return new
