"""One structured chat: a system prompt, a user message, an answer validated by a Pydantic model.

One `ask` is: budget the tokens (the window left for the answer) -> pace
(RPM/TPM) -> send -> transport retries -> adapt the request form after a
rejection -> check the finish reason -> parse and validate -> re-ask on invalid
output. Each step lives in its own module of this package; this one only
strings them together and decides which failure is which. Callers
(pre-annotation's extraction, comparison's judge) bring the prompt, the
response model and what to do with the answer.

What holds for the whole endpoint is learnt once per chat, before the flood:
until the server has answered a first request with anything but a refusal of
its form, requests wait (the first also checks the model name against
``GET /models``), so a server that refuses ``json_schema`` refuses it once,
not once per request in flight. An answer, or an error raised while working
on the request (a 5xx, a context-length 400), shows the form was accepted:
servers validate a request before they work on it. A refused key, a wrong
URL or a rate limit is decided before that, and shows nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from annotate.schemas import strict_json_schema

from .answers import describe_invalid, parse_answer, raw_json, reask_messages
from .client import client_secrets, endpoint_url, make_client, takes_content
from .completion import answer_text, prompt_tokens_of, read_completion
from .failures import (
    CallFailed,
    EndpointFailed,
    connect_failed,
    endpoint_failure,
    failure_from,
    unreachable_message,
)
from .ratelimit import RateLimiter
from .redaction import redact, short_error
from .request import (
    BodyEncoder,
    Form,
    adapted,
    adopt,
    checked_response_format,
    exceeds_context,
    initial_form,
    json_mode_prompt,
    rejects_format,
)
from .retry import CONNECT_GRACE, CONNECT_RETRY_WAIT, call_with_retries
from .server_facts import (
    TokenCount,
    count_tokens,
    running_models,
    running_window,
    stated_prompt,
    stated_window,
)
from .settings import EndpointSettings
from .usage import Usage
from .window import MIN_OUTPUT_TOKENS, SAFETY_MARGIN, Window

if TYPE_CHECKING:  # loaded with the client (`annotate.llm.client.make_client`), not before
    import openai

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

#: Seconds the model check (``GET /models``) may take before it is skipped.
MODEL_LIST_TIMEOUT = 10.0
#: Where chat completions are POSTed, under the client's base URL.
CHAT_PATH = "/chat/completions"
#: Most served model names a message lists.
MODELS_SHOWN = 20


@dataclass
class Answer(Generic[M]):
    """A validated answer, the text it came from, what it cost and the re-asks it needed."""

    parsed: M
    #: The raw JSON text the model produced: what a cache stores.
    raw: str
    usage: Usage
    reasks: int = 0


@dataclass(frozen=True)
class Measured:
    """What the server said about a prompt before the first document: its tokens and window.

    `tokens` None: the server could not count (no tokenize endpoint, no usage).
    `window` is the context window the server states (llama.cpp's ``/props``,
    vLLM's ``max_model_len``, or a refusal's "context window of N"), None when
    it does not say.
    """

    tokens: int | None
    source: str
    window: int | None = None
    #: The server cuts a prompt longer than its window without a word (Ollama):
    #: only a request it answers, and the window it then states, tell.
    cuts_silently: bool = False


class StructuredChat(Generic[M]):
    """Ask any OpenAI-compatible ``/v1/chat/completions`` endpoint for a `response_model`.

    The client is made at once, so a missing endpoint is a `ConfigurationError`
    before any work starts. `aclose` releases its connections; the next `ask`
    reconnects, so one chat can serve successive event loops. What the
    endpoint accepts (`form`), whether it serves the model, and how it counts
    tokens (`window`) are learnt once and kept. `retries` counts transport
    re-sends as they happen, for progress displays.
    """

    def __init__(
        self,
        model: str,
        response_model: type[M],
        system_prompt: str,
        settings: EndpointSettings | None = None,
        *,
        schema_name: str = "answer",
        reask_rule: str = "copy every quoted word verbatim from the input",
    ) -> None:
        self.model = model
        self.response_model = response_model
        self.system_prompt = system_prompt
        self.settings = settings or EndpointSettings()
        checked_response_format(self.settings.response_format)
        self.schema_name = schema_name
        self.reask_rule = reask_rule
        self.schema = strict_json_schema(response_model)
        self.retry_policy = self.settings.retry_policy
        self.limiter = RateLimiter(self.settings.rpm, self.settings.tpm)
        self.form: Form = initial_form(self.settings.response_format)
        self.window = Window(self.settings.context_window, self.settings.max_tokens)
        self.retries = 0
        self._bodies = BodyEncoder(model, schema_name, self.schema, self.settings.temperature)
        #: JSON mode's prompt carries the compact schema (set for a small window).
        self.compact = False
        self._json_mode_prompts: dict[bool, str] = {}
        #: The server has accepted the form: requests may go out together.
        self._settled = False
        self._model_checked = False
        #: Why the model check failed: every later request is refused the same way.
        self._model_refused: EndpointFailed | None = None
        #: Since when no connection could be made (None: the last attempt connected).
        self._unreachable_since: float | None = None
        #: The endpoint could not be reached for `CONNECT_GRACE` seconds: nothing more is sent.
        self._down: EndpointFailed | None = None
        #: The window the server states for the model (vLLM's ``max_model_len``), if it does.
        self._stated_window: int | None = None
        self._gate_loop: asyncio.AbstractEventLoop | None = None
        self._gate_lock = asyncio.Lock()
        self._settled_event = asyncio.Event()
        self._client: openai.AsyncOpenAI | None = self._connect()
        self._takes_content = takes_content(self._client)
        self._secrets = client_secrets(self._client, self.settings.api_key)
        self.url = endpoint_url(self._client)

    @property
    def mode(self) -> str:
        """``json_schema`` or ``json_object``: the structured-output mode in use now."""
        return self.form.mode

    @property
    def schema_prompt(self) -> str:
        """The system prompt with the schema appended: what JSON mode sends (the longest).

        The schema is the compact one (`compact_schema`) once `compact` is set.
        """
        prompt = self._json_mode_prompts.get(self.compact)
        if prompt is None:
            prompt = self._json_mode_prompts[self.compact] = json_mode_prompt(
                self.system_prompt, self.schema, compact=self.compact
            )
        return prompt

    async def ask(self, user_message: str, *, answered: str | None = None) -> Answer[M]:
        """Ask, re-asking up to `max_reasks` times on invalid output; raises `CallFailed`.

        `answered` is an answer to `user_message` obtained elsewhere (a batch
        result): it is validated like this chat's own, and when invalid it is
        re-asked here, as the first of the re-asks, instead of asking anew, so a
        batch answer costs what an online one would.
        """
        usage = Usage()
        error: ValueError = ValueError("no attempt was made")
        conversation: list[dict[str, Any]] = [{"role": "user", "content": user_message}]
        max_reasks = self.settings.max_reasks
        first = 0
        if answered is not None:
            try:
                parsed = parse_answer(self.response_model, answered)
            except ValueError as exc:
                error, first = exc, 1
                conversation += reask_messages(answered, exc, self.reask_rule)
            else:
                return Answer(parsed, raw_json(answered, parsed), usage, 0)
        for reasks in range(first, max_reasks + 1):
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

    def request_body(self, user_message: str) -> dict[str, Any]:
        """The JSON body `ask` would POST first for `user_message`, without sending it.

        For the Batch API, whose input lines carry the request bodies: the same
        model, messages, response format, ``max_tokens`` (cut to the window)
        and temperature as the online route, in the form this chat uses now.
        """
        form = self.form
        system = self.schema_prompt if form.mode == "json_object" else self.system_prompt
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": user_message},
        ]
        chars = sum(len(m["content"]) for m in messages)
        return self._bodies.body(form, messages, self._output_tokens(chars, Usage()))

    def client(self) -> openai.AsyncOpenAI:
        """The chat's SDK client (same endpoint and key), for the Files and Batches endpoints."""
        return self._connected()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every form of the key: what a message about this endpoint must never show."""
        return self._secrets

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # ---------------------------------------------------------------- one call

    async def _complete(self, conversation: list[dict[str, Any]], usage: Usage) -> str | None:
        """Send the conversation; until the form is settled, one request probes it.

        The probe holds the gate until the server accepts the form or the
        probe's call ends (then the next waiter probes), not through its
        retries and re-asks. Waiting costs one round trip at the start of a
        job; not waiting costs a rejection per request in flight on a server
        that refuses the form.
        """
        if self._settled:
            return await self._complete_now(conversation, usage)
        probe: asyncio.Task[str | None] | None = None
        async with self._gate():
            if not self._settled:
                await self._check_model()
                probe = asyncio.ensure_future(self._complete_now(conversation, usage))
                settled = asyncio.ensure_future(self._settled_event.wait())
                try:
                    await asyncio.wait({probe, settled}, return_when=asyncio.FIRST_COMPLETED)
                except BaseException:  # cancelled: the probe must unwind before the loop ends
                    probe.cancel()
                    await asyncio.gather(probe, return_exceptions=True)
                    raise
                finally:
                    settled.cancel()
        if probe is not None:
            return await probe
        return await self._complete_now(conversation, usage)

    def _settle(self) -> None:
        """The server accepted the form: let every waiting request go."""
        self._settled = True
        self._settled_event.set()

    async def _complete_now(self, conversation: list[dict[str, Any]], usage: Usage) -> str | None:
        """Send the conversation (retrying transport errors); return the answer's text."""
        import openai

        while True:
            self._raise_if_down(usage)
            sent = self.form
            system = self.schema_prompt if sent.mode == "json_object" else self.system_prompt
            # Plain dicts: the SDK's TypedDict message params add nothing at run time.
            messages: list[Any] = [{"role": "system", "content": system}, *conversation]
            chars = sum(len(m["content"] or "") for m in messages)
            max_tokens = self._output_tokens(chars, usage)
            try:
                completion = await call_with_retries(
                    self.retry_policy, self._send, messages, chars, max_tokens, usage, sent,
                    give_up=self._not_worth_resending, on_retry=self._count_retry,
                )  # fmt: skip
            except openai.APIStatusError as exc:
                if exceeds_context(exc):
                    self.window.observe_refusal(chars, str(exc.message))
                    raise self._context_refused(exc, usage) from None
                changes = adapted(sent, exc, self.settings.response_format)
                if changes:
                    reason = short_error(exc, self._secrets)
                    self.form = adopt(self.form, changes, reason, self.settings.temperature)
                    continue
                raise self._failure(exc, usage) from None
            except openai.OpenAIError as exc:
                raise self._failure(exc, usage) from None
            self.window.observe(chars, prompt_tokens_of(completion))
            return answer_text(completion, usage, self._limit(max_tokens, chars))

    async def _send(
        self, messages: list[Any], chars: int, max_tokens: int, usage: Usage, form: Form
    ) -> dict[str, Any]:
        """One HTTP attempt: pace, send, count its tokens; the completion as plain JSON.

        The SDK still builds the request, raises its typed errors and is what the
        retries see, but the answer is read as JSON (`annotate.llm.completion`).
        """
        import openai

        if self.limiter.enabled:
            await self.limiter.acquire(self.window.prompt_tokens(chars) + max_tokens)
        self._raise_if_down(usage)
        usage.requests += 1
        try:
            # Posted as JSON bytes (see `BodyEncoder`); the SDK still sends, retries and raises.
            text = await self._post(self._bodies.encode(form, messages, max_tokens))
        except openai.APIStatusError as exc:
            self._unreachable_since = None
            if not self._settled and _accepts_form(exc):
                self._settle()
            raise
        except openai.APIConnectionError as exc:
            self._note_connection_failure(exc, usage)
            raise
        self._unreachable_since = None
        if not self._settled:
            self._settle()
        return read_completion(text, usage)

    async def _post(self, body: bytes) -> str:
        """POST an encoded chat body; the response's text."""
        client = self._connected()
        if self._takes_content:
            return await client.post(CHAT_PATH, cast_to=str, content=body)
        return await client.post(CHAT_PATH, cast_to=str, body=body)

    # ---------------------------------------------------------------- the window

    def _output_tokens(self, chars: int, usage: Usage) -> int:
        """The ``max_tokens`` for a prompt of `chars`; raises ``context_length`` if none is left.

        Not sending a request that cannot fit costs nothing; the caller reacts
        as it would to the server's refusal (pre-annotation splits the text).
        """
        window = self.window
        if window.fits(chars):
            return window.output_tokens(chars)
        detail = (
            f"a prompt of about {window.prompt_tokens(chars)} tokens ({chars} characters at "
            f"{window.describe()}, plus a {SAFETY_MARGIN:.0%} margin) leaves fewer than "
            f"{MIN_OUTPUT_TOKENS} tokens for the answer in the {window.context_window}-token "
            "context window (--context-window); the request was not sent"
        )
        raise CallFailed("context_length", detail, usage)

    def _context_refused(self, exc: openai.APIStatusError, usage: Usage) -> CallFailed:
        """The server's own refusal of a request longer than its window, and what to check."""
        window = self.window.context_window
        told = f" than the {window} tokens given as --context-window" if window else ""
        return CallFailed(
            "context_length",
            f"the server's context window is smaller{told}: {short_error(exc, self._secrets)}",
            usage,
        )

    def _limit(self, max_tokens: int, chars: int) -> str:
        """What capped an answer at `max_tokens`, for the truncation message."""
        if max_tokens < self.settings.max_tokens:
            return (
                f"max_tokens was {max_tokens}, what the {self.window.context_window}-token "
                f"context window leaves after a prompt of about "
                f"{self.window.prompt_tokens(chars)} tokens"
            )
        return f"max_tokens was {max_tokens} (--max-tokens)"

    def _count_retry(self) -> None:
        self.retries += 1

    # ---------------------------------------------------------------- once per chat

    def _gate(self) -> asyncio.Lock:
        """The lock that lets one probe out at a time, made anew for each event loop."""
        loop = asyncio.get_running_loop()
        if self._gate_loop is not loop:
            self._gate_loop, self._gate_lock = loop, asyncio.Lock()
            self._settled_event = asyncio.Event()
        return self._gate_lock

    async def _check_model(self) -> None:
        """Refuse a model the server does not list, naming those it does.

        Only where the server lists its models: a 404, an error or an empty list
        skips the check (the chat request then says what is wrong, with its
        retries). Ollama serves ``name`` as ``name:latest``. A refusal holds for
        every later request of the chat too (llama-cpp-python answers any name).
        A server that cannot be reached for `CONNECT_GRACE` seconds is
        `EndpointFailed` here, before any request.
        """
        if self._model_refused is not None:
            raise self._model_refused
        if self._model_checked:
            return
        served = await self._served_models()
        self._model_checked = True
        if not served or self.model in served or f"{self.model}:latest" in served:
            return
        shown = ", ".join(served[:MODELS_SHOWN]) + (" ..." if len(served) > MODELS_SHOWN else "")
        message = (
            f"the LLM endpoint {self.url} does not serve model {self.model!r}; it serves: "
            f"{shown}: give one of them with --model or ANNOTATE_MODEL"
        )
        failure = CallFailed("bad_request", f"model {self.model!r} is not served")
        self._model_refused = EndpointFailed(failure, redact(message, self._secrets))
        raise self._model_refused

    async def _served_models(self) -> list[str] | None:
        """The names ``GET /models`` lists (None: none), a refused connection retried briefly."""
        import openai

        client = self._connected().with_options(
            timeout=min(MODEL_LIST_TIMEOUT, self.settings.timeout)
        )
        while True:
            self._raise_if_down(Usage())
            try:
                page = await client.models.list()
            except openai.APIConnectionError as exc:
                if not connect_failed(exc):
                    return None
                self._note_connection_failure(exc, Usage())
                await asyncio.sleep(CONNECT_RETRY_WAIT)
                continue
            except openai.OpenAIError as exc:
                log.debug("no model list (%s)", short_error(exc, self._secrets))
                return None
            self._unreachable_since = None
            windows = [getattr(model, "max_model_len", None) for model in page.data
                       if model.id == self.model]  # fmt: skip
            self._stated_window = next((w for w in windows if isinstance(w, int) and w > 0), None)
            return [model.id for model in page.data]

    # ---------------------------------------------------------------- before the first call

    @property
    def local(self) -> bool:
        """True for a server of one's own (``OPENAI_BASE_URL`` or `base_url`), not OpenAI's."""
        return bool(self.settings.base_url or os.environ.get("OPENAI_BASE_URL"))

    async def measure(self, user_message: str) -> Measured:
        """The JSON-mode prompt's tokens with `user_message`, by the server's own tokenizer.

        The model is checked first. A local server is asked to count
        (`count_tokens`); OpenAI's own API is not (its windows hold any prompt of
        this tool's). The count calibrates the chat's estimate (`Window.observe`).
        """
        await self._check_model()
        if not self.local:
            return Measured(None, "not measured (OpenAI's API)")
        text = self.schema_prompt + user_message
        client = self._connected()
        counted = await count_tokens(str(client.base_url), client.api_key, self.model, text)
        window = self._stated_window or (counted.window if counted else None)
        if counted is None:
            cuts = await running_models(str(client.base_url), client.api_key) is not None
            return Measured(None, "the server counts no tokens", window, cuts_silently=cuts)
        self.window.observe(len(text), counted.tokens)
        return Measured(counted.tokens, counted.source, window)

    async def probe(self, user_message: str) -> Measured:
        """One JSON-mode request with `user_message` and ``max_tokens`` 1, to measure.

        For a server that does not state its window: its ``usage`` counts the
        prompt, chat template included, and a server whose window the prompt
        does not fit refuses it, stating both sizes. One that cuts the prompt
        instead (Ollama) states its window once the request has loaded the
        model (`running_window`): a count that fills it is a prompt it cut.
        """
        probed = await self._probe(user_message)
        window = probed.window if probed is not None else None
        if window is None:
            client = self._connected()
            loaded = await running_models(str(client.base_url), client.api_key)
            window = running_window(loaded or [], self.model)
        if probed is None:
            return Measured(None, "the server reports no usage", window)
        if window is not None and probed.tokens >= window:
            return Measured(probed.tokens, f"{probed.source}, which the server cut", window)
        self.window.observe(len(self.schema_prompt + user_message), probed.tokens)
        return Measured(probed.tokens, probed.source, window)

    async def _probe(self, user_message: str) -> TokenCount | None:
        """One JSON-mode request, ``max_tokens`` 1: the prompt's tokens, or a refusal's sizes."""
        import openai

        form = replace(self.form, mode="json_object", json_object_schema=False)
        messages = [
            {"role": "system", "content": self.schema_prompt},
            {"role": "user", "content": user_message},
        ]
        try:
            text = await self._connected().post(
                CHAT_PATH, cast_to=str, body=self._bodies.body(form, messages, 1)
            )
        except openai.APIStatusError as exc:
            message = str(exc.message)
            tokens = stated_prompt(message)
            if not exceeds_context(exc) or tokens is None:
                log.debug("no measure (%s)", short_error(exc, self._secrets))
                return None
            return TokenCount(tokens, "the server's refusal", stated_window(message))
        except openai.OpenAIError as exc:
            log.debug("no measure (%s)", short_error(exc, self._secrets))
            return None
        try:
            tokens = prompt_tokens_of(read_completion(text, Usage()))
        except CallFailed:
            return None
        return TokenCount(tokens, "the usage of one request") if tokens else None

    # ---------------------------------------------------------------- an endpoint that is down

    def _note_connection_failure(self, exc: openai.APIConnectionError, usage: Usage) -> None:
        """Remember since when no connection could be made; after `CONNECT_GRACE`, the chat is down.

        Down, every request of the chat (those waiting to be retried too) ends
        at once in `EndpointFailed`: a job stops within seconds of its server
        going away, however many requests were in flight.
        """
        if not connect_failed(exc):
            return
        now = time.monotonic()
        if self._unreachable_since is None:
            self._unreachable_since = now
        if now - self._unreachable_since >= CONNECT_GRACE and self._down is None:
            detail = short_error(exc, self._secrets)
            message = unreachable_message(self.url, exc)
            self._down = EndpointFailed(CallFailed("transport", detail, usage),
                                        redact(message, self._secrets))  # fmt: skip

    def _raise_if_down(self, usage: Usage) -> None:
        down = self._down
        if down is not None:
            raise EndpointFailed(CallFailed(down.reason, down.detail, usage), down.message)

    def _not_worth_resending(self, exc: BaseException) -> bool:
        """A 5xx that says what is wrong with the request, or an endpoint found down."""
        return _not_worth_resending(exc) or self._down is not None

    def _failure(self, exc: openai.OpenAIError, usage: Usage) -> CallFailed:
        """This call's failure, or `EndpointFailed` when no call can succeed.

        A rejected response format that could not be adapted to is a bad request
        whatever its status: re-sending it cannot help.
        """
        import openai

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


#: Statuses a server answers before it reads the request's body.
_BEFORE_VALIDATION = frozenset({401, 403, 404, 408, 429})


def _accepts_form(exc: openai.APIStatusError) -> bool:
    """True when this error came from working on the request, so its form passed."""
    return exc.status_code not in _BEFORE_VALIDATION and not rejects_format(exc)


def _not_worth_resending(exc: BaseException) -> bool:
    """A 5xx that says what is wrong with the request: re-sending it cannot help."""
    import openai

    return isinstance(exc, openai.APIStatusError) and (rejects_format(exc) or exceeds_context(exc))
