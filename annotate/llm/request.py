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
from typing import TYPE_CHECKING, Any

from annotate.errors import ConfigurationError

if TYPE_CHECKING:  # the rejections read here are the SDK's, loaded by the client that got them
    import openai

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


def _compact(value: Any) -> str:
    """JSON as the SDK encodes a body: compact, UTF-8 kept, no NaN."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class BodyEncoder:
    """A chat's request bodies: as `chat_body`'s dict, and as the bytes POSTed, the part
    every request of a job shares encoded once.

    A body is mostly what never changes between a job's requests: the model, the
    system prompt (with the schema in JSON mode), the response format with the
    schema. Encoding the whole dict for every request (the SDK's ``json.dumps``,
    54 µs for a seed's 9.2 KB body) redoes that part each time; here it is
    encoded once per form and system prompt, and a request encodes only its
    conversation and ``max_tokens`` (18 µs). The bytes are those the SDK would
    send for `chat_body`'s dict, character for character.
    """

    def __init__(
        self, model: str, schema_name: str, schema: dict[str, Any], temperature: float
    ) -> None:
        self.model, self.schema_name, self.schema = model, schema_name, schema
        self.temperature = temperature
        self._frames: dict[tuple[Form, str], tuple[str, str, str]] = {}

    def body(self, form: Form, messages: list[Any], max_tokens: int) -> dict[str, Any]:
        """`chat_body` for `messages`, this chat's model, schema and temperature."""
        return chat_body(form, self.model, messages, self.schema_name, self.schema, max_tokens,
                         self.temperature)  # fmt: skip

    def encode(self, form: Form, messages: list[Any], max_tokens: int) -> bytes:
        """`chat_body` for `messages` (the system message first) as compact JSON bytes."""
        system, *conversation = messages
        frame = self._frames.get((form, system["content"]))
        if frame is None:
            frame = self._frames[(form, system["content"])] = self._frame(form, system)
        head, middle, tail = frame
        said = "".join("," + _compact(message) for message in conversation)
        return f"{head}{said}{middle}{max_tokens}{tail}".encode()

    def _frame(self, form: Form, system: dict[str, Any]) -> tuple[str, str, str]:
        """The body around the conversation and ``max_tokens``, in `chat_body`'s key order."""
        body = self.body(form, [system], 0)
        model, messages, tokens, *rest = body
        if (model, messages) != ("model", "messages"):
            raise AssertionError(f"chat_body's keys changed order: {list(body)}")
        head = f'{{"model":{_compact(body[model])},"messages":[{_compact(system)}'
        tail = "".join(f",{_compact(key)}:{_compact(body[key])}" for key in rest)
        return head, f"],{_compact(tokens)}:", tail + "}"


def json_mode_prompt(system_prompt: str, schema: dict[str, Any], *, compact: bool = False) -> str:
    """JSON mode constrains the output to *some* JSON: the prompt must carry the schema.

    The compact form (`compact_schema`) leaves out what every object of a
    strict schema shares; one sentence says it instead.
    """
    text = json.dumps(compact_schema(schema) if compact else schema, separators=(",", ":"))
    rule = f"\n{COMPACT_RULE}" if compact else ""
    return f"{system_prompt}\n\nThe JSON object must follow this JSON schema:{rule}\n{text}\n"


#: What the compact schema leaves out, said once instead of in every object.
COMPACT_RULE = "(Every property shown is required, and no other property is allowed.)"
#: The schema keywords the compact form leaves out (or keeps only when they say more).
_LEFT_OUT = ("description", "title", "additionalProperties", "required")


def compact_schema(schema: Any) -> Any:
    """`schema` in fewer tokens, for JSON mode's prompt when a small window needs the room.

    Descriptions and titles go (most of the schema's length; the system prompt
    says the same in words), and so does what a strict schema repeats in every
    object and `COMPACT_RULE` says once: ``additionalProperties: false`` and a
    ``required`` list naming every property. A nullable field's ``anyOf`` becomes
    a list of types, and an enum's ``type`` goes (its values say it). Property
    names stay: short keys would need a legend costing more tokens than they
    save, and a small model reads whole words better. Answers validate against
    the same model either way (and a grammar-following server gets the full
    schema in ``response_format``).
    """
    if isinstance(schema, list):
        return [compact_schema(value) for value in schema]
    if not isinstance(schema, dict):
        return schema
    nullable = _nullable_type(schema.get("anyOf"))
    if nullable is not None:
        return {"type": nullable}
    out = {key: _compact_named(value) if key in ("properties", "$defs") else compact_schema(value)
           for key, value in schema.items() if key not in _LEFT_OUT}  # fmt: skip
    if schema.get("additionalProperties", False) is not False:
        out["additionalProperties"] = compact_schema(schema["additionalProperties"])
    properties = schema.get("properties")
    if "required" in schema and sorted(schema["required"]) != sorted(properties or ()):
        out["required"] = schema["required"]
    if "enum" in out and all(isinstance(v, str) for v in out["enum"]):
        out.pop("type", None)
    return out


def _compact_named(schemas: Any) -> Any:
    """Each named schema compacted: a property may well be called "title"."""
    if not isinstance(schemas, dict):
        return compact_schema(schemas)
    return {name: compact_schema(value) for name, value in schemas.items()}


def _nullable_type(any_of: Any) -> list[str] | None:
    """``["string", "null"]`` for ``anyOf: [{"type": "string"}, {"type": "null"}]``, else None."""
    if not isinstance(any_of, list) or len(any_of) != 2:
        return None
    if not all(isinstance(o, dict) and set(o) == {"type"} and isinstance(o["type"], str)
               for o in any_of):  # fmt: skip
        return None
    types = [o["type"] for o in any_of]
    return types if "null" in types else None


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
