"""Matching regions and relations one to one, and the counts F1 is made of.

Shared by inter-annotator agreement (annotator against annotator) and the
model-versus-gold scores (prediction against gold), so both count alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .regions import Region, Relation


@dataclass
class Counts:
    true_positive: float = 0
    false_positive: float = 0
    false_negative: float = 0

    def add(self, other: Counts) -> None:
        self.true_positive += other.true_positive
        self.false_positive += other.false_positive
        self.false_negative += other.false_negative

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else math.nan

    @property
    def recall(self) -> float:
        expected = self.true_positive + self.false_negative
        return self.true_positive / expected if expected else math.nan

    @property
    def f1(self) -> float:
        denominator = 2 * self.true_positive + self.false_positive + self.false_negative
        return 2 * self.true_positive / denominator if denominator else math.nan


def match_count(
    left: Sequence[Any], right: Sequence[Any], same: Callable[[Any, Any], bool]
) -> Counts:
    """One-to-one greedy matching in order: counts of matched and unmatched items."""
    free = list(right)
    matched = 0
    for item in left:
        partner = next((other for other in free if same(item, other)), None)
        if partner is not None:
            free.remove(partner)
            matched += 1
    return Counts(matched, len(left) - matched, len(free))


def exact(a: Region, b: Region) -> bool:
    return (a.start, a.end, a.label) == (b.start, b.end, b.label)


def partial(a: Region, b: Region) -> bool:
    return a.label == b.label and a.overlaps(b)


def related(a: Relation, b: Relation) -> bool:
    return a.label == b.label and a.source.overlaps(b.source) and a.target.overlaps(b.target)


def clean(value: Any) -> Any:
    """Round floats for the report and turn NaN into None (JSON has no NaN)."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value
