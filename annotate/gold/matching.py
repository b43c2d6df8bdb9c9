"""Matching regions and relations: across annotators by overlap, and one to one for F1.

Shared by inter-annotator agreement (annotator against annotator), adjudication
(which regions annotators drew alike) and the model-versus-gold scores
(prediction against gold), so all three count alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annotate.codec import Region, Regions, Relation


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
    if not left or not right:
        return Counts(0, len(left), len(right))
    if same is exact:
        return _exact_count(left, right)
    if same is partial:
        return _partial_count(left, right)
    if same is related:
        return _related_count(left, right)
    free = list(right)
    matched = 0
    for item in left:
        partner = next((other for other in free if same(item, other)), None)
        if partner is not None:
            free.remove(partner)
            matched += 1
    return Counts(matched, len(left) - matched, len(free))


def _exact_count(left: Sequence[Region], right: Sequence[Region]) -> Counts:
    """Greedy matching on equality is a multiset intersection: the same counts, in linear time."""
    available: dict[tuple[int, int, str], int] = {}
    for region in right:
        key = (region.start, region.end, region.label)
        available[key] = available.get(key, 0) + 1
    matched = 0
    for region in left:
        key = (region.start, region.end, region.label)
        if available.get(key):
            available[key] -= 1
            matched += 1
    return Counts(matched, len(left) - matched, len(right) - matched)


def _partial_count(left: Sequence[Region], right: Sequence[Region]) -> Counts:
    """`match_count` with `partial`, inlined: the same greedy matching, without a call per test."""
    free = list(right)
    matched = 0
    for item in left:
        label, start, end = item.label, item.start, item.end
        for index, other in enumerate(free):
            if other.label == label and other.start < end and start < other.end:
                del free[index]
                matched += 1
                break
    return Counts(matched, len(left) - matched, len(free))


def _related_count(left: Sequence[Relation], right: Sequence[Relation]) -> Counts:
    """`match_count` with `related`, inlined like `_partial_count`."""
    free = list(right)
    matched = 0
    for item in left:
        source, target = item.source, item.target
        for index, other in enumerate(free):
            theirs, their_target = other.source, other.target
            if (
                other.label == item.label
                and theirs.start < source.end
                and source.start < theirs.end
                and their_target.start < target.end
                and target.start < their_target.end
            ):
                del free[index]
                matched += 1
                break
    return Counts(matched, len(left) - matched, len(free))


def exact(a: Region, b: Region) -> bool:
    return (a.start, a.end, a.label) == (b.start, b.end, b.label)


def partial(a: Region, b: Region) -> bool:
    return a.label == b.label and a.overlaps(b)


def related(a: Relation, b: Relation) -> bool:
    return a.label == b.label and a.source.overlaps(b.source) and a.target.overlaps(b.target)


def clusters(found: Mapping[str, Regions], kinds: tuple[str, ...]) -> list[dict[str, Region]]:
    """Regions of `kinds` grouped across annotators by overlap, one per annotator each.

    Regions are visited in text order and each joins the first group (in the order
    groups were opened) without a region of its annotator that it overlaps. A group
    whose regions all end before the current region starts can never be joined
    again, so it leaves the search: the pass is near-linear in the regions.
    """
    tagged = sorted(
        (
            (region, who)
            for who in sorted(found)
            for region in found[who].spans
            if region.control in kinds
        ),
        key=lambda item: (item[0].start, item[0].end, item[1]),
    )
    groups: list[dict[str, Region]] = []
    open_groups: list[tuple[dict[str, Region], list[int]]] = []  # (group, [its last end])
    for region, who in tagged:
        open_groups = [entry for entry in open_groups if entry[1][0] > region.start]
        home = next(
            (
                entry
                for entry in open_groups
                if who not in entry[0] and any(r.overlaps(region) for r in entry[0].values())
            ),
            None,
        )
        if home is None:
            group = {who: region}
            groups.append(group)
            open_groups.append((group, [region.end]))
        else:
            home[0][who] = region
            home[1][0] = max(home[1][0], region.end)
    return groups


class Found(dict[str, Regions]):
    """Each annotator's regions of one document, with the clusters made of them kept.

    Agreement and adjudication both cluster the same claims; a document's
    clusters are made once.
    """

    def __init__(self, found: Mapping[str, Regions]) -> None:
        super().__init__(found)
        self._clusters: dict[tuple[str, ...], list[dict[str, Region]]] = {}

    @classmethod
    def of(cls, found: Mapping[str, Regions]) -> Found:
        return found if isinstance(found, Found) else cls(found)

    def clusters(self, kinds: tuple[str, ...]) -> list[dict[str, Region]]:
        if kinds not in self._clusters:
            self._clusters[kinds] = clusters(self, kinds)
        return self._clusters[kinds]


def clean(value: Any) -> Any:
    """Round floats for the report and turn NaN into None (JSON has no NaN)."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value
