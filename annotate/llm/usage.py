"""Tokens and HTTP attempts one structured call spent, retries and re-asks included."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Usage:
    """Tokens and HTTP attempts spent on one call (all retries and re-asks included).

    Counted as the attempts happen, so a call that fails still reports what it
    cost: the failure carries its `Usage` too.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    #: The part of the tokens above answered through a Batch API, billed at its discount
    #: (`annotate.llm.pricing.BATCH_DISCOUNT`).
    batch_prompt_tokens: int = 0
    batch_completion_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.requests += other.requests
        self.batch_prompt_tokens += other.batch_prompt_tokens
        self.batch_completion_tokens += other.batch_completion_tokens
