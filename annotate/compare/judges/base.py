"""What every judge receives and returns, and the grounding of its differing values.

A judge reads candidate pairs and answers a `Verdict` (the comparison schema)
for each. Whatever the judge, the values it says differ must be copied from
the claims: `ground_values` keeps a value only when it is in its own claim
(exactly, or ignoring case and spacing, then copied back as the claim writes
it) and counts the ones it drops.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from annotate.schemas import DifferingValues, Verdict

from ..claims import ComparedClaim


@dataclass(frozen=True, slots=True)
class Pair:
    """A candidate pair: claims of two different documents and their lexical similarity."""

    a: ComparedClaim
    b: ComparedClaim
    similarity: float
    #: cross-document actor ids each claim names or is spoken by
    a_actors: frozenset[str] = frozenset()
    b_actors: frozenset[str] = frozenset()
    #: each claim is the other's most similar one in the other's document
    mutual: bool = False


@dataclass(frozen=True, slots=True)
class Unjudged:
    """A pair the judge could not decide (the endpoint kept failing, the answer never
    validated): counted and reported, never replaced by a made-up verdict."""

    reason: str
    detail: str


@dataclass
class JudgeUsage:
    """What judging cost: counted live, reported with the comparison."""

    calls: int = 0
    requests: int = 0
    reasks: int = 0
    #: filled fields an answer's relation does not use (a detail on "same"), dropped
    unused_fields: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    #: False when the model has no price: its cost is unknown, not free
    priced: bool = True


class Judge(Protocol):
    """Judges pairs; `model_version` names the rules or model (and prompt) that did."""

    name: str
    #: whether a verdict is worth keeping for the next run (an LLM's is; rules re-run faster)
    cacheable: bool
    usage: JudgeUsage

    @property
    def model_version(self) -> str: ...

    @property
    def cache_params(self) -> dict[str, Any]:
        """Settings that change its answers (never credentials): part of a verdict's key."""
        ...

    def judge_all(self, pairs: Sequence[Pair]) -> Iterator[Verdict | Unjudged]:
        """One verdict (or `Unjudged`) per pair, in the pairs' order."""
        ...


def ground_values(verdict: Verdict, a: str, b: str) -> tuple[Verdict, int]:
    """The verdict with its values copied from the claims; and how many were dropped.

    A value found in its claim only up to case or spacing is replaced by the
    claim's own words. When either value is not there, both are dropped (a
    half pair shows nothing) and the verdict keeps its relation and detail.
    """
    if verdict.values is None:
        return verdict, 0
    found_a, found_b = _find(verdict.values.a, a), _find(verdict.values.b, b)
    if found_a is None or found_b is None:
        dropped = (found_a is None) + (found_b is None)
        return verdict.model_copy(update={"values": None}), dropped
    values = DifferingValues(a=found_a, b=found_b)
    return verdict.model_copy(update={"values": values}), 0


def _find(value: str, claim: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value in claim:
        return value
    words = [re.escape(word) for word in value.split()]
    match = re.search(r"\s+".join(words), claim, re.IGNORECASE)
    return match.group() if match else None
