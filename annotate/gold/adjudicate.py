"""One gold annotation per document, by a stated and selectable policy.

Policies:

* ``auto`` (the default) takes, in order: the annotation of a **reviewer** (a
  Label Studio user named with ``--reviewer``, or an annotation flagged as
  ground truth in Label Studio); else the **majority** of the annotators; else,
  with one annotator, the **single** annotation.
* ``majority`` ignores reviewers and always votes (a single annotation still wins
  alone).

Majority works per Label Studio control, on the same regions annotators edit:
regions of one control are grouped across annotators by overlap, and a group
enters the gold when more than half of the document's annotators drew it; its
offsets, label and every per-region choice are the most common among them;
relations are kept when more than half of the annotators drew one between the
same two groups; document-level choices are the most common value. An exact
tie (say 1 against 1) is decided by the first annotator in alphabetical order
and **flagged**; a group drawn by exactly half is kept and flagged. A document
is **contested** when the annotators did not all agree on everything the gold
keeps or drops. The gold is converted back through the same converter as
annotations, so it validates exactly like them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from annotate.schemas import Annotation
from annotate.studio import layout as L
from annotate.studio.convert import results_to_annotation

from .regions import SPAN_FIELDS, Region, Regions, clusters, regions_of

Policy = Literal["auto", "majority"]
H = TypeVar("H", bound=Hashable)
POLICIES: tuple[str, ...] = ("auto", "majority")


@dataclass
class Gold:
    document_id: str
    annotation: Annotation
    #: How it was made: "reviewer", "majority" or "single".
    method: str
    annotators: list[str]
    contested: bool
    ties: list[str] = field(default_factory=list)


def adjudicate(
    document_id: str,
    text: str,
    annotations: Mapping[str, Annotation],
    *,
    policy: Policy = "auto",
    reviewers: Sequence[str] = (),
    regions: Mapping[str, Regions] | None = None,
) -> Gold:
    """The gold annotation of one document from its annotators' annotations.

    `regions` are the annotations' `regions_of`, when the caller has them already.
    """
    if not annotations:
        raise ValueError(f"document {document_id} has no annotation to adjudicate")
    annotators = sorted(annotations)
    if policy == "auto":
        reviewer = next((a for a in annotators if a in reviewers), None)
        if reviewer is not None:
            others_agree = all(annotations[a] == annotations[reviewer] for a in annotators)
            return Gold(
                document_id, annotations[reviewer], "reviewer", annotators, not others_agree
            )
    if len(annotators) == 1:
        return Gold(document_id, annotations[annotators[0]], "single", annotators, False)
    if regions is None:
        regions = {a: regions_of(annotations[a]) for a in annotators}
    vote = _Vote(regions)
    gold = results_to_annotation(vote.results(), text)
    return Gold(document_id, gold, "majority", annotators, vote.contested, vote.ties)


class _Vote:
    """Majority over annotators, control by control, in Label Studio's terms."""

    def __init__(self, regions: Mapping[str, Regions]) -> None:
        self.regions = regions
        self.annotators = sorted(regions)
        self.contested = False
        self.ties: list[str] = []
        self._results: list[dict[str, Any]] = []
        #: (annotator, region) -> id of the gold region it voted for
        self._group_of: dict[tuple[str, Region], str] = {}

    def results(self) -> list[dict[str, Any]]:
        for control in SPAN_FIELDS:
            for number, group in enumerate(clusters(self.regions, (control,))):
                self._vote_region(f"{control}-{number}", control, group)
        self._vote_relations()
        self._vote_document()
        return self._results

    # -- regions

    def _vote_region(self, region_id: str, control: str, group: dict[str, Region]) -> None:
        total, votes = len(self.annotators), len(group)
        if votes < total:
            self.contested = True
        if 2 * votes < total:
            return
        first = min(group.values(), key=lambda r: (r.start, r.end))
        where = f"{control} at {first.start}"
        if 2 * votes == total:
            self.ties.append(f"{where}: drawn by {votes} of {total} annotators (kept)")
        members = [group[who] for who in self.annotators if who in group]
        offsets = self._winner([(r.start, r.end) for r in members], f"{where} offsets")
        label = self._winner([r.label for r in members], f"{where} label")
        start, end = offsets
        for who, region in group.items():
            self._group_of[(who, region)] = region_id
        value = {"start": start, "end": end, "labels": [label]}
        self._results.append(_result(region_id, control, "labels", value))
        self._vote_attributes(region_id, start, end, group, where)

    def _vote_attributes(
        self, region_id: str, start: int, end: int, group: dict[str, Region], where: str
    ) -> None:
        names = sorted(
            {n for who, r in group.items() for n in self.regions[who].choices.get(r, {})}
        )
        for name in names:
            values = [
                self.regions[who].choices.get(group[who], {}).get(name)
                for who in self.annotators
                if who in group
            ]
            present = [v for v in values if v is not None]
            if len(present) < len(values):
                self.contested = True
            if 2 * len(present) < len(values) and name in L.CHOICES:
                continue  # most annotators left this choice empty
            chosen = self._winner(present, f"{where} {name}", flag=name in L.CHOICES)
            kind = "choices" if name in L.CHOICES else "textarea"
            key = "choices" if kind == "choices" else "text"
            value = {"start": start, "end": end, key: [chosen]}
            self._results.append(_result(region_id, name, kind, value))

    # -- relations and document

    def _vote_relations(self) -> None:
        votes: Counter[tuple[str, str, str]] = Counter()
        for who in self.annotators:
            drawn = set()
            for relation in self.regions[who].relations:
                source = self._group_of.get((who, relation.source))
                target = self._group_of.get((who, relation.target))
                if source and target:
                    drawn.add((relation.label, source, target))
            votes.update(drawn)
        total = len(self.annotators)
        for (label, source, target), count in sorted(votes.items()):
            if count < total:
                self.contested = True
            if 2 * count < total:
                continue
            if 2 * count == total:
                self.ties.append(f"relation {label} {source}->{target}: {count} of {total} (kept)")
            self._results.append(
                {"from_id": source, "to_id": target, "type": "relation", "labels": [label]}
            )

    def _vote_document(self) -> None:
        for name, kind, key in (
            (L.MAIN_TARGET, "textarea", "text"),
            (L.OVERALL_STANCE, "choices", "choices"),
        ):
            values = [self.regions[a].document.get(name) for a in self.annotators]
            present = [v for v in values if v is not None]
            if not present:
                continue
            chosen = self._winner(present, f"document {name}", flag=kind == "choices")
            result_id = f"document-{name}"
            self._results.append(_result(result_id, name, kind, {key: [chosen]}))

    # -- the vote itself

    def _winner(self, values: Sequence[H], what: str, flag: bool = True) -> H:
        """The most common value; a tie goes to the first annotator's value (flagged)."""
        counts = Counter(values)
        if len(counts) > 1:
            self.contested = True
        best = max(counts.values())
        leaders = [v for v in values if counts[v] == best]
        if flag and len(set(leaders)) > 1:
            self.ties.append(f"{what}: tie between {sorted(set(map(str, leaders)))}")
        return leaders[0]


def _result(region_id: str, control: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"id": region_id, "from_name": control, "to_name": L.TEXT, "type": kind, "value": value}
