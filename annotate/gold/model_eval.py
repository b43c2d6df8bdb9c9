"""How good were the pre-annotations? Each model version against the human gold.

Per Label Studio control, precision / recall / F1 of a model version's
predictions against the gold of the same documents:

* span controls: regions matched exactly (offsets and label), per label too;
* per-region choices: a predicted choice counts as right when the gold region
  it overlaps (same control kind) carries the same value;
* document choices: the predicted value against the gold value;
* relations: same label, both endpoints overlapping the gold's.

A document whose gold waits for a reviewer is scored on its resolved items only:
each tied item (`adjudicate.Tie`) is left out of both sides, the gold's item
and whatever prediction would be matched with it (`_LeftOut`), so it is neither a
hit, a miss nor a false alarm; the document's agreed items count as usual.

And the fate of pre-annotated regions in each annotator's annotation of the
same document: **kept** (the same region, label and choices), **edited** (an
overlapping region of the same control that differs) or **deleted** (nothing
overlapping left).
"""

from __future__ import annotations

import operator
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from annotate.codec import Region, Regions, Relation
from annotate.codec import layout as L

from .adjudicate import Place, Tie
from .matching import Counts, clean, exact, related


@dataclass
class Evaluated:
    """One document: its gold's regions, its annotators' regions, its predictions' regions."""

    gold: Regions
    annotations: Sequence[Regions]
    #: model_version -> `regions_of` its latest prediction
    predictions: Mapping[str, Regions]
    #: the items of a gold that waits for a reviewer: left out of both sides
    ties: Sequence[Tie] = ()


@dataclass
class _Tally:
    counts: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    fate: dict[str, int] = field(default_factory=lambda: {"kept": 0, "edited": 0, "deleted": 0})


class ModelScores:
    """Accumulates, one document at a time, how each model version fares against the gold."""

    def __init__(self) -> None:
        self.tallies: dict[str, _Tally] = defaultdict(_Tally)

    def add(self, document: Evaluated) -> None:
        left = _LeftOut(document.ties, document.gold) if document.ties else None
        gold = document.gold if left is None else left.gold
        for version, predicted in document.predictions.items():
            _score(self.tallies[version], predicted if left is None else left.of(predicted), gold)
            for annotation in document.annotations:
                _fate(self.tallies[version], predicted, annotation)

    def as_json(self) -> dict[str, Any]:
        return {
            version: {
                "counts": {
                    name: [c.true_positive, c.false_positive, c.false_negative]
                    for name, c in tally.counts.items()
                },
                "fate": tally.fate,
            }
            for version, tally in self.tallies.items()
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ModelScores:
        scores = cls()
        for version, tally in value.items():
            mine = scores.tallies[version]
            for name, (tp, fp, fn) in tally["counts"].items():
                mine.counts[name] = Counts(tp, fp, fn)
            mine.fate.update(tally["fate"])
        return scores

    def merge(self, other: ModelScores) -> None:
        """Add another set of documents' counts (the same as adding its documents here)."""
        for version, theirs in other.tallies.items():
            tally = self.tallies[version]
            for name, counts in theirs.counts.items():
                tally.counts[name].add(counts)
            for fate, number in theirs.fate.items():
                tally.fate[fate] += number

    def report(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """``{model_version: {FIELD: {precision, recall, f1}}}`` and the regions' fates.

        FIELD is a Label Studio control name, ``control:label`` for one label of a
        span control, or ``relation:label``. The fates are
        ``{model_version: {pre_annotated_regions, share_kept, share_edited, share_deleted}}``;
        a version with no gold to be scored against has fates only.
        """
        ordered = sorted(self.tallies.items())
        return (
            {version: _report(tally) for version, tally in ordered if tally.counts},
            {version: _fates(tally) for version, tally in ordered},
        )


def _score(tally: _Tally, predicted: Regions, gold: Regions) -> None:
    counts = tally.counts
    for name in L.SPAN_FIELDS:
        mine, theirs = predicted.of(name), gold.of(name)
        counts[name].match(mine, theirs, exact)
        for label in {r.label for r in mine + theirs}:
            counts[f"{name}:{label}"].match(
                predicted.labelled(name, label), gold.labelled(name, label), exact
            )
    for name in L.REGION_CHOICES:
        counts[name].add(_choice_counts(predicted, gold, name))
    for name in L.DOCUMENT_CHOICES:
        said, truth = predicted.document.get(name), gold.document.get(name)
        counts[name].match([said] if said else [], [truth] if truth else [], operator.eq)
    for label in L.RELATIONS:
        drawn = [r for r in predicted.relations if r.label == label]
        other = [r for r in gold.relations if r.label == label]
        counts[f"relation:{label}"].match(drawn, other, related)


Key = tuple[str, str, int, int]


def _key(region: Region) -> Key:
    """What makes two regions the same region (`Region` equality, as a plain tuple)."""
    return (region.control, region.label, region.start, region.end)


def _relation_key(relation: Relation) -> tuple[str, Key, Key]:
    return (relation.label, _key(relation.source), _key(relation.target))


def _within(region: Region, places: Sequence[Place]) -> bool:
    """Does the region overlap the text of one of these tied groups (of its control)?"""
    start, end = region.start, region.end
    return any(p.group_start < end and start < p.group_end for p in places)


class _LeftOut:
    """A waiting document's tied items, left out of both sides of its comparison.

    On the gold's side, the tied items themselves: a tied region (drawn by half the
    annotators, or with tied offsets or label) with its per-region choices, which
    only its own voters gave; a tied per-region choice; a tied relation; a tied
    document choice. On a prediction's side, whatever would be matched with them:
    a region of the tied region's control within its group's text (whichever tied
    offsets it took), the choice on such a region, a relation of the tied label
    between regions within both endpoints' groups, the document choice. A
    prediction that is exactly one of the gold's agreed items (an agreed region,
    choice or relation that happens to touch a tied group) is kept: it is scored.
    """

    def __init__(self, ties: Sequence[Tie], gold: Regions) -> None:
        #: control -> its tied regions; choice -> control -> the regions it is tied on
        self.spans: dict[str, list[Place]] = defaultdict(list)
        self.choices: dict[str, dict[str, list[Place]]] = defaultdict(lambda: defaultdict(list))
        self.relations: list[tuple[str, Place, Place]] = []
        self.document = {t.field for t in ties if t.kind == "document"}
        for tie in ties:
            if tie.kind == "span" and tie.region:
                self.spans[tie.region.control].append(tie.region)
            elif tie.kind == "choice" and tie.region:
                self.choices[tie.field][tie.region.control].append(tie.region)
            elif tie.kind == "relation" and tie.region and tie.target:
                label = tie.field.removeprefix("relation:")
                self.relations.append((label, tie.region, tie.target))
        self.gold = self._gold(gold)
        spans = self.gold.spans
        self.agreed = {_key(region) for region in spans}
        self.agreed_choices = {
            name: {_key(r) for r in spans if name in r.attributes} for name in self.choices
        }
        self.agreed_relations = {_relation_key(r) for r in self.gold.relations}

    def _gold(self, gold: Regions) -> Regions:
        """The gold less its tied items."""
        tied = {p.key for places in self.spans.values() for p in places}
        choices = {
            name: {p.key for places in by_control.values() for p in places}
            for name, by_control in self.choices.items()
        }
        relations = {(label, s.key, t.key) for label, s, t in self.relations}
        spans = []
        for region in gold.spans:
            key = _key(region)
            if key in tied:
                continue
            if choices and region.attributes:
                region = _less(region, [name for name, keys in choices.items() if key in keys])
            spans.append(region)
        return Regions(
            spans,
            [r for r in gold.relations if _relation_key(r) not in relations],
            {name: value for name, value in gold.document.items() if name not in self.document},
        )

    def of(self, predicted: Regions) -> Regions:
        """A prediction less what would be matched with the tied items."""
        spans = []
        for region in predicted.spans:
            key = _key(region)
            places = self.spans.get(region.control)
            if places and key not in self.agreed and _within(region, places):
                continue
            if self.choices and region.attributes:
                region = _less(region, self._tied_choices(region, key))
            spans.append(region)
        return Regions(
            spans,
            [r for r in predicted.relations if not self._tied_relation(r)],
            {k: v for k, v in predicted.document.items() if k not in self.document},
        )

    def _tied_choices(self, region: Region, key: Key) -> list[str]:
        """The region's choices that would be matched with a tied choice of the gold."""
        return [
            name
            for name, by_control in self.choices.items()
            if name in region.attributes
            and key not in self.agreed_choices[name]
            and _within(region, by_control.get(region.control, ()))
        ]

    def _tied_relation(self, relation: Relation) -> bool:
        if not self.relations or _relation_key(relation) in self.agreed_relations:
            return False
        source, target = relation.source, relation.target
        return any(
            relation.label == label
            and source.control == s.control
            and target.control == t.control
            and _within(source, (s,))
            and _within(target, (t,))
            for label, s, t in self.relations
        )


def _less(region: Region, names: Sequence[str]) -> Region:
    """The region without the per-region choices `names` (a copy: regions are not changed)."""
    if not names:
        return region
    attributes = {k: v for k, v in region.attributes.items() if k not in names}
    return Region(region.control, region.label, region.start, region.end, region.id,
                  region.text, attributes)  # fmt: skip


def _choice_counts(predicted: Regions, gold: Regions, name: str) -> Counts:
    """A predicted choice is right when an overlapping gold region of its control has it.

    Greedy one-to-one matching in order, as `match_count`, with the test inlined.
    """
    mine = [r for r in predicted.spans if name in r.attributes]
    free = [r for r in gold.spans if name in r.attributes]
    theirs = len(free)
    matched = 0
    for region in mine:
        value, control = region.attributes[name], region.control
        start, end = region.start, region.end
        for index, other in enumerate(free):
            if (
                other.control == control
                and other.start < end
                and start < other.end
                and other.attributes[name] == value
            ):
                del free[index]
                matched += 1
                break
    return Counts(matched, len(mine) - matched, theirs - matched)


def _fate(tally: _Tally, predicted: Regions, annotation: Regions) -> None:
    """Kept: the same region with the same attributes; edited: an overlapping one; deleted.

    Regions are looked up by their equality key (control, label, offsets) as a
    plain tuple, and the overlap index of a control is built only when one of its
    regions was not kept (most are).
    """
    same: dict[tuple[str, str, int, int], list[dict[str, str]]] = {}
    for region in annotation.spans:
        key = (region.control, region.label, region.start, region.end)
        same.setdefault(key, []).append(region.attributes)
    reach: dict[str, _Reach] = {}
    fate = tally.fate
    for region in predicted.spans:
        key = (region.control, region.label, region.start, region.end)
        if region.attributes in same.get(key, ()):
            fate["kept"] += 1
            continue
        if region.control not in reach:
            reach[region.control] = _Reach(annotation.of(region.control))
        fate["edited" if reach[region.control].overlaps(region) else "deleted"] += 1


class _Reach:
    """Does any of these regions overlap a given one? In O(log n): regions sorted by
    start, with the furthest end reached by each prefix."""

    def __init__(self, regions: Sequence[Region]) -> None:
        ordered = sorted(regions, key=lambda r: r.start)
        self.starts = [r.start for r in ordered]
        self.furthest = list(accumulate((r.end for r in ordered), max))

    def overlaps(self, region: Region) -> bool:
        before = bisect_left(self.starts, region.end)  # regions starting before it ends
        return before > 0 and self.furthest[before - 1] > region.start


def _report(tally: _Tally) -> dict[str, Any]:
    return {
        name: clean({"precision": c.precision, "recall": c.recall, "f1": c.f1})
        for name, c in sorted(tally.counts.items())
    }


def _fates(tally: _Tally) -> dict[str, Any]:
    total = sum(tally.fate.values())
    shares = {f"share_{k}": round(v / total, 4) if total else None for k, v in tally.fate.items()}
    return {"pre_annotated_regions": total, **shares}
