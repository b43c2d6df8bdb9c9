"""Converters between schema `Annotation`s and Label Studio results, both ways.

`annotation_to_results` turns a grounded annotation into Label Studio's result
list (regions with ids, per-region choices and text areas sharing their
region's id, relations by ``from_id``/``to_id``, document-level choices);
`results_to_annotation` reads an annotator's result list back into an
`Annotation`. Both follow `layout`, the single description of how the schema
appears in Label Studio, and ``results_to_annotation(annotation_to_results(a))``
equals ``canonical_order(a)`` (tested on the seeds).

Offsets are Python code points into the task's text, which is how Label
Studio 1.23's UI counts them. Reading results back checks every region's
``text`` against ``text[start:end]`` and refuses the annotation when they
differ, so a tool that counted in UTF-16 (shifted after an emoji) is caught
instead of silently moving spans.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

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

Result = dict[str, Any]


class ConversionError(ValueError):
    """Label Studio results that do not make a valid annotation; `problems` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def prediction_payload(annotation: Annotation, model_version: str, score: float) -> Result:
    """A Label Studio prediction: the results plus the model version and a score."""
    return {
        "model_version": model_version,
        "score": score,
        "result": annotation_to_results(annotation),
    }


def canonical_order(annotation: Annotation) -> Annotation:
    """The annotation in text order: the order `results_to_annotation` returns."""
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


# --------------------------------------------------------------------------
# Annotation -> Label Studio results
# --------------------------------------------------------------------------


class _ResultBuilder:
    def __init__(self) -> None:
        self.results: list[Result] = []
        self._counts: Counter[str] = Counter()

    def region(self, control: str, span: Span, label: str) -> str:
        region_id = f"{control}-{self._counts[control]}"
        self._counts[control] += 1
        value = {"start": span.start, "end": span.end, "text": span.text, "labels": [label]}
        self.results.append(self._result(region_id, control, "labels", value))
        return region_id

    def choice(self, region_id: str | None, span: Span | None, control: str, value: str) -> None:
        self._attribute(region_id, span, control, "choices", {"choices": [value]})

    def text_area(self, region_id: str | None, span: Span | None, control: str, value: str) -> None:
        self._attribute(region_id, span, control, "textarea", {"text": [value]})

    def relation(self, from_id: str, to_id: str, label: str) -> None:
        self.results.append(
            {
                "from_id": from_id,
                "to_id": to_id,
                "type": "relation",
                "direction": "right",
                "labels": [label],
            }
        )

    def _attribute(
        self,
        region_id: str | None,
        span: Span | None,
        control: str,
        kind: str,
        value: dict[str, Any],
    ) -> None:
        """A per-region attribute shares its region's id and offsets; a document one has none."""
        if span is not None:
            value = {"start": span.start, "end": span.end, **value}
        result_id = region_id or f"document-{control}"
        self.results.append(self._result(result_id, control, kind, value))

    @staticmethod
    def _result(region_id: str, control: str, kind: str, value: dict[str, Any]) -> Result:
        return {
            "id": region_id,
            "from_name": control,
            "to_name": L.TEXT,
            "type": kind,
            "origin": "prediction",
            "value": value,
        }


@dataclass
class _Mentions:
    """Region ids of each actor's mentions, to point relations at the nearest one."""

    by_actor: dict[str, list[tuple[Span, str]]] = field(default_factory=dict)

    def nearest(self, canonical: str, span: Span) -> str | None:
        regions = self.by_actor.get(canonical)
        if not regions:
            return None
        return min(regions, key=lambda r: (_distance(r[0], span), r[0].start))[1]


def _distance(a: Span, b: Span) -> int:
    return max(a.start - b.end, b.start - a.end, 0)


def annotation_to_results(annotation: Annotation) -> list[Result]:
    """Label Studio results for `annotation`, in the layout `labelconfig` declares."""
    out = _ResultBuilder()
    mentions = _actor_results(out, annotation.actors)
    hosts = _claim_results(out, annotation.claims, mentions)
    for stance in annotation.stances:
        _stance_results(out, stance, hosts, mentions)
    if annotation.document is not None:
        out.text_area(None, None, L.MAIN_TARGET, annotation.document.main_target)
        out.choice(None, None, L.OVERALL_STANCE, annotation.document.overall)
    return out.results


def _actor_results(out: _ResultBuilder, actors: list[GroundedActor]) -> _Mentions:
    mentions = _Mentions()
    for actor in actors:
        for mention in actor.mentions:
            region_id = out.region(L.ACTOR, mention, actor.type)
            out.text_area(region_id, mention, L.CANONICAL_NAME, actor.canonical_name)
            mentions.by_actor.setdefault(actor.canonical_name, []).append((mention, region_id))
    return mentions


@dataclass
class _Host:
    """A claim region that can carry one stance of its own speaker."""

    region_id: str
    claim: GroundedClaim
    used: bool = False


def _claim_results(
    out: _ResultBuilder, claims: list[GroundedClaim], mentions: _Mentions
) -> list[_Host]:
    hosts = []
    for claim in claims:
        region_id = out.region(L.CLAIM, claim.span, L.CLAIM_LABEL)
        out.choice(region_id, claim.span, L.ATTRIBUTION, claim.attribution)
        out.choice(region_id, claim.span, L.CHECK_WORTHY, "yes" if claim.check_worthy else "no")
        out.text_area(region_id, claim.span, L.PROPOSITION, claim.proposition)
        _link_actor(out, region_id, claim.span, claim.speaker, L.SPEAKER, L.SPEAKER_NAME, mentions)
        if claim.cue is not None:
            cue_id = out.region(L.CUE, claim.cue, L.CUE_LABEL)
            out.relation(region_id, cue_id, L.CUE_OF)
        hosts.append(_Host(region_id, claim))
    return hosts


def _link_actor(
    out: _ResultBuilder,
    region_id: str,
    span: Span,
    name: str,
    relation: str,
    fallback_control: str,
    mentions: _Mentions,
) -> None:
    """A relation to the nearest mention of `name`, or its name typed when it has none."""
    if name == OUTLET:
        return
    mention_id = mentions.nearest(name, span)
    if mention_id is not None:
        out.relation(region_id, mention_id, relation)
    else:
        out.text_area(region_id, span, fallback_control, name)


def _stance_results(
    out: _ResultBuilder, stance: GroundedStance, hosts: list[_Host], mentions: _Mentions
) -> None:
    host = next(
        (
            h
            for h in hosts
            if not h.used and h.claim.span == stance.evidence and h.claim.speaker == stance.holder
        ),
        None,
    )
    if host is not None:
        host.used = True
        region_id = host.region_id
    else:
        region_id = out.region(L.STANCE_EVIDENCE, stance.evidence, L.EVIDENCE_LABEL)
        if stance.holder == OUTLET:
            out.text_area(region_id, stance.evidence, L.HOLDER_NAME, OUTLET)
        _link_actor(
            out, region_id, stance.evidence, stance.holder, L.HOLDER, L.HOLDER_NAME, mentions
        )
    out.choice(region_id, stance.evidence, L.STANCE, stance.label)
    target_id = mentions.nearest(stance.target, stance.evidence)
    if target_id is not None:
        out.relation(region_id, target_id, L.TARGET)
    else:
        out.text_area(region_id, stance.evidence, L.STANCE_TARGET, stance.target)


# --------------------------------------------------------------------------
# Label Studio results -> Annotation
# --------------------------------------------------------------------------


@dataclass
class _Region:
    id: str
    control: str
    label: str
    span: Span
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class _Parsed:
    text: str
    regions: dict[str, _Region] = field(default_factory=dict)
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    document: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def of(self, control: str) -> list[_Region]:
        found = [r for r in self.regions.values() if r.control == control]
        return sorted(found, key=lambda r: _span_key(r.span))

    def linked(self, region: _Region, relation: str, control: str) -> _Region | None:
        """The region of kind `control` related to `region` by `relation`, either direction."""
        for from_id, to_id, label in self.relations:
            if label != relation or region.id not in (from_id, to_id):
                continue
            other = self.regions.get(to_id if from_id == region.id else from_id)
            if other is not None and other.control == control:
                return other
        return None


def results_to_annotation(results: Iterable[Result], text: str) -> Annotation:
    """Read an annotator's Label Studio results for `text`; ConversionError if unusable."""
    parsed = _parse(results, text)
    canonical = {r.id: _canonical_name(r) for r in parsed.of(L.ACTOR)}
    try:
        annotation = Annotation(
            actors=_actors(parsed, canonical),
            claims=_claims(parsed, canonical),
            stances=[],
            document=_document(parsed),
        )
        annotation.stances = _stances(parsed, canonical, annotation.claims)
    except ValidationError as exc:  # a choice the schema does not know (an outdated config)
        parsed.problems.extend(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ConversionError(parsed.problems) from None
    if parsed.problems:
        raise ConversionError(parsed.problems)
    return canonical_order(annotation)


def _parse(results: Iterable[Result], text: str) -> _Parsed:
    parsed = _Parsed(text)
    attributes: list[Result] = []
    for result in results:
        kind = result.get("type")
        if kind == "relation":
            labels = result.get("labels") or [""]
            parsed.relations.append((result["from_id"], result["to_id"], labels[0]))
        elif kind == "labels":
            _add_region(parsed, result)
        elif kind in ("choices", "textarea"):
            attributes.append(result)
    for result in attributes:
        _add_attribute(parsed, result)
    _infer_relation_labels(parsed)
    return parsed


def _add_region(parsed: _Parsed, result: Result) -> None:
    value = result.get("value") or {}
    control = result.get("from_name", "")
    labels = value.get("labels") or []
    if control not in L.SPAN_LABELS or not labels:
        parsed.problems.append(f"region {result.get('id')}: unknown control or no label")
        return
    start, end = int(value["start"]), int(value["end"])
    actual = parsed.text[start:end]
    if "text" in value and value["text"] != actual:
        parsed.problems.append(
            f"region {result.get('id')} [{start}:{end}] says {value['text']!r} but the text "
            f"there is {actual!r}: offsets must be Python code points"
        )
        return
    span = Span(start=start, end=end, text=actual)
    parsed.regions[result["id"]] = _Region(result["id"], control, labels[0], span)


def _add_attribute(parsed: _Parsed, result: Result) -> None:
    value = result.get("value") or {}
    items = value.get("choices") if result["type"] == "choices" else value.get("text")
    if isinstance(items, str):
        items = [items]
    first = next((str(item).strip() for item in items or [] if str(item).strip()), None)
    if first is None:
        return
    region = parsed.regions.get(result.get("id", ""))
    if region is not None:
        region.attributes[result["from_name"]] = first
    elif result.get("from_name") in (L.OVERALL_STANCE, L.MAIN_TARGET):
        parsed.document[result["from_name"]] = first


def _infer_relation_labels(parsed: _Parsed) -> None:
    """Unlabelled relations whose ends say what they are: claim-cue, claim-actor (speaker)."""
    kinds = {
        frozenset((L.CLAIM, L.CUE)): L.CUE_OF,
        frozenset((L.CLAIM, L.ACTOR)): L.SPEAKER,
    }
    for index, (from_id, to_id, label) in enumerate(parsed.relations):
        ends = [parsed.regions.get(from_id), parsed.regions.get(to_id)]
        if label or None in ends:
            continue
        inferred = kinds.get(frozenset(r.control for r in ends if r is not None))
        if inferred:
            parsed.relations[index] = (from_id, to_id, inferred)


def _canonical_name(region: _Region) -> str:
    return region.attributes.get(L.CANONICAL_NAME) or region.span.text


def _actors(parsed: _Parsed, canonical: dict[str, str]) -> list[GroundedActor]:
    grouped: dict[str, list[_Region]] = {}
    for region in parsed.of(L.ACTOR):
        grouped.setdefault(canonical[region.id], []).append(region)
    actors = []
    for name, regions in grouped.items():
        types = Counter(r.label for r in regions)
        best = max(types.values())
        kind = next(r.label for r in regions if types[r.label] == best)
        actors.append(
            GroundedActor(
                canonical_name=name,
                type=kind,
                mentions=[r.span for r in regions],
            )
        )
    return actors


def _claims(parsed: _Parsed, canonical: dict[str, str]) -> list[GroundedClaim]:
    claims = []
    cues = _cues_by_claim(parsed)
    for region in parsed.of(L.CLAIM):
        attributes = region.attributes
        missing = [c for c in (L.ATTRIBUTION, L.CHECK_WORTHY) if c not in attributes]
        if missing:
            parsed.problems.append(
                f"claim {region.span.text[:60]!r} at {region.span.start} has no "
                f"{' or '.join(missing)}: choose one in Label Studio"
            )
            continue
        claims.append(
            GroundedClaim(
                span=region.span,
                speaker=_speaker(parsed, region, canonical),
                cue=cues.get(region.id),
                attribution=attributes[L.ATTRIBUTION],
                check_worthy=attributes[L.CHECK_WORTHY] == "yes",
                proposition=attributes.get(L.PROPOSITION) or region.span.text,
            )
        )
    return claims


def _cues_by_claim(parsed: _Parsed) -> dict[str, Span]:
    """Each claim's cue: the cue region related to it, else an unlinked cue nearest to it."""
    cues: dict[str, Span] = {}
    unlinked = []
    for cue in parsed.of(L.CUE):
        claim = parsed.linked(cue, L.CUE_OF, L.CLAIM)
        if claim is not None:
            cues[claim.id] = cue.span
        else:
            unlinked.append(cue)
    for cue in unlinked:
        free = [c for c in parsed.of(L.CLAIM) if c.id not in cues]
        if free:
            nearest = min(free, key=lambda c: _distance(c.span, cue.span))
            cues[nearest.id] = cue.span
    return cues


def _speaker(parsed: _Parsed, claim: _Region, canonical: dict[str, str]) -> str:
    actor = parsed.linked(claim, L.SPEAKER, L.ACTOR)
    if actor is not None:
        return canonical[actor.id]
    return claim.attributes.get(L.SPEAKER_NAME) or OUTLET


def _stances(
    parsed: _Parsed, canonical: dict[str, str], claims: list[GroundedClaim]
) -> list[GroundedStance]:
    speakers = {(c.span.start, c.span.end): c.speaker for c in claims}
    stances = []
    for region in parsed.of(L.CLAIM) + parsed.of(L.STANCE_EVIDENCE):
        label = region.attributes.get(L.STANCE)
        if label is None:
            continue
        holder = _related_name(parsed, region, L.HOLDER, L.HOLDER_NAME, canonical)
        if holder is None and region.control == L.CLAIM:
            holder = speakers.get(_span_key(region.span))
        target = _related_name(parsed, region, L.TARGET, L.STANCE_TARGET, canonical)
        if holder is None or target is None:
            parsed.problems.append(
                f"stance on {region.span.text[:60]!r} at {region.span.start} needs a "
                f"{'holder' if holder is None else 'target'}: link an actor or type one"
            )
            continue
        stances.append(
            GroundedStance(
                holder=holder,
                target=target,
                label=label,
                evidence=region.span,
            )
        )
    return stances


def _related_name(
    parsed: _Parsed, region: _Region, relation: str, fallback: str, canonical: dict[str, str]
) -> str | None:
    actor = parsed.linked(region, relation, L.ACTOR)
    if actor is not None:
        return canonical[actor.id]
    return region.attributes.get(fallback)


def _document(parsed: _Parsed) -> DocumentStance | None:
    overall = parsed.document.get(L.OVERALL_STANCE)
    if overall is None:
        return None
    return DocumentStance(
        main_target=parsed.document.get(L.MAIN_TARGET, ""),
        overall=overall,
    )
