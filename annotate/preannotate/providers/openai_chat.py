"""The OpenAI-compatible chat-completions provider (OpenAI, vLLM, Ollama, llama.cpp, ...).

One call is: pace (RPM/TPM) -> send -> transport retries -> check the finish
reason -> parse and validate -> re-ask on invalid output. The retry and re-ask
machinery lives in `annotate.preannotate.core`; this module only speaks the
chat-completions dialect and decides which failure is which.

Endpoints differ in what they accept, so two things adapt at run time and then
stay adapted for the provider's lifetime: ``response_format="auto"`` starts
with strict ``json_schema`` structured outputs and falls back to
``json_object`` (with the schema appended to the system prompt) the first time
the server rejects ``response_format``; and a server that rejects
``max_tokens`` in favour of ``max_completion_tokens``, or a fixed
``temperature`` (OpenAI's reasoning models), is sent the form it accepts.
"""

from __future__ import annotations

import json
import logging
import os
from functools import cached_property
from typing import Any

import openai

from annotate.errors import ConfigurationError
from annotate.preannotate.core.ratelimit import RateLimiter, estimate_tokens
from annotate.preannotate.core.retry import (
    RetryPolicy,
    call_with_retries,
    describe_invalid,
    failure_from,
    parse_extraction,
    reask_messages,
    redact,
    short_error,
)
from annotate.prompts import load_prompt, prompt_version
from annotate.schemas import Extraction, schema_version, strict_json_schema

from .base import EndpointFailed, ExtractionFailed, ProviderResult, Usage

log = logging.getLogger(__name__)

#: The user message is this prefix followed by the article (or chunk) text. The
#: fake server (`annotate.testing.llm_server`) finds the article by this prefix.
USER_PREFIX = "ARTICLE:\n"
RESPONSE_FORMATS = ("auto", "json_schema", "json_object")
#: Tokens reserved beyond the system prompt, schema and prefix: role markers and
#: the chat template's own tokens.
PROMPT_MARGIN_TOKENS = 64
#: Smallest chunk budget in tokens, used when the window barely fits the prompt.
MIN_CHUNK_TOKENS = 256
#: Placeholder key for local servers (vLLM, Ollama) that need none; the SDK requires one.
PLACEHOLDER_KEY = "not-needed"


class OpenAIChatProvider:
    """Extraction through any OpenAI-compatible ``/v1/chat/completions`` endpoint.

    `base_url` and `api_key` default to the SDK's own ``OPENAI_BASE_URL`` and
    ``OPENAI_API_KEY``; neither is part of `cache_params`, so the same model
    behind another URL reuses the cache. The key is never put into an
    exception, a log line or the cache key.

    `max_retries` bounds transport re-sends per HTTP call (tenacity, starting at
    `backoff_initial` seconds); `max_reasks` bounds validation re-asks per
    extraction. Cost is computed by the pipeline (`annotate.preannotate.pricing`).
    """

    name = "openai"
    cacheable = True

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 4096,
        context_window_tokens: int = 16000,
        response_format: str = "auto",
        max_reasks: int = 2,
        max_retries: int = 6,
        timeout: float = 60.0,
        rpm: int | None = None,
        tpm: int | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        retry_after_cap: float = 60.0,
    ) -> None:
        if response_format not in RESPONSE_FORMATS:
            raise ConfigurationError(
                f"--response-format must be one of {', '.join(RESPONSE_FORMATS)}, "
                f"not {response_format!r}"
            )
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.context_window_tokens = context_window_tokens
        self.response_format = response_format
        self.max_reasks = max_reasks
        self.prompt_version = prompt_version()
        self.retry_policy = RetryPolicy(max_retries, backoff_initial, backoff_max, retry_after_cap)
        self.limiter = RateLimiter(rpm, tpm)
        #: The mode in use now: "auto" starts strict and may fall back for good.
        self.mode = "json_object" if response_format == "json_object" else "json_schema"
        self._send_max_completion_tokens = False
        self._send_temperature = True
        self._client = _make_client(base_url, api_key, timeout)
        known = (api_key, os.environ.get("OPENAI_API_KEY"), self._client.api_key)
        self._secrets = tuple(key for key in known if isinstance(key, str))

    # ---------------------------------------------------------------- protocol

    @property
    def model_version(self) -> str:
        return f"{self.model}+prompt-{prompt_version()[:8]}+schema-{schema_version()[:8]}"

    @property
    def cache_params(self) -> dict[str, Any]:
        """What changes the output. The URL and key do not: they say where, not what."""
        return {
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "response_format": self.response_format,
        }

    @cached_property
    def max_chunk_chars(self) -> int:
        """Characters of article that fit one call, at ~4 characters per token.

        ``(context_window_tokens - max_tokens - prompt overhead) * 4``, where the
        overhead is the system prompt plus the JSON schema (sent in the prompt in
        JSON mode, and counted against the window by servers that enforce it in
        strict mode) plus `PROMPT_MARGIN_TOKENS`. Re-asks are not budgeted: a
        re-ask that overflows the window fails as ``bad_request``. When the
        window leaves less than `MIN_CHUNK_TOKENS`, that minimum is used instead.
        """
        overhead = estimate_tokens(len(self._json_mode_prompt) + len(USER_PREFIX))
        budget = self.context_window_tokens - self.max_tokens - overhead - PROMPT_MARGIN_TOKENS
        if budget < MIN_CHUNK_TOKENS:
            log.warning(
                "context window %d leaves %d tokens for text after max_tokens and the prompt; "
                "using %d",
                self.context_window_tokens,
                budget,
                MIN_CHUNK_TOKENS,
            )
            budget = MIN_CHUNK_TOKENS
        return budget * 4

    async def extract(self, text: str) -> ProviderResult:
        """Extract from `text`, re-asking up to `max_reasks` times on invalid output."""
        usage = Usage()
        error = ValueError("no attempt was made")
        conversation: list[dict[str, Any]] = [{"role": "user", "content": USER_PREFIX + text}]
        for reasks in range(self.max_reasks + 1):
            content = await self._complete(conversation, usage)
            try:
                extraction = parse_extraction(content)
            except ValueError as exc:
                error = exc
                if reasks < self.max_reasks:
                    log.info("invalid output, re-ask %d of %d", reasks + 1, self.max_reasks)
                    conversation += reask_messages(content, exc)
                continue
            return ProviderResult(extraction, _raw_json(content, extraction), usage, reasks)
        raise ExtractionFailed("invalid_output", describe_invalid(error), usage)

    async def aclose(self) -> None:
        await self._client.close()

    # ---------------------------------------------------------------- one call

    async def _complete(self, conversation: list[dict[str, Any]], usage: Usage) -> str | None:
        """Send the conversation (retrying transport errors); return the answer's text."""
        while True:
            try:
                completion = await call_with_retries(
                    self.retry_policy, self._send, conversation, usage
                )
            except openai.APIStatusError as exc:
                if self._adapt_to_rejection(exc):
                    continue
                raise self._failure(exc, usage) from None
            except openai.OpenAIError as exc:
                raise self._failure(exc, usage) from None
            return _answer(completion, usage)

    def _failure(self, exc: openai.OpenAIError, usage: Usage) -> ExtractionFailed:
        """This document's failure, or `EndpointFailed` when no document can succeed.

        A refused key (401), refused access (403), a URL or model that does not
        exist (404) and a connection that cannot be made hold for every
        document: going on would record the same failure thousands of times.
        """
        failure = failure_from(exc, usage, self._secrets)
        fix = _endpoint_fix(exc, failure.detail, self.model)
        if fix is None:
            return failure
        url = self._client.base_url.copy_with(userinfo=b"")
        return EndpointFailed(failure, redact(f"the LLM endpoint {url} {fix}", self._secrets))

    async def _send(self, conversation: list[dict[str, Any]], usage: Usage) -> dict[str, Any]:
        """One HTTP attempt: pace, send, count its tokens; the completion as plain JSON.

        The SDK still builds the request, raises its typed errors and is what the
        retries see, but the answer is read as JSON rather than into the SDK's
        typed models, and the response format travels in ``extra_body``: the SDK
        walks typed arguments (the extraction schema is ~5 KB) and builds typed
        responses on every call, which at tens of requests per second cost as much
        client CPU as grounding and storing the answer (see `bench/preannotate.py`).
        """
        # Plain dicts: the SDK's TypedDict message params add nothing at run time.
        messages: list[Any] = [{"role": "system", "content": self._system_prompt()}, *conversation]
        if self.limiter.enabled:
            chars = sum(len(m["content"] or "") for m in messages)
            await self.limiter.acquire(estimate_tokens(chars, self.max_tokens))
        usage.requests += 1
        raw = await self._client.chat.completions.with_raw_response.create(
            model=self.model,
            messages=messages,
            **self._request_options(),
        )
        try:
            completion = json.loads(raw.text)
        except ValueError:
            raise ExtractionFailed("invalid_output", "the response was not JSON", usage) from None
        if not isinstance(completion, dict):
            raise ExtractionFailed("invalid_output", "the response was not an object", usage)
        counts = completion.get("usage") or {}
        usage.prompt_tokens += int(counts.get("prompt_tokens") or 0)
        usage.completion_tokens += int(counts.get("completion_tokens") or 0)
        return completion

    def _request_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"extra_body": {"response_format": self._response_format()}}
        limit_key = "max_completion_tokens" if self._send_max_completion_tokens else "max_tokens"
        options[limit_key] = self.max_tokens
        if self._send_temperature:
            options["temperature"] = self.temperature
        return options

    def _response_format(self) -> dict[str, Any]:
        if self.mode == "json_object":
            return {"type": "json_object"}
        return {
            "type": "json_schema",
            "json_schema": {"name": "extraction", "schema": _SCHEMA, "strict": True},
        }

    def _system_prompt(self) -> str:
        return self._json_mode_prompt if self.mode == "json_object" else load_prompt()

    @cached_property
    def _json_mode_prompt(self) -> str:
        """JSON mode constrains the output to *some* JSON: the prompt must carry the schema."""
        schema = json.dumps(_SCHEMA, separators=(",", ":"))
        return f"{load_prompt()}\n\nThe JSON object must follow this JSON schema:\n{schema}\n"

    def _adapt_to_rejection(self, exc: openai.APIStatusError) -> bool:
        """Switch to a form the server accepts after a 400/422; True if worth re-sending."""
        if exc.status_code not in (400, 422):
            return False
        message = str(exc.message).lower()
        if (
            self.response_format == "auto"
            and self.mode == "json_schema"
            and ("response_format" in message or "json_schema" in message)
        ):
            log.warning(
                "server rejected json_schema (%s); using json_object mode",
                short_error(exc, self._secrets)[:200],
            )
            self.mode = "json_object"
            return True
        if "max_completion_tokens" in message and not self._send_max_completion_tokens:
            self._send_max_completion_tokens = True
            return True
        if "temperature" in message and self._send_temperature:
            log.warning("server rejected temperature=%s; using its default", self.temperature)
            self._send_temperature = False
            return True
        return False


_SCHEMA = strict_json_schema(Extraction)


def _make_client(base_url: str | None, api_key: str | None, timeout: float) -> openai.AsyncOpenAI:
    """An SDK client that never retries on its own (tenacity does) and needs no key locally."""
    local = base_url or os.environ.get("OPENAI_BASE_URL")
    if api_key is None and local and not os.environ.get("OPENAI_API_KEY"):
        api_key = PLACEHOLDER_KEY
    try:
        return openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0
        )
    except openai.OpenAIError:  # missing credentials: the SDK's message names other options
        raise ConfigurationError(
            "no LLM endpoint configured: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL "
            "for a local server (vLLM, Ollama, llama.cpp), or use --provider rules"
        ) from None


def _endpoint_fix(exc: openai.OpenAIError, detail: str, model: str) -> str | None:
    """What went wrong for every document and what to fix, or None if it is this document's."""
    if isinstance(exc, openai.AuthenticationError):
        return f"refused the API key ({detail[:300]}): check OPENAI_API_KEY"
    if isinstance(exc, openai.PermissionDeniedError):
        return f"refused access ({detail[:300]}): check OPENAI_API_KEY and --model"
    if isinstance(exc, openai.NotFoundError):
        return (
            f"has no chat completions for model {model!r} ({detail[:300]}): check "
            "OPENAI_BASE_URL (usually ending in /v1) and --model"
        )
    if isinstance(exc, openai.APIConnectionError) and _connect_failed(exc):
        return (
            f"cannot be reached ({exc.__cause__}): check OPENAI_BASE_URL and that the "
            "server is running"
        )
    return None


def _connect_failed(exc: BaseException) -> bool:
    """True when no connection could be made (refused, no route, unknown host).

    Matched by class name: the SDK wraps ``httpx.ConnectError`` or, in newer
    releases, its vendored ``httpx2.ConnectError``. A connection dropped after
    it was made is a different error and stays one document's failure.
    """
    cause = exc.__cause__
    while cause is not None:
        if type(cause).__name__ == "ConnectError":
            return True
        cause = cause.__cause__
    return False


def _answer(completion: dict[str, Any], usage: Usage) -> str | None:
    """The answer's text, after the finish reasons that must not be parsed."""
    choices = completion.get("choices")
    if not choices or not isinstance(choices[0], dict):
        raise ExtractionFailed("invalid_output", "the response had no choices", usage)
    choice = choices[0]
    message = choice.get("message") or {}
    finish_reason = choice.get("finish_reason")
    if finish_reason == "length":
        raise ExtractionFailed(
            "truncated", f"finish_reason=length after {usage.completion_tokens} tokens", usage
        )
    refusal = message.get("refusal")
    if refusal or finish_reason == "content_filter":
        raise ExtractionFailed("refused", str(refusal or "content_filter")[:500], usage)
    content = message.get("content")
    return content if isinstance(content, str) or content is None else str(content)


def _raw_json(content: str | None, extraction: Extraction) -> str:
    """What the cache stores: the answer itself when it is bare JSON, else re-serialised."""
    stripped = (content or "").strip()
    return stripped if stripped.startswith("{") else extraction.model_dump_json()
