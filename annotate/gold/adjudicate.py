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
same two groups; document-level choices are the most common value. A document
is **contested** when the annotators did not all agree on everything the gold
keeps or drops. The gold is converted back through the same converter as
annotations, so it validates exactly like them.

Ties go to people, never to annotator order (issue 21): an exact tie (say 1
against 1) and a group drawn by exactly half are **unresolved** and listed in
`ties`. Until a reviewer settles them (``annotate push --review``, then ``pull
--review``), the document's gold is provisional: each tied item carries the least
of its tied values (by value, so no annotator's name decides), and the document is
exported outside the gold split, left out of model-vs-gold and of what `eval` and
`compare` read as gold. A reviewer's answer to the review task (`review`) becomes
the document's gold, method ``review``, its ties resolved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from annotate.codec import (
    ConversionError,
    Region,
    Regions,
    Relation,
    regions_of,
    regions_to_annotation,
)
from annotate.codec import layout as L
from annotate.schemas import Annotation

from .matching import Found

Policy = Literal["auto", "majority"]
H = TypeVar("H", bound=Hashable)
POLICIES: tuple[str, ...] = ("auto", "majority")


@dataclass
class Gold:
    """A document's gold, made by voting on the codec's regions.

    A vote that does not make a valid annotation (say a stance whose holder no
    majority linked) leaves `annotation` None and names the `problems`: the
    document stays out of the gold for a reviewer to settle.
    """

    document_id: str
    #: The gold annotation; None when the vote did not make a valid one (see `problems`).
    annotation: Annotation | None
    #: How it was made: "reviewer", "majority" or "single".
    method: str
    annotators: list[str]
    contested: bool
    ties: list[str] = field(default_factory=list)
    #: The gold's regions (what model-vs-gold scores against); empty when invalid.
    regions: Regions = field(default_factory=Regions)
    #: Why the vote made no valid annotation.
    problems: list[str] = field(default_factory=list)

    @property
    def unresolved(self) -> bool:
        """Does a tie wait for a reviewer (a majority vote with ties, not reviewed)?"""
        return self.method == "majority" and bool(self.ties)


def decided_by(
    annotators: Sequence[str], reviewers: Collection[str], policy: Policy
) -> tuple[str, str | None]:
    """Which rule of `policy` decides among `annotators` (by name), and whose answer it takes.

    The policy of every kind of task (a document's annotation, a pair's verdict):
    ("reviewer", the first reviewer by name) under ``auto`` when a reviewer answered;
    else ("single", the one annotator); else ("majority", None), the kind's own vote.
    """
    if policy == "auto":
        reviewer = next((a for a in annotators if a in reviewers), None)
        if reviewer is not None:
            return "reviewer", reviewer
    if len(annotators) == 1:
        return "single", annotators[0]
    return "majority", None


def adjudicate(
    document_id: str,
    text: str,
    annotations: Mapping[str, Annotation],
    *,
    policy: Policy = "auto",
    reviewers: Sequence[str] = (),
    regions: Mapping[str, Regions] | None = None,
    review: Annotation | None = None,
) -> Gold:
    """The gold annotation of one document from its annotators' annotations.

    `regions` are the annotations' `regions_of`, when the caller has them already;
    `review` is a reviewer's answer to the document's review of ties: it is the gold
    when the vote tied (method ``review``, the ties kept as what it resolved).
    """
    if not annotations:
        raise ValueError(f"document {document_id} has no annotation to adjudicate")
    annotators = sorted(annotations)
    if regions is None:
        regions = {a: regions_of(annotations[a]) for a in annotators}
    method, chosen = decided_by(annotators, reviewers, policy)
    if chosen is not None:
        contested = any(annotations[a] != annotations[chosen] for a in annotators)
        return Gold(document_id, annotations[chosen], method, annotators, contested,
                    regions=regions[chosen])  # fmt: skip
    vote = _Vote(regions, text)
    voted = vote.regions()
    if vote.ties and review is not None:
        return Gold(document_id, review, "review", annotators, vote.contested, vote.ties,
                    regions=regions_of(review))  # fmt: skip
    gold = Gold(document_id, None, "majority", annotators, vote.contested, vote.ties)
    try:
        gold.annotation = regions_to_annotation(voted, text)
    except ConversionError as exc:
        gold.problems = exc.problems
        return gold
    gold.regions = regions_of(gold.annotation)
    return gold


class _Vote:
    """Majority over annotators, control by control, on the codec's regions."""

    def __init__(self, regions: Mapping[str, Regions], text: str) -> None:
        self.found = Found.of(regions)
        self.text = text
        self.annotators = sorted(regions)
        self.contested = False
        self.ties: list[str] = []
        self._gold = Regions()
        #: (annotator, region's control, label, start, end) -> the gold region it voted for:
        #: keyed by what makes regions equal, as a plain tuple (hashed without a call)
        self._group_of: dict[tuple[str, str, str, int, int], Region] = {}

    def regions(self) -> Regions:
        for control in L.SPAN_FIELDS:
            for number, group in enumerate(self.found.clusters((control,))):
                self._vote_region(f"{control}-{number}", control, group)
        self._vote_relations()
        self._vote_document()
        return self._gold

    # -- regions

    def _vote_region(self, region_id: str, control: str, group: dict[str, Region]) -> None:
        total, votes = len(self.annotators), len(group)
        members = [group[who] for who in self.annotators if who in group]
        if votes == total and _alike(members):  # everyone drew it alike: nothing to count
            first = members[0]
            region = self._gold_region(region_id, control, first.label, first.start, first.end)
            region.attributes.update(
                (name, value.strip()) for name, value in first.attributes.items() if value.strip()
            )
            self._keep(region, group)
            return
        if votes < total:
            self.contested = True
        if 2 * votes < total:
            return
        first = min(group.values(), key=lambda r: (r.start, r.end))
        where = f"{control} at {first.start}"
        if 2 * votes == total:
            self.ties.append(f"{where}: drawn by {votes} of {total} annotators")
        start, end = self._winner([(r.start, r.end) for r in members], f"{where} offsets")
        label = self._winner([r.label for r in members], f"{where} label")
        region = self._gold_region(region_id, control, label, start, end)
        self._vote_attributes(region, members, where)
        self._keep(region, group)

    def _gold_region(self, region_id: str, control: str, label: str, start: int,
                     end: int) -> Region:  # fmt: skip
        return Region(control, label, start, end, region_id, self.text[start:end])

    def _keep(self, region: Region, group: dict[str, Region]) -> None:
        """The region enters the gold; relations drawn to its members now point to it."""
        for who, member in group.items():
            self._group_of[(who, member.control, member.label, member.start, member.end)] = region
        self._gold.spans.append(region)

    def _vote_attributes(self, region: Region, voters: list[Region], where: str) -> None:
        """Each per-region choice and text among the group's regions, in annotator order."""
        names = sorted({name for member in voters for name in member.attributes})
        for name in names:
            values = [member.attributes.get(name) for member in voters]
            present = [v for v in values if v is not None]
            if len(present) < len(values):
                self.contested = True
            if 2 * len(present) < len(values) and name in L.CHOICES:
                continue  # most annotators left this choice empty
            chosen = self._winner(present, f"{where} {name}", flag=name in L.CHOICES)
            if chosen.strip():
                region.attributes[name] = chosen.strip()

    # -- relations and document

    def _vote_relations(self) -> None:
        votes: Counter[tuple[str, str, str]] = Counter()
        by_id: dict[str, Region] = {}
        for who in self.annotators:
            drawn = set()
            for relation in self.found[who].relations:
                one, other = relation.source, relation.target
                source = self._group_of.get((who, one.control, one.label, one.start, one.end))
                target = self._group_of.get(
                    (who, other.control, other.label, other.start, other.end)
                )
                if source and target:
                    by_id[source.id], by_id[target.id] = source, target
                    drawn.add((relation.label, source.id, target.id))
            votes.update(drawn)
        total = len(self.annotators)
        for (label, source_id, target_id), count in sorted(votes.items()):
            if count < total:
                self.contested = True
            if 2 * count < total:
                continue
            if 2 * count == total:
                self.ties.append(f"relation {label} {source_id}->{target_id}: {count} of {total}")
            self._gold.relations.append(Relation(label, by_id[source_id], by_id[target_id]))

    def _vote_document(self) -> None:
        for name in (L.MAIN_TARGET, L.OVERALL_STANCE):
            values = [self.found[a].document.get(name) for a in self.annotators]
            present = [v for v in values if v is not None]
            if not present:
                continue
            chosen = self._winner(present, f"document {name}", flag=name in L.CHOICES)
            if chosen.strip():
                self._gold.document[name] = chosen.strip()

    # -- the vote itself

    def _winner(self, values: Sequence[H], what: str, flag: bool = True) -> H:
        """The most common value (`vote`); a tie is listed in `ties` when `flag`."""
        winner, tied = vote(values)
        if any(value != winner for value in values):
            self.contested = True
        if flag and tied:
            self.ties.append(f"{what}: tie between {sorted(set(map(str, tied)))}")
        return winner


def vote(values: Sequence[H]) -> tuple[H, list[H]]:
    """The most common of `values`, and the values that tied for most (empty: no tie).

    The vote of every kind of task (a region's offsets, label and choices, a pair's
    relation). A tie is not decided here: it waits for a reviewer, and meanwhile the
    least of the tied values (by value, never by who gave it) stands in.
    """
    first = values[0]
    if all(value == first for value in values):  # the usual case: no vote to count
        return first, []
    counts = Counter(values)
    best = max(counts.values())
    leaders = sorted({v for v in values if counts[v] == best}, key=repr)
    return leaders[0], (leaders if len(leaders) > 1 else [])


def _alike(regions: Sequence[Region]) -> bool:
    """Are the regions equal, attributes too? (Region equality, compared as plain tuples.)"""
    first = regions[0]
    key, attributes = (first.control, first.label, first.start, first.end), first.attributes
    for region in regions[1:]:
        if (region.control, region.label, region.start, region.end) != key:
            return False
        if region.attributes != attributes:
            return False
    return True
