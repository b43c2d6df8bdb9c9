"""Grounding written the plain way, as the oracle `annotate.preannotate.grounding` must equal.

The module grounds with plain loops, a sorted `SpanSet`, windows searched in
place and one validation of the whole annotation, all for speed (issue 22).
This one is the rule stated directly: every occurrence listed, overlaps
checked pair by pair, each window copied out, each model built by its own
constructor. Only what both share unchanged (normalizing, the fuzzy tier) is
imported. Tests compare the two over the seeds, tricky quotes and random
extractions (tests/test_grounding_equivalence.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from annotate.preannotate.grounding import (
    CUE_WINDOW,
    Hallucination,
    _fuzzy_occurrence,
    _normalized_occurrences,
)
from annotate.schemas import (
    Annotation,
    Claim,
    Extraction,
    GroundedActor,
    GroundedClaim,
    GroundedStance,
    Span,
    Stance,
)

Pair = tuple[int, int]


def overlaps(span: Pair, others: Iterable[Pair]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in others)


def exact_occurrences(text: str, quote: str) -> list[Pair]:
    found, at = [], text.find(quote)
    while at != -1:
        found.append((at, at + len(quote)))
        at = text.find(quote, at + 1)
    return found


def choose(spans: list[Pair], after: int, avoid: list[Pair]) -> Pair | None:
    """First free occurrence at/after `after`, else the first free one, else the first."""
    free = [span for span in spans if not overlaps(span, avoid)]
    later = [span for span in free if span[0] >= after]
    chosen = later or free or spans
    return chosen[0] if chosen else None


def find_quote(
    text: str, quote: str, after: int = 0, avoid: list[Pair] | None = None, fuzzy: bool = True
) -> tuple[int, int, str, float] | None:
    quote, avoid = quote.strip(), avoid or []
    if not quote:
        return None
    for method, spans in (
        ("exact", exact_occurrences(text, quote)),
        ("normalized", _normalized_occurrences(text, quote)),
    ):
        chosen = choose(spans, after, avoid)
        if chosen is not None:
            return chosen[0], chosen[1], method, 100.0
    found = _fuzzy_occurrence(text, quote) if fuzzy else None
    return None if found is None else (found[0], found[1], "fuzzy", found[2])


def is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def word_bounded(text: str, span: Pair) -> bool:
    start, end = span
    before = start > 0 and is_word(text[start - 1]) and is_word(text[start])
    after = end < len(text) and is_word(text[end]) and is_word(text[end - 1])
    return not before and not after


def find_all(text: str, surface: str) -> list[Pair]:
    surface = surface.strip()
    if not surface:
        return []
    spans = exact_occurrences(text, surface) or _normalized_occurrences(text, surface)
    return [span for span in spans if word_bounded(text, span)]


def span_of(text: str, start: int, end: int) -> Span:
    return Span(start=start, end=end, text=text[start:end])


def longest_non_overlapping(spans: Iterable[Pair]) -> list[Pair]:
    kept: list[Pair] = []
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if not overlaps(span, kept):
            kept.append(span)
    return sorted(kept)


def ground_extraction(
    text: str, extraction: Extraction
) -> tuple[Annotation, list[Hallucination], Counter[str]]:
    missing: list[Hallucination] = []
    methods: Counter[str] = Counter()
    annotation = Annotation(document=extraction.document)
    annotation.actors = ground_actors(text, extraction, missing, methods)
    annotation.claims = ground_claims(text, extraction.claims, missing, methods)
    annotation.stances = ground_stances(text, extraction.stances, annotation.claims, missing)
    return annotation, missing, methods


def ground_actors(
    text: str, extraction: Extraction, missing: list[Hallucination], methods: Counter[str]
) -> list[GroundedActor]:
    merged: dict[str, tuple[GroundedActor, set[Pair]]] = {}
    for actor in extraction.actors:
        spans: set[Pair] = set()
        for surface in [actor.name, *actor.mentions]:
            found = find_all(text, surface)
            if not found and surface != actor.name:
                missing.append(Hallucination("mention", surface, actor.canonical_name))
            spans.update(found)
        if not spans:
            missing.append(Hallucination("actor", actor.name, actor.canonical_name))
            continue
        if actor.canonical_name not in merged:
            grounded = GroundedActor(
                canonical_name=actor.canonical_name, type=actor.type, mentions=[]
            )
            merged[actor.canonical_name] = (grounded, set())
        merged[actor.canonical_name][1].update(spans)
    for grounded, spans in merged.values():
        grounded.mentions = [span_of(text, s, e) for s, e in longest_non_overlapping(spans)]
        methods["exact"] += len(grounded.mentions)
    return [grounded for grounded, _ in merged.values()]


def ground_claims(
    text: str, claims: list[Claim], missing: list[Hallucination], methods: Counter[str]
) -> list[GroundedClaim]:
    grounded: list[GroundedClaim] = []
    taken: list[Pair] = []
    cursor = 0
    for claim in claims:
        match = find_quote(text, claim.quote, after=cursor, avoid=taken)
        if match is None:
            missing.append(Hallucination("claim", claim.quote, claim.speaker))
            continue
        start, end, method, _ = match
        if (start, end) in taken:
            continue
        methods[method] += 1
        taken.append((start, end))
        cursor = start
        cue = ground_cue(text, claim.cue, start, end) if claim.cue else None
        if claim.cue and cue is None:
            missing.append(Hallucination("cue", claim.cue, claim.quote[:80]))
        grounded.append(
            GroundedClaim(
                span=span_of(text, start, end),
                speaker=claim.speaker,
                cue=cue,
                attribution=claim.attribution,
                check_worthy=claim.check_worthy,
                proposition=claim.proposition,
            )
        )
    return grounded


def ground_cue(text: str, cue: str, start: int, end: int) -> Span | None:
    low, high = max(0, start - CUE_WINDOW), min(len(text), end + CUE_WINDOW)
    nearby = [(s + low, e + low) for s, e in find_all(text[low:high], cue)]
    if nearby:
        outside = [s for s in nearby if not overlaps(s, [(start, end)])] or nearby
        distance = [max(start - e, s - end, 0) for s, e in outside]
        best = outside[distance.index(min(distance))]
        return span_of(text, *best)
    match = find_quote(text, cue)
    return None if match is None else span_of(text, match[0], match[1])


def ground_stances(
    text: str, stances: list[Stance], claims: list[GroundedClaim], missing: list[Hallucination]
) -> list[GroundedStance]:
    grounded: list[GroundedStance] = []
    for stance in stances:
        span = stance_evidence(text, stance, claims)
        if span is None:
            missing.append(Hallucination("stance_evidence", stance.evidence))
            continue
        candidate = GroundedStance(
            holder=stance.holder, target=stance.target, label=stance.label, evidence=span
        )
        if candidate not in grounded:
            grounded.append(candidate)
    return grounded


def stance_evidence(text: str, stance: Stance, claims: list[GroundedClaim]) -> Span | None:
    match = find_quote(text, stance.evidence)
    if match is None:
        return None
    holder_claims = [c.span for c in claims if c.speaker == stance.holder]
    evidence = stance.evidence.strip()
    carriers = [c for c in holder_claims if evidence in c.text] or holder_claims
    for claim_span in carriers:
        inside = find_quote(claim_span.text, evidence, fuzzy=False)
        if inside is not None:
            return span_of(text, claim_span.start + inside[0], claim_span.start + inside[1])
    return span_of(text, match[0], match[1])
