"""Label Studio results -> regions -> schema `Annotation`.

`parse_results` reads an annotator's result list into regions, checking every
region's ``text`` against ``text[start:end]``: offsets are Python code points
(as Label Studio 1.23's UI counts them), and a tool that counted in UTF-16
(shifted after an emoji) is refused instead of silently moving spans.
`regions_to_annotation` reads regions back into an `Annotation`, with the
shortcuts annotators take: an unlabelled claim-actor relation is the speaker,
an unlinked cue belongs to the nearest claim, an empty proposition is the
claim's text; a claim without attribution or check-worthiness is refused by
name. Both collect every problem before raising one `ConversionError`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import ValidationError

from annotate.errors import InputError
from annotate.schemas import (
    OUTLET,
    Annotation,
    DocumentStance,
    GroundedActor,
    GroundedClaim,
    GroundedStance,
    Span,
)

from . import layout as L
from .regions import Region, Regions, Relation, Result


class ConversionError(InputError, ValueError):
    """Label Studio results that do not make a valid annotation; `problems` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def results_to_annotation(results: Iterable[Result], text: str) -> Annotation:
    """Read an annotator's Label Studio results for `text`; ConversionError if unusable."""
    regions, problems = parse_results(results, text)
    return regions_to_annotation(regions, text, problems)


# --------------------------------------------------------------------------
# results -> regions
# --------------------------------------------------------------------------


def parse_results(results: Iterable[Result], text: str) -> tuple[Regions, list[str]]:
    """The regions of a result list, and the problems of the results that were left out."""
    regions, problems = Regions(), list[str]()
    by_id: dict[str, Region] = {}
    attributes: list[Result] = []
    links: list[tuple[str, str, str]] = []
    for result in results:
        kind = result.get("type")
        if kind == "relation":
            labels = result.get("labels") or [""]
            links.append((result["from_id"], result["to_id"], labels[0]))
        elif kind == "labels":
            region = _region(result, text, problems)
            if region is not None:
                by_id[region.id] = region
                regions.spans.append(region)
        elif kind in ("choices", "textarea"):
            attributes.append(result)
    for result in attributes:
        _add_attribute(regions, by_id, result)
    for from_id, to_id, label in links:
        source, target = by_id.get(from_id), by_id.get(to_id)
        if source is not None and target is not None:
            label = label or _inferred_label(source, target)
            regions.relations.append(Relation(label, source, target))
    return regions, problems


def _region(result: Result, text: str, problems: list[str]) -> Region | None:
    value = result.get("value") or {}
    control = result.get("from_name", "")
    labels = value.get("labels") or []
    if control not in L.SPAN_LABELS or not labels:
        problems.append(f"region {result.get('id')}: unknown control or no label")
        return None
    start, end = int(value["start"]), int(value["end"])
    actual = text[start:end]
    if "text" in value and value["text"] != actual:
        problems.append(
            f"region {result.get('id')} [{start}:{end}] says {value['text']!r} but the text "
            f"there is {actual!r}: offsets must be Python code points"
        )
        return None
    return Region(control, labels[0], start, end, result["id"], actual)


def _add_attribute(regions: Regions, by_id: dict[str, Region], result: Result) -> None:
    value = result.get("value") or {}
    items = value.get("choices") if result["type"] == "choices" else value.get("text")
    if isinstance(items, str):
        items = [items]
    first = next((str(item).strip() for item in items or [] if str(item).strip()), None)
    if first is None:
        return
    region = by_id.get(result.get("id", ""))
    if region is not None:
        region.attributes[result["from_name"]] = first
    elif result.get("from_name") in (L.OVERALL_STANCE, L.MAIN_TARGET):
        regions.document[result["from_name"]] = first


def _inferred_label(source: Region, target: Region) -> str:
    """An unlabelled relation whose ends say what it is: claim-cue, claim-actor (speaker)."""
    kinds = {
        frozenset((L.CLAIM, L.CUE)): L.CUE_OF,
        frozenset((L.CLAIM, L.ACTOR)): L.SPEAKER,
    }
    return kinds.get(frozenset((source.control, target.control)), "")


# --------------------------------------------------------------------------
# regions -> Annotation
# --------------------------------------------------------------------------


def regions_to_annotation(
    regions: Regions, text: str, problems: Iterable[str] = ()
) -> Annotation:
    """The schema annotation the regions describe; ConversionError naming every problem."""
    reader = _Reader(regions, text, list(problems))
    try:
        annotation = Annotation(
            actors=reader.actors(),
            claims=reader.claims(),
            stances=[],
            document=reader.document(),
        )
        annotation.stances = reader.stances(annotation.claims)
    except ValidationError as exc:  # a choice the schema does not know (an outdated config)
        reader.problems.extend(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ConversionError(reader.problems) from None
    if reader.problems:
        raise ConversionError(reader.problems)
    return canonical_order(annotation)


def canonical_order(annotation: Annotation) -> Annotation:
    """The annotation in text order: the order `regions_to_annotation` returns."""
    actors = [
        actor.model_copy(update={"mentions": sorted(actor.mentions, key=_span_key)})
        for actor in annotation.actors
        if actor.mentions
    ]
    return Annotation(
        actors=sorted(actors, key=lambda a: _span_key(a.mentions[0])),
        claims=sorted(annotation.claims, key=lambda c: _span_key(c.span)),
        stances=sorted(
            annotation.stances, key=lambda s: (*_span_key(s.evidence), s.holder, s.target)
        ),
        document=annotation.document,
    )


def _span_key(span: Span) -> tuple[int, int]:
    return span.start, span.end


class _Reader:
    def __init__(self, regions: Regions, text: str, problems: list[str]) -> None:
        self.regions = regions
        self.text = text
        self.problems = problems
        self.canonical = {id(r): r.attributes.get(L.CANONICAL_NAME) or r.text
                          for r in regions.of(L.ACTOR)}  # fmt: skip

    def of(self, control: str) -> list[Region]:
        return sorted(self.regions.of(control), key=lambda r: (r.start, r.end))

    def span(self, region: Region) -> Span:
        return Span(start=region.start, end=region.end, text=self.text[region.start : region.end])

    def actors(self) -> list[GroundedActor]:
        grouped: dict[str, list[Region]] = {}
        for region in self.of(L.ACTOR):
            grouped.setdefault(self.canonical[id(region)], []).append(region)
        actors = []
        for name, members in grouped.items():
            types = Counter(r.label for r in members)
            best = max(types.values())
            kind = next(r.label for r in members if types[r.label] == best)
            actors.append(
                GroundedActor(
                    canonical_name=name, type=kind, mentions=[self.span(r) for r in members]
                )
            )
        return actors

    def claims(self) -> list[GroundedClaim]:
        claims = []
        cues = self._cues_by_claim()
        for region in self.of(L.CLAIM):
            attributes = region.attributes
            missing = [c for c in (L.ATTRIBUTION, L.CHECK_WORTHY) if c not in attributes]
            if missing:
                self.problems.append(
                    f"claim {self.text[region.start : region.end][:60]!r} at {region.start} "
                    f"has no {' or '.join(missing)}: choose one in Label Studio"
                )
                continue
            cue = cues.get(id(region))
            claims.append(
                GroundedClaim(
                    span=self.span(region),
                    speaker=self._speaker(region),
                    cue=None if cue is None else self.span(cue),
                    attribution=attributes[L.ATTRIBUTION],
                    check_worthy=attributes[L.CHECK_WORTHY] == "yes",
                    proposition=attributes.get(L.PROPOSITION) or self.span(region).text,
                )
            )
        return claims

    def _cues_by_claim(self) -> dict[int, Region]:
        """Each claim's cue: the cue region related to it, else an unlinked cue nearest to it."""
        cues: dict[int, Region] = {}
        unlinked = []
        for cue in self.of(L.CUE):
            claim = self.regions.linked(cue, L.CUE_OF, L.CLAIM)
            if claim is not None:
                cues[id(claim)] = cue
            else:
                unlinked.append(cue)
        for cue in unlinked:
            free = [c for c in self.of(L.CLAIM) if id(c) not in cues]
            if free:
                nearest = min(free, key=lambda c: _distance(c, cue))
                cues[id(nearest)] = cue
        return cues

    def _speaker(self, claim: Region) -> str:
        actor = self.regions.linked(claim, L.SPEAKER, L.ACTOR)
        if actor is not None:
            return self.canonical[id(actor)]
        return claim.attributes.get(L.SPEAKER_NAME) or OUTLET

    def stances(self, claims: list[GroundedClaim]) -> list[GroundedStance]:
        speakers = {(c.span.start, c.span.end): c.speaker for c in claims}
        stances = []
        for region in self.of(L.CLAIM) + self.of(L.STANCE_EVIDENCE):
            label = region.attributes.get(L.STANCE)
            if label is None:
                continue
            holder = self._related_name(region, L.HOLDER, L.HOLDER_NAME)
            if holder is None and region.control == L.CLAIM:
                holder = speakers.get((region.start, region.end))
            target = self._related_name(region, L.TARGET, L.STANCE_TARGET)
            if holder is None or target is None:
                self.problems.append(
                    f"stance on {self.text[region.start : region.end][:60]!r} at {region.start} "
                    f"needs a {'holder' if holder is None else 'target'}: "
                    "link an actor or type one"
                )
                continue
            stances.append(
                GroundedStance(
                    holder=holder, target=target, label=label, evidence=self.span(region)
                )
            )
        return stances

    def _related_name(self, region: Region, relation: str, fallback: str) -> str | None:
        actor = self.regions.linked(region, relation, L.ACTOR)
        if actor is not None:
            return self.canonical[id(actor)]
        return region.attributes.get(fallback)

    def document(self) -> DocumentStance | None:
        overall = self.regions.document.get(L.OVERALL_STANCE)
        if overall is None:
            return None
        return DocumentStance(
            main_target=self.regions.document.get(L.MAIN_TARGET, ""), overall=overall
        )


def _distance(a: Region, b: Region) -> int:
    return max(a.start - b.end, b.start - a.end, 0)
