"""Matching regions and relations: across annotators by overlap, and one to one for F1.

Shared by inter-annotator agreement (annotator against annotator), adjudication
(which regions annotators drew alike) and the model-versus-gold scores
(prediction against gold), so all three count alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
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

    def match(
        self, left: Sequence[Any], right: Sequence[Any], same: Callable[[Any, Any], bool]
    ) -> None:
        """Add the counts of matching `left` against `right` (`match_count`, without making one)."""
        hit = matched(left, right, same)
        self.true_positive += hit
        self.false_positive += len(left) - hit
        self.false_negative += len(right) - hit

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
    hit = matched(left, right, same)
    return Counts(hit, len(left) - hit, len(right) - hit)


def matched(left: Sequence[Any], right: Sequence[Any], same: Callable[[Any, Any], bool]) -> int:
    """How many items of `left` one-to-one greedy matching in order pairs with one of `right`.

    Every F1 count is made of this number and the two lengths; callers that count
    per label by the dozen per document take it as is, without a `Counts`.
    """
    if not left or not right:
        return 0
    if same is exact:
        return _exact_matched(left, right)
    if same is partial:
        return _partial_matched(left, right)
    if same is related:
        return _related_matched(left, right)
    free = list(right)
    hits = 0
    for item in left:
        partner = next((other for other in free if same(item, other)), None)
        if partner is not None:
            free.remove(partner)
            hits += 1
    return hits


def _exact_matched(left: Sequence[Region], right: Sequence[Region]) -> int:
    """Greedy matching on equality is a multiset intersection: the same count, in linear time."""
    available: dict[tuple[int, int, str], int] = {}
    for region in right:
        key = (region.start, region.end, region.label)
        available[key] = available.get(key, 0) + 1
    hits = 0
    for region in left:
        key = (region.start, region.end, region.label)
        if available.get(key):
            available[key] -= 1
            hits += 1
    return hits


def _partial_matched(left: Sequence[Region], right: Sequence[Region]) -> int:
    """`matched` with `partial`, inlined: the same greedy matching, without a call per test."""
    free = list(right)
    hits = 0
    for item in left:
        label, start, end = item.label, item.start, item.end
        for index, other in enumerate(free):
            if other.label == label and other.start < end and start < other.end:
                del free[index]
                hits += 1
                break
    return hits


def _related_matched(left: Sequence[Relation], right: Sequence[Relation]) -> int:
    """`matched` with `related`, inlined like `_partial_matched`."""
    free = list(right)
    hits = 0
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
                hits += 1
                break
    return hits


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
    again, so it leaves the search: the pass is near-linear in the regions. This
    runs for every document, three times, so the overlap test is inlined and the
    open groups are filtered only when one of them has closed.
    """
    tagged = [
        ((region.start, region.end, who), region)
        for who in sorted(found)
        for region in found[who].spans
        if region.control in kinds
    ]
    tagged.sort(key=itemgetter(0))
    groups: list[dict[str, Region]] = []
    open_groups: list[tuple[dict[str, Region], list[int]]] = []  # (group, [its last end])
    closes = 0  # no open group ends before this (the earliest last end of the open groups)
    for (start, end, who), region in tagged:
        if start >= closes and open_groups:
            open_groups = [entry for entry in open_groups if entry[1][0] > start]
            closes = min((entry[1][0] for entry in open_groups), default=0)
        home = _home(open_groups, who, start, end)
        if home is None:
            group = {who: region}
            groups.append(group)
            open_groups.append((group, [end]))
            closes = end if len(open_groups) == 1 else min(closes, end)
        else:
            home[0][who] = region
            home[1][0] = max(home[1][0], end)
    return groups


def _home(
    open_groups: list[tuple[dict[str, Region], list[int]]], who: str, start: int, end: int
) -> tuple[dict[str, Region], list[int]] | None:
    """The first open group without a region of `who` that has one overlapping [start, end)."""
    for entry in open_groups:
        group = entry[0]
        if who in group:
            continue
        for other in group.values():
            if other.start < end and start < other.end:
                return entry
    return None


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
