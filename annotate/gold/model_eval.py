"""How good were the pre-annotations? Each model version against the human gold.

Per Label Studio control, precision / recall / F1 of a model version's
predictions against the gold of the same documents:

* span controls: regions matched exactly (offsets and label), per label too;
* per-region choices: a predicted choice counts as right when the gold region
  it overlaps (same control kind) carries the same value;
* document choices: the predicted value against the gold value;
* relations: same label, both endpoints overlapping the gold's.

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

from annotate.codec import Region, Regions
from annotate.codec import layout as L

from .matching import Counts, clean, exact, related


@dataclass
class Evaluated:
    """One document: its gold's regions, its annotators' regions, its predictions' regions."""

    #: None while the gold waits for a reviewer: the predictions are not scored against it
    #: (their regions' fates in the annotators' answers still count)
    gold: Regions | None
    annotations: Sequence[Regions]
    #: model_version -> `regions_of` its latest prediction
    predictions: Mapping[str, Regions]


@dataclass
class _Tally:
    counts: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    fate: dict[str, int] = field(default_factory=lambda: {"kept": 0, "edited": 0, "deleted": 0})


class ModelScores:
    """Accumulates, one document at a time, how each model version fares against the gold."""

    def __init__(self) -> None:
        self.tallies: dict[str, _Tally] = defaultdict(_Tally)

    def add(self, document: Evaluated) -> None:
        for version, predicted in document.predictions.items():
            if document.gold is not None:
                _score(self.tallies[version], predicted, document.gold)
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
        a version with no resolved gold to be scored against has fates only.
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
