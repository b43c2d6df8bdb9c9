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
exported outside the gold split and left out of what `eval` and `compare` read as
gold; model-vs-gold scores its agreed items and leaves out the tied ones, on both
sides (each `Tie` says which item it is). A reviewer's answer to the review task
(`review`) becomes the document's gold, method ``review``, its ties resolved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

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
#: What a tie is on: a span region (drawn by half, or its offsets or label), a per-region
#: choice, a document-level choice, a relation.
TieKind = Literal["span", "choice", "document", "relation"]


@dataclass(frozen=True)
class Place:
    """A region of the provisional gold a tie is on, and the text its group covers.

    The region (control, label, offsets) is how the gold's own region is found; the
    group's stretch (from the first start to the last end of every annotator's region
    of it) is where a prediction of the same item may sit, whichever tied offsets it
    took.
    """

    control: str
    label: str
    start: int
    end: int
    group_start: int
    group_end: int

    @property
    def key(self) -> tuple[str, str, int, int]:
        """What makes the gold's region this one (`Region` equality, as a plain tuple)."""
        return (self.control, self.label, self.start, self.end)


@dataclass(frozen=True)
class Tie:
    """One item the annotators split evenly on: which it is, and how people read it.

    Made once, here, by the vote; model-vs-gold leaves exactly these items out of a
    waiting document's comparison, and `text` is what the card, the export's `ties`
    column, the report's `disagreements` and the review task show.
    """

    kind: TieKind
    #: the field it belongs to, as agreement and model-vs-gold name it: a span control
    #: (``claim``), a per-region choice (``attribution``), a document choice
    #: (``overall_stance``) or ``relation:LABEL``
    field: str
    text: str
    #: the region it is on (a span's own, a choice's region, a relation's source);
    #: None for a document choice
    region: Place | None = None
    #: a relation's target
    target: Place | None = None

    def as_json(self) -> dict[str, Any]:
        """As the gold table's measures keep it (`dataclasses.asdict` deep-copies: slower)."""

        def place(value: Place | None) -> dict[str, Any] | None:
            return None if value is None else dict(vars(value))

        return {"kind": self.kind, "field": self.field, "text": self.text,
                "region": place(self.region), "target": place(self.target)}  # fmt: skip

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Tie:
        def place(raw: dict[str, Any] | None) -> Place | None:
            return None if raw is None else Place(**raw)

        return cls(value["kind"], value["field"], value["text"], place(value["region"]),
                   place(value["target"]))  # fmt: skip


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
    #: the items the annotators split evenly on (what a review resolved, when method is review)
    ties: list[Tie] = field(default_factory=list)
    #: The gold's regions (what model-vs-gold scores against); empty when invalid.
    regions: Regions = field(default_factory=Regions)
    #: Why the vote made no valid annotation.
    problems: list[str] = field(default_factory=list)

    @property
    def unresolved(self) -> bool:
        """Does a tie wait for a reviewer (a majority vote with ties, not reviewed)?"""
        return self.method == "majority" and bool(self.ties)

    @property
    def tie_texts(self) -> list[str]:
        """The ties as people read them (the export's `ties` column, the report, the store)."""
        return [tie.text for tie in self.ties]


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
        self.ties: list[Tie] = []
        self._gold = Regions()
        #: (annotator, region's control, label, start, end) -> the gold region it voted for:
        #: keyed by what makes regions equal, as a plain tuple (hashed without a call)
        self._group_of: dict[tuple[str, str, str, int, int], Region] = {}
        #: a gold region's id -> its group (where a tie on it sits: `_place`)
        self._groups: dict[str, dict[str, Region]] = {}

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
        (start, end), offsets = self._winner([(r.start, r.end) for r in members])
        label, labels = self._winner([r.label for r in members])
        region = self._gold_region(region_id, control, label, start, end)
        self._keep(region, group)
        texts = [f"{where}: drawn by {votes} of {total} annotators"] if 2 * votes == total else []
        texts += [f"{where} {what}: {_between(tied)}"
                  for what, tied in (("offsets", offsets), ("label", labels)) if tied]  # fmt: skip
        for text in texts:
            self._tie("span", control, text, self._place(region))
        self._vote_attributes(region, members, where)

    def _gold_region(self, region_id: str, control: str, label: str, start: int,
                     end: int) -> Region:  # fmt: skip
        return Region(control, label, start, end, region_id, self.text[start:end])

    def _keep(self, region: Region, group: dict[str, Region]) -> None:
        """The region enters the gold; relations drawn to its members now point to it."""
        for who, member in group.items():
            self._group_of[(who, member.control, member.label, member.start, member.end)] = region
        self._groups[region.id] = group
        self._gold.spans.append(region)

    def _place(self, region: Region) -> Place:
        """Where a tie on this gold region sits (made only for a tie: most regions have none)."""
        group = self._groups[region.id].values()
        return Place(region.control, region.label, region.start, region.end,
                     min(r.start for r in group), max(r.end for r in group))  # fmt: skip

    def _tie(self, kind: TieKind, name: str, text: str, region: Place | None = None,
             target: Place | None = None) -> None:  # fmt: skip
        self.ties.append(Tie(kind, name, text, region, target))

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
            chosen, tied = self._winner(present)
            if tied and name in L.CHOICES:
                self._tie("choice", name, f"{where} {name}: {_between(tied)}", self._place(region))
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
            source, target = by_id[source_id], by_id[target_id]
            if 2 * count == total:
                text = f"relation {label} {source_id}->{target_id}: {count} of {total}"
                self._tie("relation", f"relation:{label}", text, self._place(source),
                          self._place(target))  # fmt: skip
            self._gold.relations.append(Relation(label, source, target))

    def _vote_document(self) -> None:
        for name in (L.MAIN_TARGET, L.OVERALL_STANCE):
            values = [self.found[a].document.get(name) for a in self.annotators]
            present = [v for v in values if v is not None]
            if not present:
                continue
            chosen, tied = self._winner(present)
            if tied and name in L.CHOICES:
                self._tie("document", name, f"document {name}: {_between(tied)}")
            if chosen.strip():
                self._gold.document[name] = chosen.strip()

    # -- the vote itself

    def _winner(self, values: Sequence[H]) -> tuple[H, list[H]]:
        """The most common value and the values that tied for it (`vote`)."""
        winner, tied = vote(values)
        if any(value != winner for value in values):
            self.contested = True
        return winner, tied


def _between(tied: Sequence[Hashable]) -> str:
    """A tie's values as its text names them."""
    return f"tie between {sorted(set(map(str, tied)))}"


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
