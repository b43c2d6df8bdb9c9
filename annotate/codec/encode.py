"""Schema `Annotation` -> regions (and so -> Label Studio results).

Follows `layout`: an actor region per mention with its ``canonical_name``; a
claim region with its choices, a ``speaker`` relation to the nearest mention of
its speaker (or the name typed in ``speaker_name``) and a ``cue`` relation to
its cue region; a stance on the claim region of its holder's claim when there
is one, else on a ``stance_evidence`` region of its own; a ``target`` relation
to the nearest mention of an actor target, else the topic typed in
``stance_target``; the document's stance as document-level choices.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field

from annotate.schemas import OUTLET, Annotation, GroundedActor, GroundedClaim, GroundedStance, Span

from . import layout as L
from .regions import Region, Regions, Relation, Result, render


def regions_of(annotation: Annotation) -> Regions:
    """The annotation's regions, attributes and relations, in the layout's terms."""
    out = _Builder()
    mentions = _actor_regions(out, annotation.actors)
    hosts = _claim_regions(out, annotation.claims, mentions)
    for stance in annotation.stances:
        _stance_regions(out, stance, hosts, mentions)
    if annotation.document is not None:
        out.set(out.regions.document, L.MAIN_TARGET, annotation.document.main_target)
        out.set(out.regions.document, L.OVERALL_STANCE, annotation.document.overall)
    return out.regions


def annotation_to_results(annotation: Annotation) -> list[Result]:
    """Label Studio results for `annotation`, in the layout `labelconfig` declares."""
    return render(regions_of(annotation))


def prediction_payload(annotation: Annotation, model_version: str, score: float) -> Result:
    """A Label Studio prediction: the results plus the model version and a score."""
    return {
        "model_version": model_version,
        "score": score,
        "result": annotation_to_results(annotation),
    }


class _Builder:
    def __init__(self) -> None:
        self.regions = Regions()
        self._counts: Counter[str] = Counter()

    def region(self, control: str, span: Span, label: str) -> Region:
        region_id = f"{control}-{self._counts[control]}"
        self._counts[control] += 1
        region = Region(control, label, span.start, span.end, region_id, span.text)
        self.regions.spans.append(region)
        return region

    def relation(self, source: Region, target: Region, label: str) -> None:
        self.regions.relations.append(Relation(label, source, target))

    @staticmethod
    def set(attributes: dict[str, str], control: str, value: str) -> None:
        """An attribute; an empty value is no value (as Label Studio reads it back)."""
        if value.strip():
            attributes[control] = value


@dataclass
class _Mentions:
    """Each actor's mention regions, to point relations at the nearest one.

    A claim's speaker is looked up once per claim: a scan of every mention of the
    speaker was quadratic when one actor speaks thousands of claims (a 5 MB article:
    66,000 claims took 500 s). Mentions in text order that do not overlap (what
    grounding gives) are searched by bisection instead; any others by the scan.
    """

    by_actor: dict[str, list[Region]] = field(default_factory=dict)
    _ordered: dict[str, tuple[list[int], list[int]] | None] = field(default_factory=dict)

    def nearest(self, canonical: str, span: Span) -> Region | None:
        """The mention closest to `span` (overlapping is closest); the earlier one on a tie."""
        regions = self.by_actor.get(canonical)
        if not regions:
            return None
        if canonical not in self._ordered:
            self._ordered[canonical] = _bounds_if_ordered(regions)
        bounds = self._ordered[canonical]
        if bounds is None:
            return _nearest_by_scan(regions, span)
        starts, ends = bounds
        # distance 0 (overlapping or touching): start <= span.end and end >= span.start
        not_after = bisect_right(starts, span.end)  # regions[:i] start at or before its end
        touching = bisect_left(ends, span.start)  # regions[j:] end at or after its start
        if touching < not_after:
            return regions[touching]  # distance 0, the earliest start
        before_end = not_after
        candidates = regions[max(0, before_end - 1) : before_end + 1]
        return _nearest_by_scan(candidates, span)


def _bounds_if_ordered(regions: list[Region]) -> tuple[list[int], list[int]] | None:
    """(starts, ends) when the regions are in text order and do not overlap, else None."""
    for left, right in zip(regions, regions[1:], strict=False):
        if right.start < left.end or right.start < left.start:
            return None
    return [r.start for r in regions], [r.end for r in regions]


def _nearest_by_scan(regions: list[Region], span: Span) -> Region:
    start, end = span.start, span.end
    return min(regions, key=lambda r: (max(r.start - end, start - r.end, 0), r.start))


def _actor_regions(out: _Builder, actors: list[GroundedActor]) -> _Mentions:
    mentions = _Mentions()
    for actor in actors:
        for mention in actor.mentions:
            region = out.region(L.ACTOR, mention, actor.type)
            out.set(region.attributes, L.CANONICAL_NAME, actor.canonical_name)
            mentions.by_actor.setdefault(actor.canonical_name, []).append(region)
    return mentions


@dataclass
class _Host:
    """A claim region that can carry one stance of its own speaker."""

    region: Region
    claim: GroundedClaim
    used: bool = False

    @property
    def where(self) -> tuple[int, int, str]:
        return _where(self.claim.span)


def _where(span: Span) -> tuple[int, int, str]:
    """A span as a tuple: compared far faster than the model (this runs per stance and claim)."""
    return span.start, span.end, span.text


def _claim_regions(
    out: _Builder, claims: list[GroundedClaim], mentions: _Mentions
) -> list[_Host]:
    hosts = []
    for claim in claims:
        region = out.region(L.CLAIM, claim.span, L.CLAIM_LABEL)
        out.set(region.attributes, L.ATTRIBUTION, claim.attribution)
        out.set(region.attributes, L.CHECK_WORTHY, "yes" if claim.check_worthy else "no")
        out.set(region.attributes, L.PROPOSITION, claim.proposition)
        _link_actor(out, region, claim.span, claim.speaker, L.SPEAKER, L.SPEAKER_NAME, mentions)
        if claim.cue is not None:
            cue = out.region(L.CUE, claim.cue, L.CUE_LABEL)
            out.relation(region, cue, L.CUE_OF)
        hosts.append(_Host(region, claim))
    return hosts


def _link_actor(
    out: _Builder,
    region: Region,
    span: Span,
    name: str,
    relation: str,
    fallback_control: str,
    mentions: _Mentions,
) -> None:
    """A relation to the nearest mention of `name`, or its name typed when it has none."""
    if name == OUTLET:
        return
    mention = mentions.nearest(name, span)
    if mention is not None:
        out.relation(region, mention, relation)
    else:
        out.set(region.attributes, fallback_control, name)


def _stance_regions(
    out: _Builder, stance: GroundedStance, hosts: list[_Host], mentions: _Mentions
) -> None:
    evidence = _where(stance.evidence)
    host = next(
        (
            h
            for h in hosts
            if not h.used and h.where == evidence and h.claim.speaker == stance.holder
        ),
        None,
    )
    if host is not None:
        host.used = True
        region = host.region
    else:
        region = out.region(L.STANCE_EVIDENCE, stance.evidence, L.EVIDENCE_LABEL)
        if stance.holder == OUTLET:
            out.set(region.attributes, L.HOLDER_NAME, OUTLET)
        _link_actor(out, region, stance.evidence, stance.holder, L.HOLDER, L.HOLDER_NAME, mentions)
    out.set(region.attributes, L.STANCE, stance.label)
    target = mentions.nearest(stance.target, stance.evidence)
    if target is not None:
        out.relation(region, target, L.TARGET)
    else:
        out.set(region.attributes, L.STANCE_TARGET, stance.target)
