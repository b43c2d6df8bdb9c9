"""The LLM judge: any OpenAI-compatible endpoint decides each candidate pair.

Each pair is one structured chat (`annotate.llm.StructuredChat`) answered as a
`VerdictAnswer` and read as a `Verdict`: the system prompt is
``prompts/compare.md`` and the user message is `USER_PREFIX` followed by the
two claims as one JSON object, so that the claims' words stay data and can
never read as instructions. The answer's JSON schema is a union on the
relation, so strict structured outputs only produce answers the validator
takes; fields an answer fills that its relation does not use (JSON mode, a
server that ignores the union) are dropped and counted in the usage
(``unused_fields``), not re-asked. Retries, pacing, the response-format
fallback and re-asks (an answer the validator refuses, such as a contradiction
without its detail, is re-asked) are the shared layer's. Pairs are judged
concurrently and answered in their order.

A pair that still fails is `Unjudged`, never a made-up verdict; a refused key
or an unreachable endpoint raises `EndpointFailed` (a `ProviderError`), so the
run stops with one line that names what to fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from annotate.errors import ConfigurationError, one_line
from annotate.llm import (
    CallFailed,
    ChatSettings,
    EndpointFailed,
    Price,
    StructuredChat,
    Usage,
    choose_price,
    default_model,
    ordered_results,
)
from annotate.prompts import load_prompt, prompt_version
from annotate.schemas import Verdict, schema_version
from annotate.schemas.compare import VerdictAnswer

from ..claims import ComparedClaim
from .base import JudgeUsage, Pair, Unjudged

NAME = "openai"
PROMPT = "compare"
#: The user message is this prefix followed by the pair as JSON. The fake server
#: (`annotate.testing.llm_server`) recognises a comparison request by it.
USER_PREFIX = "CLAIMS:\n"
#: What a re-ask reminds the model of, beyond the schema.
REASK_RULE = "copy the differing values verbatim from each claim's quote"
#: Tokens reserved beyond the system prompt and schema: role markers, the chat template.
PROMPT_MARGIN_TOKENS = 64


#: Tokens kept free for a verdict (a relation, a detail, two values and a sentence take
#: about 100); a request's ``max_tokens`` is cut to what its window leaves beyond that.
ANSWER_TOKENS = 256


class OpenAIJudge:
    """The `Judge` protocol over an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    The knobs are pre-annotation's (`annotate preannotate --help`): `base_url`
    and `api_key` default to ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``;
    `concurrency` requests in flight; `rpm`/`tpm` pacing; `max_retries`
    transport re-sends; `max_reasks` validation re-asks; `response_format`
    auto, json_schema or json_object. A pair whose claims do not fit
    `context_window_tokens` is not sent (``Unjudged("too_long")``). Cost uses
    the price table of `annotate.llm.pricing` unless `price_input` and
    `price_output` (USD per 1M tokens) say otherwise. `on_judged` is called
    once per pair answered, in order, from the caller's thread.
    """

    name = NAME
    cacheable = True

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        concurrency: int = 8,
        temperature: float = 0.0,
        max_tokens: int = 1024,
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
        price_input: float | None = None,
        price_output: float | None = None,
        prices_file: Path | None = None,
        on_judged: Callable[[], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigurationError(f"--concurrency must be at least 1, not {concurrency}")
        settings = ChatSettings(
            base_url=base_url, api_key=api_key, temperature=temperature, max_tokens=max_tokens,
            response_format=response_format, max_reasks=max_reasks, max_retries=max_retries,
            timeout=timeout, rpm=rpm, tpm=tpm, backoff_initial=backoff_initial,
            backoff_max=backoff_max, retry_after_cap=retry_after_cap,
            context_window=context_window_tokens,
        )  # fmt: skip
        self.model = model
        self.concurrency = concurrency
        self.context_window_tokens = context_window_tokens
        self.on_judged = on_judged
        #: OpenAI's list price only for OpenAI itself: a local server's model is not charged
        #: as if it were gpt-4o (`annotate.llm.pricing.choose_price`); unknown counts 0 here,
        #: and the usage says it is unknown (`JudgeUsage.priced`).
        self.price_choice = choose_price(
            model, input_override=price_input, output_override=price_output,
            prices_file=prices_file, base_url=base_url,
        )  # fmt: skip
        self.price = self.price_choice.price or Price(0.0, 0.0)
        self.usage = JudgeUsage(priced=self.price_choice.known)
        self.chat: StructuredChat[VerdictAnswer] = StructuredChat(
            model, VerdictAnswer, load_prompt(PROMPT), settings,
            schema_name="verdict", reask_rule=REASK_RULE,
        )  # fmt: skip

    @property
    def model_version(self) -> str:
        """The model, the prompt's hash and the schema's: a verdict cached under it is reusable."""
        return (
            f"{self.model}+prompt-{prompt_version(PROMPT)[:8]}"
            f"+schema-{schema_version(VerdictAnswer)[:8]}"
        )

    @property
    def cache_params(self) -> dict[str, Any]:
        """What changes the answers besides model and prompt (a verdict's key includes it)."""
        settings = self.chat.settings
        return {"temperature": settings.temperature, "max_tokens": settings.max_tokens}

    @property
    def mode(self) -> str:
        """The structured-output mode in use now (``json_schema`` or ``json_object``)."""
        return self.chat.mode

    @property
    def max_message_chars(self) -> int:
        """Characters of user message that fit the window beside the prompt and the answer.

        Estimated at the chat's calibrated characters per token (cautious until
        the server's own counts come in; `annotate.llm.window`), so a small local
        window is not overrun by a 4-characters-per-token guess.
        """
        window = self.chat.window
        overhead = window.prompt_tokens(len(self.chat.schema_prompt)) + PROMPT_MARGIN_TOKENS
        answer = min(self.chat.settings.max_tokens, ANSWER_TOKENS)  # max_tokens is cut to fit
        room = self.context_window_tokens - answer - overhead
        return window.chars_for(max(0, room))

    def judge_all(self, pairs: Sequence[Pair]) -> Iterator[Verdict | Unjudged]:
        """One verdict (or `Unjudged`) per pair, in the pairs' order, `concurrency` at a time."""
        answers = ordered_results(
            self.judge_pair, pairs, concurrency=self.concurrency, finish=self.chat.aclose
        )
        for answer in answers:
            if self.on_judged is not None:
                self.on_judged()
            yield answer

    async def judge_pair(self, pair: Pair) -> Verdict | Unjudged:
        """Ask about one pair; raises `EndpointFailed` when no pair can be judged."""
        message = user_message(pair)
        if len(message) > self.max_message_chars:
            return Unjudged(
                "too_long",
                f"the two claims take {len(message)} characters, more than the "
                f"{self.max_message_chars} that fit: raise --context-window",
            )
        self.usage.calls += 1
        try:
            answer = await self.chat.ask(message)
        except CallFailed as exc:
            self._count(exc.usage)
            if isinstance(exc, EndpointFailed):
                raise
            return Unjudged(exc.reason, one_line(exc.detail))
        self._count(answer.usage, answer.reasks)
        self.usage.unused_fields += answer.parsed.unused_fields
        return answer.parsed.to_verdict()

    def _count(self, usage: Usage, reasks: int = 0) -> None:
        counted = self.usage
        counted.requests += usage.requests
        counted.reasks += reasks
        counted.prompt_tokens += usage.prompt_tokens
        counted.completion_tokens += usage.completion_tokens
        counted.cost_usd += self.price.cost(usage.prompt_tokens, usage.completion_tokens)


def make_openai_judge(model: str | None = None, **options: Any) -> OpenAIJudge:
    """The judge for `model`, else ``$ANNOTATE_MODEL``, else the default model.

    `options` are `OpenAIJudge`'s keyword parameters (the CLI's knobs); the
    endpoint and key come from ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``
    unless given. A missing endpoint is a `ConfigurationError` at once.
    """
    return OpenAIJudge(model=default_model(model), **options)


def user_message(pair: Pair) -> str:
    """`USER_PREFIX` and the pair as one JSON object: the claims are data, quoted and escaped."""
    claims = {"claim_a": claim_fields(pair.a), "claim_b": claim_fields(pair.b)}
    return USER_PREFIX + json.dumps(claims, ensure_ascii=False)


def claim_fields(claim: ComparedClaim) -> dict[str, str | None]:
    """What the model reads of one claim (the prompt names these fields)."""
    published = claim.outlet.published
    return {
        "quote": claim.quote,
        "speaker": claim.speaker,
        "outlet": claim.outlet.name,
        "date": published.isoformat() if published else None,
        "proposition": claim.proposition,
    }
