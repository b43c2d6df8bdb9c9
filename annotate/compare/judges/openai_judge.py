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
from typing import Any

from annotate.errors import one_line
from annotate.llm import (
    CallFailed,
    EndpointFailed,
    EndpointSettings,
    Price,
    StructuredChat,
    Usage,
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

    The settings are pre-annotation's (`EndpointSettings`, `annotate preannotate
    --help`): the model (else ``$ANNOTATE_MODEL``, else the default), the
    endpoint and key (``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` unless given, a
    missing endpoint being a `ConfigurationError` at once), `concurrency`
    requests in flight, pacing, retries, re-asks and the response format. A
    pair whose claims do not fit the context window is not sent
    (``Unjudged("too_long")``). Cost uses the price table of
    `annotate.llm.pricing` unless the settings' prices say otherwise.
    `on_judged` is called once per pair answered, in order, from the caller's
    thread.
    """

    name = NAME
    cacheable = True

    def __init__(
        self,
        settings: EndpointSettings | None = None,
        *,
        on_judged: Callable[[], None] | None = None,
    ) -> None:
        settings = settings or EndpointSettings()
        self.model = settings.resolved_model()
        self.concurrency = settings.concurrency
        self.context_window_tokens = settings.context_window
        self.on_judged = on_judged
        #: OpenAI's list price only for OpenAI itself: a local server's model is not charged
        #: as if it were gpt-4o (`annotate.llm.pricing.choose_price`); unknown counts 0 here,
        #: and the usage says it is unknown (`JudgeUsage.priced`).
        self.price_choice = settings.price_of(self.model)
        self.price = self.price_choice.price or Price(0.0, 0.0)
        self.usage = JudgeUsage(priced=self.price_choice.known)
        self.chat: StructuredChat[VerdictAnswer] = StructuredChat(
            self.model, VerdictAnswer, load_prompt(PROMPT), settings,
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
