"""The OpenAI-compatible chat-completions provider (OpenAI, vLLM, Ollama, llama.cpp, ...).

Everything about talking to the endpoint (retries, pacing, the response-format
fallback, re-asks, failures without secrets) is the shared LLM layer's
`StructuredChat`. This module only adds what is particular to extraction: the
prompt and `Extraction` schema, the article after `USER_PREFIX`, the chunk
budget that fits the context window (calibrated as the server reports its
token counts), and the identity and cache parameters the pipeline records.
"""

from __future__ import annotations

import logging
from typing import Any

from annotate.errors import ConfigurationError
from annotate.llm import EndpointSettings, StructuredChat
from annotate.llm.structured import Measured
from annotate.prompts import load_prompt, prompt_hash
from annotate.schemas import Extraction, schema_version

from .base import ProviderResult

log = logging.getLogger(__name__)

#: The user message is this prefix followed by the article (or chunk) text. The
#: fake server (`annotate.testing.llm_server`) finds the article by this prefix.
USER_PREFIX = "ARTICLE:\n"
#: Tokens reserved beyond the system prompt, schema and prefix: role markers and
#: the chat template's own tokens.
PROMPT_MARGIN_TOKENS = 64
#: Fewest tokens of article, and of answer, one call is worth making for.
MIN_CHUNK_TOKENS = 256
#: What a re-ask reminds the model of, beyond the schema.
REASK_RULE = "copy quotes verbatim from the article"
#: How each server is given a larger context window: what a too-small window's message names.
WINDOW_FLAGS = (
    "llama.cpp's llama-server -c/--ctx-size, llama-cpp-python --n_ctx, vLLM --max-model-len, "
    "Ollama num_ctx or OLLAMA_CONTEXT_LENGTH"
)


def window_too_small(window: int, whose: str, prompt_tokens: int, how: str) -> ConfigurationError:
    """The one error a window too small for the prompt, an article chunk and an answer ends in."""
    room = max(window - prompt_tokens, 0)
    return ConfigurationError(
        f"the {window}-token context window ({whose}) leaves {room} tokens after the prompt "
        f"and schema ({prompt_tokens} tokens, {how}), fewer than the {2 * MIN_CHUNK_TOKENS} "
        f"an article chunk and its answer need: start the server with a larger window "
        f"({WINDOW_FLAGS}) and give it with --context-window"
    )


class OpenAIChatProvider:
    """Extraction through any OpenAI-compatible ``/v1/chat/completions`` endpoint.

    Built from the endpoint's `EndpointSettings` (the model, its window and
    output limit, pacing, retries). `base_url` and `api_key` default to the
    SDK's own ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``; neither is part of
    `cache_params`, so the same model behind another URL reuses the cache. The
    key is never put into an exception, a log line or the cache key. Cost is
    computed by the pipeline (`annotate.llm.pricing`); `prompt` is another
    prompt's text (`annotate eval --prompt`), versioned by its hash.
    """

    name = "openai"
    cacheable = True

    def __init__(
        self, settings: EndpointSettings | None = None, *, prompt: str | None = None
    ) -> None:
        settings = settings or EndpointSettings()
        self.model = settings.resolved_model()
        #: The window as given (--context-window); the chat's may shrink to the server's own.
        self.declared_window = settings.context_window
        self._warned_small_window = False
        system = load_prompt() if prompt is None else prompt
        self.prompt_version = prompt_hash(system)
        self.chat = StructuredChat(
            self.model, Extraction, system, settings,
            schema_name="extraction", reask_rule=REASK_RULE,
        )  # fmt: skip

    # ---------------------------------------------------------------- protocol

    @property
    def model_version(self) -> str:
        return f"{self.model}+prompt-{self.prompt_version[:8]}+schema-{schema_version()[:8]}"

    @property
    def mode(self) -> str:
        """The structured-output mode in use now: "auto" starts strict and may fall back."""
        return self.chat.mode

    @property
    def cache_params(self) -> dict[str, Any]:
        """What changes the output. The URL and key do not: they say where, not what."""
        settings = self.chat.settings
        return {
            "model": self.model,
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
            "response_format": settings.response_format,
        }

    @property
    def prompt_overhead_chars(self) -> int:
        """Characters every request sends besides the text: the longest system prompt and prefix.

        What a cost estimate adds to each chunk before it has past calls to learn
        from (`annotate.preannotate.estimate`); the JSON-mode prompt, which
        carries the schema, is the longer and so the safer side.
        """
        return len(self.chat.schema_prompt) + len(USER_PREFIX)

    @property
    def retries(self) -> int:
        """Transport re-sends so far, counted as they happen (for the progress line)."""
        return self.chat.retries

    @property
    def max_chunk_chars(self) -> int:
        """Characters of article one call can take, leaving room for its answer.

        The window holds the prompt (the system prompt with the schema, plus
        `PROMPT_MARGIN_TOKENS` for the chat template), the article and the
        answer. The answer is given ``max_tokens`` when that leaves at least
        `MIN_CHUNK_TOKENS` of article; otherwise (a small local window) the
        room after the prompt is shared half and half, each request's
        ``max_tokens`` then being cut to what its prompt leaves
        (`annotate.llm.window`). Tokens are estimated at the chat's calibrated
        characters per token, and this is read per document, so chunks grow
        or shrink as the server's own counts come in. A window too small for
        `MIN_CHUNK_TOKENS` of each is a `ConfigurationError` naming its sizes,
        once measured: before that, small chunks go out to measure it.
        """
        window = self.chat.window
        sent = len(self.chat.schema_prompt) + len(USER_PREFIX)  # JSON mode's, the longest
        overhead = window.prompt_tokens(sent) + PROMPT_MARGIN_TOKENS
        room = self.context_window_tokens - overhead
        max_tokens = self.chat.settings.max_tokens
        if room - max_tokens >= MIN_CHUNK_TOKENS:
            return window.chars_for(room - max_tokens)
        if room < 2 * MIN_CHUNK_TOKENS and not window.measured:
            return window.chars_for(MIN_CHUNK_TOKENS)  # the first answers will say
        if room < 2 * MIN_CHUNK_TOKENS:
            how = f"estimated at {window.describe()}"
            raise window_too_small(self.context_window_tokens, self._window_source, overhead, how)
        if not self._warned_small_window:
            self._warned_small_window = True
            log.warning(
                "the %d-token context window leaves %d tokens after the prompt, fewer than "
                "--max-tokens %d plus %d of article: sharing them half and half",
                self.context_window_tokens, room, max_tokens, MIN_CHUNK_TOKENS,
            )  # fmt: skip
        return window.chars_for(room // 2)

    @property
    def context_window_tokens(self) -> int:
        """The window requests are sized for: the one given, or the smaller one the server states.

        A server states its window before the first document (`prepare`) or in
        a refusal of a request longer than it (`annotate.llm.window.Window`).
        """
        return self.chat.window.context_window or self.declared_window

    @property
    def _window_source(self) -> str:
        if self.context_window_tokens < self.declared_window:
            return "as the server states it"
        return "--context-window"

    async def prepare(self) -> None:
        """Before the first document: the model served, and a window the prompt leaves room in.

        The server counts the prompt (system prompt and schema, as JSON mode
        sends them) with its own tokenizer where it can (`StructuredChat.measure`),
        and a window it states smaller than ``--context-window`` is the one used.
        When the full schema leaves too little, JSON mode's compact schema (no
        descriptions: `annotate.llm.request.compact_schema`) is counted and kept
        if it fits. A window that holds neither with `MIN_CHUNK_TOKENS` of
        article and as many of answer is one `ConfigurationError` naming the
        sizes and the flag that enlarges it, before any document is sent or
        marked failed. Raises
        `EndpointFailed` when the endpoint cannot be reached or does not serve
        the model.
        """
        forms = (False, True) if self.chat.settings.response_format != "json_schema" else (False,)
        tried: list[Measured] = []
        window_said = False
        for compact in forms:  # the full schema, then the compact one (no descriptions)
            self.chat.compact = compact
            measured = await self.chat.measure(USER_PREFIX)
            window_said = self._adopt(measured) or window_said
            unsure = measured.cuts_silently or (measured.tokens is not None and not window_said)
            if unsure and self._fits(measured):
                # It counts but does not say its window (llama-cpp-python), or cuts a
                # long prompt without a word (Ollama): one request tells.
                probed = await self.chat.probe(USER_PREFIX)
                window_said = self._adopt(probed) or window_said
                measured = probed if probed.tokens is not None else measured
            if self._fits(measured):
                if compact:
                    log.warning(
                        "the %d-token context window leaves too little after the full schema "
                        "(%s tokens): JSON mode carries the compact schema (%s tokens)",
                        self.context_window_tokens, tried[0].tokens, measured.tokens,
                    )  # fmt: skip
                return
            tried.append(measured)
        self.chat.compact = False
        full = tried[0]
        prompt_tokens = (full.tokens or 0) + PROMPT_MARGIN_TOKENS
        how = f"counted by {full.source}, plus {PROMPT_MARGIN_TOKENS} for the template"
        if len(tried) > 1:
            how += f"; {tried[1].tokens} with the schema's compact form"
        raise window_too_small(self.context_window_tokens, self._window_source, prompt_tokens, how)

    def _adopt(self, measured: Measured) -> bool:
        """Use the window the server states when it is smaller than --context-window.

        True when it states one.
        """
        if measured.window is not None and measured.window < self.context_window_tokens:
            log.warning(
                "the server runs the model with a %d-token context window, smaller than "
                "--context-window %d: using %d",
                measured.window, self.context_window_tokens, measured.window,
            )  # fmt: skip
            self.chat.window.context_window = measured.window
        return measured.window is not None

    def _fits(self, measured: Measured) -> bool:
        """True when the window holds the prompt, an article chunk and an answer (or unsaid)."""
        if measured.tokens is None:
            return True
        room = self.context_window_tokens - measured.tokens - PROMPT_MARGIN_TOKENS
        return room >= 2 * MIN_CHUNK_TOKENS

    async def extract(self, text: str) -> ProviderResult:
        """Extract from `text`; raises `ExtractionFailed` (the LLM layer's `CallFailed`)."""
        answer = await self.chat.ask(USER_PREFIX + text)
        return ProviderResult(answer.parsed, answer.raw, answer.usage, answer.reasks)

    async def extract_answered(self, text: str, answered: str) -> ProviderResult:
        """`extract`, with `answered` (a batch's answer for `text`) as the model's first answer.

        A valid answer costs no call; an invalid one is re-asked online as the
        first re-ask, as `extract` would have (`StructuredChat.ask`).
        """
        answer = await self.chat.ask(USER_PREFIX + text, answered=answered)
        return ProviderResult(answer.parsed, answer.raw, answer.usage, answer.reasks)

    def request_body(self, text: str) -> dict[str, Any]:
        """The chat-completions body `extract` would send first for `text` (a batch line's)."""
        return self.chat.request_body(USER_PREFIX + text)

    async def aclose(self) -> None:
        await self.chat.aclose()
