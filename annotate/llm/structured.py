"""One structured chat: a system prompt, a user message, an answer validated by a Pydantic model.

One `ask` is: pace (RPM/TPM) -> send -> transport retries -> adapt the request
form after a rejection -> check the finish reason -> parse and validate ->
re-ask on invalid output. Each step lives in its own module of this package;
this one only strings them together and decides which failure is which.
Callers (pre-annotation's extraction, comparison's judge) bring the prompt,
the response model and what to do with the answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

import openai
from pydantic import BaseModel

from annotate.schemas import strict_json_schema

from .answers import describe_invalid, parse_answer, raw_json, reask_messages
from .client import client_secrets, endpoint_url, make_client
from .completion import answer_text, read_completion
from .failures import CallFailed, endpoint_failure, failure_from
from .ratelimit import RateLimiter, estimate_tokens
from .redaction import short_error
from .request import (
    Form,
    adapted,
    adopt,
    checked_response_format,
    initial_form,
    json_mode_prompt,
    rejects_format,
    request_options,
)
from .retry import RetryPolicy, call_with_retries
from .usage import Usage

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ChatSettings:
    """Where to send requests and how: the knobs the CLI commands expose.

    `base_url` and `api_key` default to ``OPENAI_BASE_URL`` and
    ``OPENAI_API_KEY``. `max_retries` bounds transport re-sends per HTTP call
    (starting at `backoff_initial` seconds); `max_reasks` bounds validation
    re-asks per `ask`. The key is left out of the repr, so a logged settings
    object never shows it.
    """

    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    temperature: float = 0.0
    max_tokens: int = 4096
    response_format: str = "auto"
    max_reasks: int = 2
    max_retries: int = 6
    timeout: float = 60.0
    rpm: int | None = None
    tpm: int | None = None
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0

    def __post_init__(self) -> None:
        checked_response_format(self.response_format)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            self.max_retries, self.backoff_initial, self.backoff_max, self.retry_after_cap
        )


@dataclass
class Answer(Generic[M]):
    """A validated answer, the text it came from, what it cost and the re-asks it needed."""

    parsed: M
    #: The raw JSON text the model produced: what a cache stores.
    raw: str
    usage: Usage
    reasks: int = 0


class StructuredChat(Generic[M]):
    """Ask any OpenAI-compatible ``/v1/chat/completions`` endpoint for a `response_model`.

    The client is made at once, so a missing endpoint is a `ConfigurationError`
    before any work starts. `aclose` releases its connections; the next `ask`
    reconnects, so one chat can serve successive event loops. What the
    endpoint accepts (`form`) is learnt once and kept.
    """

    def __init__(
        self,
        model: str,
        response_model: type[M],
        system_prompt: str,
        settings: ChatSettings | None = None,
        *,
        schema_name: str = "answer",
        reask_rule: str = "copy every quoted word verbatim from the input",
    ) -> None:
        self.model = model
        self.response_model = response_model
        self.system_prompt = system_prompt
        self.settings = settings or ChatSettings()
        self.schema_name = schema_name
        self.reask_rule = reask_rule
        self.schema = strict_json_schema(response_model)
        self.retry_policy = self.settings.retry_policy
        self.limiter = RateLimiter(self.settings.rpm, self.settings.tpm)
        self.form: Form = initial_form(self.settings.response_format)
        self._client: openai.AsyncOpenAI | None = self._connect()
        self._secrets = client_secrets(self._client, self.settings.api_key)
        self.url = endpoint_url(self._client)

    @property
    def mode(self) -> str:
        """``json_schema`` or ``json_object``: the structured-output mode in use now."""
        return self.form.mode

    @cached_property
    def schema_prompt(self) -> str:
        """The system prompt with the schema appended: what JSON mode sends (the longest)."""
        return json_mode_prompt(self.system_prompt, self.schema)

    async def ask(self, user_message: str) -> Answer[M]:
        """Ask, re-asking up to `max_reasks` times on invalid output; raises `CallFailed`."""
        usage = Usage()
        error = ValueError("no attempt was made")
        conversation: list[dict[str, Any]] = [{"role": "user", "content": user_message}]
        max_reasks = self.settings.max_reasks
        for reasks in range(max_reasks + 1):
            content = await self._complete(conversation, usage)
            try:
                parsed = parse_answer(self.response_model, content)
            except ValueError as exc:
                error = exc
                if reasks < max_reasks:
                    log.info("invalid output, re-ask %d of %d", reasks + 1, max_reasks)
                    conversation += reask_messages(content, exc, self.reask_rule)
                continue
            return Answer(parsed, raw_json(content, parsed), usage, reasks)
        raise CallFailed("invalid_output", describe_invalid(error), usage)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # ---------------------------------------------------------------- one call

    async def _complete(self, conversation: list[dict[str, Any]], usage: Usage) -> str | None:
        """Send the conversation (retrying transport errors); return the answer's text."""
        while True:
            sent = self.form
            try:
                completion = await call_with_retries(
                    self.retry_policy, self._send, conversation, usage, sent,
                    give_up=_rejects_format,
                )  # fmt: skip
            except openai.APIStatusError as exc:
                changes = adapted(sent, exc, self.settings.response_format)
                if changes:
                    reason = short_error(exc, self._secrets)
                    self.form = adopt(self.form, changes, reason, self.settings.temperature)
                    continue
                raise self._failure(exc, usage) from None
            except openai.OpenAIError as exc:
                raise self._failure(exc, usage) from None
            return answer_text(completion, usage)

    async def _send(
        self, conversation: list[dict[str, Any]], usage: Usage, form: Form
    ) -> dict[str, Any]:
        """One HTTP attempt: pace, send, count its tokens; the completion as plain JSON.

        The SDK still builds the request, raises its typed errors and is what the
        retries see, but the answer is read as JSON (`annotate.llm.completion`).
        """
        system = self.schema_prompt if form.mode == "json_object" else self.system_prompt
        # Plain dicts: the SDK's TypedDict message params add nothing at run time.
        messages: list[Any] = [{"role": "system", "content": system}, *conversation]
        settings = self.settings
        if self.limiter.enabled:
            chars = sum(len(m["content"] or "") for m in messages)
            await self.limiter.acquire(estimate_tokens(chars, settings.max_tokens))
        usage.requests += 1
        options = request_options(
            form, self.schema_name, self.schema, settings.max_tokens, settings.temperature
        )
        raw = await self._connected().chat.completions.with_raw_response.create(
            model=self.model, messages=messages, **options
        )
        return read_completion(raw.text, usage)

    def _failure(self, exc: openai.OpenAIError, usage: Usage) -> CallFailed:
        """This call's failure, or `EndpointFailed` when no call can succeed.

        A rejected response format that could not be adapted to is a bad request
        whatever its status: re-sending it cannot help.
        """
        failure = failure_from(exc, usage, self._secrets)
        if isinstance(exc, openai.APIStatusError) and rejects_format(exc):
            failure = CallFailed("bad_request", failure.detail, usage)
        return endpoint_failure(failure, exc, self.url, self.model, self._secrets)

    def _connect(self) -> openai.AsyncOpenAI:
        settings = self.settings
        return make_client(settings.base_url, settings.api_key, settings.timeout)

    def _connected(self) -> openai.AsyncOpenAI:
        if self._client is None:
            self._client = self._connect()
        return self._client


def _rejects_format(exc: BaseException) -> bool:
    return isinstance(exc, openai.APIStatusError) and rejects_format(exc)
