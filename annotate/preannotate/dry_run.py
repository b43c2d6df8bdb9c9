"""What a job would send and cost, worked out without sending anything (``--dry-run``).

The pending documents are walked exactly as the job would take them: the same
`job_key`, the same ``--limit``, the same chunking, and the same cache (a
chunk whose call is already stored costs nothing). Tokens come from
`estimate.TokenModel`, which says how it estimated them; re-asks, transport
retries and chunks split again after a truncation are not foreseen, so real
runs cost somewhat more on models that need them. Documents waiting in an
open batch of the job are not counted (the job leaves them to their batch);
`JobEstimate.in_batches` says how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotate.llm import PriceChoice
from annotate.store import Store

from .chunking import split_text
from .estimate import TokenModel, token_model
from .pipeline import call_key, job_key
from .providers.base import Provider


@dataclass(frozen=True)
class JobEstimate:
    """The expected requests, tokens and cost of the pending documents (cost None: no price)."""

    documents: int
    requests: int
    cached_calls: int
    text_chars: int
    prompt_tokens: float
    completion_tokens: float
    price: PriceChoice
    tokens: TokenModel
    #: Documents without a prediction that wait in an open batch of the job: not counted above.
    in_batches: int = 0

    @property
    def cost(self) -> float | None:
        if self.price.price is None:
            return None
        return self.price.price.cost(self.prompt_tokens, self.completion_tokens)

    def per_document(self) -> float | None:
        cost = self.cost
        return None if cost is None or not self.documents else cost / self.documents

    def as_json(self) -> dict[str, Any]:
        price = self.price.price
        return {
            "documents": self.documents,
            "in_open_batches": self.in_batches,
            "requests": self.requests,
            "cached_calls": self.cached_calls,
            "prompt_tokens": round(self.prompt_tokens),
            "completion_tokens": round(self.completion_tokens),
            "cost_usd": self.cost,
            "cost_per_document_usd": self.per_document(),
            "price_input": price.input_per_million if price else None,
            "price_output": price.output_per_million if price else None,
            "price_source": self.price.source,
            "input_tokens_method": self.tokens.input_method,
            "output_tokens_method": self.tokens.output_method,
        }


def estimate_job(
    store: Store,
    provider: Provider,
    price: PriceChoice,
    limit: int | None = None,
    tokens: TokenModel | None = None,
) -> JobEstimate:
    """Estimate the job `preannotate(store, provider, limit=limit)` would run; sends nothing.

    A provider whose calls are not paid for (the rules: not `cacheable`) makes
    no requests, so only its documents are counted.
    """
    key = job_key(provider)
    model = tokens or token_model(store, provider)
    paid = provider.cacheable
    documents = requests = cached = chars = 0
    prompt = 0.0
    for count, document in enumerate(store.batches.iter_unbatched(key)):
        if limit is not None and count >= limit:
            break
        documents += 1
        if not paid:
            continue
        for chunk in split_text(document.text, provider.max_chunk_chars):
            text = chunk.of(document.text)
            if store.calls.cached(call_key(provider, key, text)) is not None:
                cached += 1
                continue
            requests += 1
            chars += len(text)
            prompt += model.prompt_tokens(len(text))
    completion = model.completion_tokens(prompt)
    return JobEstimate(documents, requests, cached, chars, prompt, completion, price, model,
                       store.batches.count_in_open(key))  # fmt: skip
