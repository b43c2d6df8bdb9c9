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

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.requests += other.requests
