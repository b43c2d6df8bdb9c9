"""The fake LLM server's judge of claim pairs: a small heuristic of its own.

The fake server (`annotate.testing.llm_server`) answers comparison requests
(``CLAIMS:\\n`` and a JSON object with ``claim_a`` and ``claim_b``) with a
`VerdictAnswer`-shaped dict: ``{"verdict": {...}}`` with only the fields its
relation uses, as a model under the strict schema answers. The heuristic is
deliberately simple and independent of the project's rule-based judge, so a
test of the LLM judge never passes because both sides share a bug:

* fewer than two shared content words, or under half of the shorter claim's
  -> ``unrelated``;
* a number before the same word in both claims ("80 companies" / "90
  companies") with different values -> ``contradicts`` / ``number``, the two
  numbers copied verbatim;
* most words shared -> ``same``; the shorter claim's words nearly all in a
  much longer one -> ``elaborates``; else ``unrelated``.
"""

from __future__ import annotations

import re
from typing import Any

#: The user message of a comparison request is this prefix, then the claims as JSON.
COMPARE_PREFIX = "CLAIMS:\n"
#: Values the ``hallucinate`` fault puts in a verdict: in neither claim.
HALLUCINATED_VALUES = {"a": "an invented figure", "b": "another invented figure"}

_WORD = re.compile(r"[^\W\d_][\w'-]*")
_COUNTED = re.compile(r"(\d+(?:[.,]\d+)*)\s+([^\W\d_]+)")
_STOP_WORDS = (
    "a an and are as at be been but by for from had has have in is it its of on or said "
    "says than that the their there they this to was were which will with would"
)
_STOP = frozenset(_STOP_WORDS.split())
SAME_JACCARD = 0.6
TOPIC_OVERLAP = 0.5


def judge_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """The verdict on ``claims["claim_a"]`` and ``claims["claim_b"]`` (their quotes)."""
    a, b = _quote(claims, "claim_a"), _quote(claims, "claim_b")
    words_a, words_b = _words(a), _words(b)
    shared = words_a & words_b
    shorter, longer = sorted((len(words_a), len(words_b)))
    if len(shared) < 2 or len(shared) < TOPIC_OVERLAP * shorter:
        return _verdict("unrelated", f"They share too few words ({len(shared)}).")
    numbers = _number_conflict(a, b)
    if numbers is not None:
        values = {"a": numbers[0], "b": numbers[1]}
        return _verdict("contradicts", "They count the same thing differently.", "number", values)
    if len(shared) >= SAME_JACCARD * len(words_a | words_b):
        return _verdict("same", "They state the same fact.")
    if len(shared) >= 0.8 * shorter and longer >= 1.5 * shorter:
        return _verdict("elaborates", "One states the other's fact with more detail.")
    return _verdict("unrelated", "Same topic, different facts.")


def spoiled(kind: str) -> dict[str, Any]:
    """A verdict spoilt by a content fault: JSON that a careful client refuses.

    ``validation_error`` is a contradiction without its detail and values (the
    union's contradiction requires them); ``hallucinate`` differs on values in
    neither claim.
    """
    if kind == "validation_error":
        return {"verdict": {"relation": "contradicts",
                            "rationale": "They differ (fake: detail left out)."}}  # fmt: skip
    return _verdict("contradicts", "They differ (fake).", "number", HALLUCINATED_VALUES)


def _quote(claims: dict[str, Any], key: str) -> str:
    claim = claims.get(key)
    return str(claim.get("quote") or "") if isinstance(claim, dict) else ""


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP}


def _number_conflict(a: str, b: str) -> tuple[str, str] | None:
    """The first two numbers counting the same word differently, as each claim writes them."""
    counted_b = {unit.lower(): number for number, unit in _COUNTED.findall(b)}
    for number, unit in _COUNTED.findall(a):
        other = counted_b.get(unit.lower())
        if other is not None and _value(other) != _value(number):
            return number, other
    return None


def _value(number: str) -> str:
    return number.replace(",", "")


def _verdict(
    relation: str,
    rationale: str,
    detail: str | None = None,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The answer as the union has it: detail and values only in a contradiction."""
    if relation != "contradicts":
        return {"verdict": {"relation": relation, "rationale": rationale}}
    verdict = {"relation": relation, "detail": detail, "values": values, "rationale": rationale}
    return {"verdict": verdict}
