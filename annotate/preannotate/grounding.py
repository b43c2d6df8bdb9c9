"""Ground verbatim quotes into character offsets of the original text.

Annotators (LLMs, rules) return quotes, never offsets; this module finds each
quote in the document and returns a `Span` such that
``text[span.start:span.end] == span.text`` in Python code points. Matching is
tried in three tiers:

1. **exact** substring;
2. **normalized**: whitespace runs, curly/straight quote marks, dash variants,
   the ellipsis character and case are treated as equal, through a normalized
   copy of the text that keeps a map back to original offsets;
3. **fuzzy**: rapidfuzz's best partial alignment on the normalized strings,
   accepted at ``FUZZY_THRESHOLD`` (90/100) for quotes of at least
   ``FUZZY_MIN_CHARS`` (12) characters; shorter quotes are too ambiguous.

A quote found by no tier is a hallucination: it is never emitted as a span,
only counted and reported.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Literal, TypeVar

from pydantic_core import to_json

from annotate.schemas import (
    Annotation,
    Claim,
    DocumentStance,
    Extraction,
    GroundedActor,
    Span,
    Stance,
)

#: Minimum rapidfuzz partial-ratio score (0-100) for a fuzzy match.
FUZZY_THRESHOLD = 90.0
#: Quotes shorter than this are only matched exactly or normalized.
FUZZY_MIN_CHARS = 12
#: How far around a claim its cue is looked for first.
CUE_WINDOW = 200

Method = Literal["exact", "normalized", "fuzzy"]
T = TypeVar("T")

_CHAR_MAP = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u0060": "'",
        "\u00b4": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    method: Method
    score: float


@dataclass(frozen=True)
class Hallucination:
    """A quote the annotator returned that is not in the text."""

    kind: str  # actor, mention, claim, cue, stance_evidence
    quote: str
    detail: str = ""


@dataclass
class GroundingResult:
    """A grounded annotation, as the plain values grounding built, and what did not ground.

    `fields` are `Annotation`'s fields made by this module from an `Extraction`
    that was validated when it was read (the model's answer, the cache, the
    rules' constructors): names, labels and flags copied from it, offsets
    found in the text, each span's text sliced from it. The models are built
    (validated once, as a whole) only when `annotation` is first read; the
    pipeline, which only stores the annotation, takes `annotation_json` and
    never builds them.
    """

    fields: dict[str, Any]
    hallucinations: list[Hallucination] = field(default_factory=list)
    methods: Counter[str] = field(default_factory=Counter)

    @cached_property
    def annotation(self) -> Annotation:
        annotation: Annotation = _ANNOTATION(self.fields)
        return annotation

    def annotation_json(self) -> str:
        """``annotation.model_dump_json()`` of the annotation as grounded, without the models."""
        return to_json(self.fields).decode()

    @property
    def spans(self) -> int:
        """Regions an annotator will see: mentions, claims, cues and stance evidence."""
        fields = self.fields
        return (
            sum(len(actor["mentions"]) for actor in fields["actors"])
            + len(fields["claims"])
            + sum(1 for claim in fields["claims"] if claim["cue"] is not None)
            + len(fields["stances"])
        )


# ---------------------------------------------------------------- normalization


@dataclass(frozen=True)
class _Normalized:
    """A normalized copy of a text and, per normalized char, its original offset."""

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of normalized [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


@lru_cache(maxsize=64)
def _normalize(text: str) -> _Normalized:
    """Lower-case, unify quote marks and dashes, collapse whitespace, expand '…'."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text.translate(_CHAR_MAP)):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        replacement = "..." if char == "\u2026" else char.lower()
        for piece in replacement:
            chars.append(piece)
            origin.append(index)
    return _Normalized("".join(chars), tuple(origin))


def _norm_quote(quote: str) -> str:
    return _normalize(quote).text.strip()


def quote_key(quote: str) -> str:
    """What makes two quotes one for counting: case, quote marks, dashes and spacing aside.

    A model that makes a quote up in each chunk of a document rarely writes it
    twice alike; counted by this key, it is one hallucination of the document.
    """
    return _norm_quote(quote)


# ---------------------------------------------------------------- finding


def _exact_occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    """Every occurrence of `quote` (a plain loop: the hot path of every actor's mentions)."""
    spans: list[tuple[int, int]] = []
    size = len(quote)
    at = text.find(quote)
    while at != -1:
        spans.append((at, at + size))
        at = text.find(quote, at + 1)
    return spans


def _normalized_occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    normalized, needle = _normalize(text), _norm_quote(quote)
    if not needle:
        return []
    return [normalized.span(s, e) for s, e in _exact_occurrences(normalized.text, needle)]


def _fuzzy_occurrence(text: str, quote: str) -> tuple[int, int, float] | None:
    needle = _norm_quote(quote)
    if len(needle) < FUZZY_MIN_CHARS:
        return None
    from rapidfuzz import fuzz  # here: 14 ms of start-up that only a fuzzy match needs

    normalized = _normalize(text)
    alignment = fuzz.partial_ratio_alignment(needle, normalized.text, score_cutoff=FUZZY_THRESHOLD)
    if alignment is None or alignment.dest_end <= alignment.dest_start:
        return None
    start, end = normalized.span(alignment.dest_start, alignment.dest_end)
    start, end = _snap_to_words(text, start, end)
    return (start, end, alignment.score) if end > start else None


def _snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a fuzzy window to whole words, then trim spaces at its edges."""
    while start > 0 and _WORD.match(text[start - 1]) and _WORD.match(text[start]):
        start -= 1
    while end < len(text) and _WORD.match(text[end - 1]) and _WORD.match(text[end]):
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class SpanSet:
    """Spans given out so far, sorted by start: whether a new one overlaps costs a bisection.

    A long article has thousands of claims; checking each candidate against every
    span taken made grounding quadratic (a 1 MB text took minutes).
    """

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._longest = 0
        #: The furthest end: a span starting there or later overlaps none (claims come in order).
        self._reach = 0
        for span in spans:
            self.add(span)

    def add(self, span: tuple[int, int]) -> None:
        start, end = span
        at = bisect_right(self._starts, start)
        self._starts.insert(at, start)
        self._ends.insert(at, end)
        if end - start > self._longest:
            self._longest = end - start
        if end > self._reach:
            self._reach = end

    def overlaps(self, span: tuple[int, int]) -> bool:
        start, end = span
        if start >= self._reach:
            return False
        starts = self._starts
        # A span starting at or before start - longest ends at or before start.
        low = bisect_right(starts, start - self._longest)
        ends = self._ends
        for k in range(low, bisect_left(starts, end, low)):  # noqa: SIM110 (no generator per call)
            if ends[k] > start:
                return True
        return False

    def __contains__(self, span: object) -> bool:
        if not isinstance(span, tuple) or span[0] > self._reach:
            return False
        at = bisect_left(self._starts, span[0])
        while at < len(self._starts) and self._starts[at] == span[0]:
            if self._ends[at] == span[1]:
                return True
            at += 1
        return False


def _choose(spans: Iterable[tuple[int, int]], after: int, avoid: SpanSet) -> tuple[int, int] | None:
    """First free occurrence at/after `after`, else first free one, else the first."""
    first: tuple[int, int] | None = None
    earlier_free: tuple[int, int] | None = None
    for span in spans:
        first = first or span
        if avoid.overlaps(span):
            continue
        if span[0] >= after:
            return span
        earlier_free = earlier_free or span
    return earlier_free or first


def _choose_exact(text: str, quote: str, after: int, avoid: SpanSet) -> tuple[int, int] | None:
    """`_choose` over the exact occurrences, searching from `after` first.

    The next free occurrence is almost always just after the previous claim:
    found there, the text before it is never searched. A plain loop: this runs
    for every claim, cue and stance of every document.
    """
    size = len(quote)
    first = None
    at = text.find(quote, after)
    while at != -1:
        span = (at, at + size)
        if not avoid.overlaps(span):
            return span
        first = first or span
        at = text.find(quote, at + 1)
    earliest = None
    at = text.find(quote, 0, after + size - 1) if after > 0 else -1
    while at != -1:
        span = (at, at + size)
        if not avoid.overlaps(span):
            return span
        earliest = earliest or span
        at = text.find(quote, at + 1, after + size - 1)
    return earliest or first


def _choose_normalized(text: str, quote: str, after: int, avoid: SpanSet) -> tuple[int, int] | None:
    return _choose(_normalized_occurrences(text, quote), after, avoid)


#: Nothing taken: what a search that avoids no span is given.
_NOTHING = SpanSet()


def find_quote(
    text: str,
    quote: str,
    *,
    after: int = 0,
    avoid: SpanSet | Collection[tuple[int, int]] = (),
    fuzzy: bool = True,
) -> Match | None:
    """Where `quote` is in `text`, trying exact, normalized, then (if `fuzzy`) fuzzy matching."""
    taken = avoid if isinstance(avoid, SpanSet) else SpanSet(avoid) if avoid else _NOTHING
    found = _locate(text, quote, after, taken, fuzzy)
    return None if found is None else Match(*found)


def _locate(
    text: str, quote: str, after: int, taken: SpanSet, fuzzy: bool
) -> tuple[int, int, Method, float] | None:
    """`find_quote` as a plain tuple (start, end, method, score): the grounding loop's own."""
    quote = quote.strip()
    if not quote:
        return None
    chosen = _choose_exact(text, quote, after, taken)
    if chosen is not None:
        return chosen[0], chosen[1], "exact", 100.0
    chosen = _choose_normalized(text, quote, after, taken)
    if chosen is not None:
        return chosen[0], chosen[1], "normalized", 100.0
    if not fuzzy:
        return None
    fuzzy_match = _fuzzy_occurrence(text, quote)
    if fuzzy_match is None:
        return None
    return fuzzy_match[0], fuzzy_match[1], "fuzzy", fuzzy_match[2]


def _word_bounded(text: str, span: tuple[int, int]) -> bool:
    start, end = span
    before = start > 0 and _is_word(text[start - 1]) and _is_word(text[start])
    after = end < len(text) and _is_word(text[end]) and _is_word(text[end - 1])
    return not before and not after


def _is_word(char: str) -> bool:
    """``_WORD.match(char)`` without the regex: ``\\w`` is str.isalnum() or ``_`` (re docs)."""
    return char.isalnum() or char == "_"


def find_all(text: str, surface: str, word_boundary: bool = True) -> list[tuple[int, int]]:
    """Every occurrence of an actor's surface form (exact, else normalized)."""
    return _find_within(text, surface, 0, len(text), word_boundary)


def _find_within(
    text: str, surface: str, low: int, high: int, word_boundary: bool = True
) -> list[tuple[int, int]]:
    """`find_all` over ``text[low:high]``, as offsets into `text`, without copying the window.

    Word boundaries are judged inside the window: its edges are the text's
    edges. The exact tier tests only the neighbours of an occurrence whose own
    edge is a word character (the occurrence's edges are the surface's).
    """
    surface = surface.strip()
    if not surface:
        return []
    size = len(surface)
    at = text.find(surface, low, high)
    if at == -1:
        window = text if low == 0 and high == len(text) else text[low:high]
        spans = _normalized_occurrences(window, surface)
        if word_boundary:
            spans = [span for span in spans if _word_bounded(window, span)]
        return [(s + low, e + low) for s, e in spans] if low else spans
    left = word_boundary and _is_word(surface[0])
    right = word_boundary and _is_word(surface[-1])
    found: list[tuple[int, int]] = []
    while at != -1:
        end = at + size
        if not (left and at > low and _is_word(text[at - 1])) and not (
            right and end < high and _is_word(text[end])
        ):
            found.append((at, end))
        at = text.find(surface, at + 1, high)
    return found


_ANNOTATION = Annotation.__pydantic_validator__.validate_python

#: A grounded span before validation: the fields of `Span`.
_SpanDict = dict[str, int | str]


def _span_dict(text: str, start: int, end: int) -> _SpanDict:
    return {"start": start, "end": end, "text": text[start:end]}


# ---------------------------------------------------------------- extraction


def quotes_of(extraction: Extraction) -> set[str]:
    """Every piece of text an extraction quotes: names, mentions, claims, cues, evidence.

    What a `Hallucination.quote` is one of, so that the pipeline can tell a
    quote missing from one chunk but grounded in another (an overlap, a
    sentence cut at a chunk's edge) from one the model made up.
    """
    quotes = {surface for actor in extraction.actors for surface in (actor.name, *actor.mentions)}
    quotes.update(claim.quote for claim in extraction.claims)
    quotes.update(claim.cue for claim in extraction.claims if claim.cue)
    quotes.update(stance.evidence for stance in extraction.stances)
    return quotes


def ground_extraction(text: str, extraction: Extraction) -> GroundingResult:
    """Ground every quote of `extraction` in `text`; drop and count the rest.

    The annotation is gathered as plain values (`GroundingResult.fields`), not
    model by model: a seed article's hundred models cost as much to build as
    the search itself, and the pipeline only serialises them.
    """
    hallucinations: list[Hallucination] = []
    methods: Counter[str] = Counter()
    actors = _ground_actors(text, extraction, hallucinations, methods)
    claims = _ground_claims(text, extraction.claims, hallucinations, methods)
    stances = _ground_stances(text, extraction.stances, claims, hallucinations)
    fields = {"actors": actors, "claims": claims, "stances": stances}
    fields["document"] = extraction.document
    return GroundingResult(fields, hallucinations, methods)


def _ground_actors(
    text: str,
    extraction: Extraction,
    hallucinations: list[Hallucination],
    methods: Counter[str],
) -> list[dict[str, Any]]:
    merged: dict[str, tuple[str, set[tuple[int, int]]]] = {}
    for actor in extraction.actors:
        spans: set[tuple[int, int]] = set()
        for surface in [actor.name, *actor.mentions]:
            found = find_all(text, surface)
            if not found and surface != actor.name:
                hallucinations.append(Hallucination("mention", surface, actor.canonical_name))
            spans.update(found)
        if not spans:
            hallucinations.append(Hallucination("actor", actor.name, actor.canonical_name))
            continue
        key = actor.canonical_name
        if key not in merged:
            merged[key] = (actor.type, set())
        merged[key][1].update(spans)
    actors = []
    for key, (kind, spans) in merged.items():
        mentions = [
            {"start": s, "end": e, "text": text[s:e]} for s, e in _longest_non_overlapping(spans)
        ]
        methods["exact"] += len(mentions)
        actors.append({"canonical_name": key, "type": kind, "mentions": mentions})
    return actors


#: Up to this many spans, overlaps are checked pairwise (cheaper than a `SpanSet`).
_FEW_SPANS = 32


def _longest_non_overlapping(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Keep the longer of overlapping mentions ('Vladimir Putin' over 'Putin')."""
    ordered = sorted(spans)
    reach = -1
    for start, end in ordered:
        if start < reach:
            break  # an overlap: choose, longest first
        reach = end
    else:
        return ordered  # none overlaps: every one is kept
    by_length = sorted(ordered, key=_longest_first)
    kept: list[tuple[int, int]] = []
    if len(ordered) <= _FEW_SPANS:
        for span in by_length:
            start, end = span
            for kept_start, kept_end in kept:
                if start < kept_end and kept_start < end:
                    break
            else:
                kept.append(span)
        return sorted(kept)
    taken = SpanSet()
    for span in by_length:
        if not taken.overlaps(span):
            kept.append(span)
            taken.add(span)
    return sorted(kept)


def _longest_first(span: tuple[int, int]) -> tuple[int, int]:
    return (span[0] - span[1], span[0])


def _ground_claims(
    text: str,
    claims: list[Claim],
    hallucinations: list[Hallucination],
    methods: Counter[str],
) -> list[dict[str, Any]]:
    grounded: list[dict[str, Any]] = []
    taken = SpanSet()
    cursor = 0
    for claim in claims:
        found = _locate(text, claim.quote, cursor, taken, True)
        if found is None:
            hallucinations.append(Hallucination("claim", claim.quote, claim.speaker))
            continue
        start, end, method, _ = found
        if (start, end) in taken:
            continue  # the same claim twice
        methods[method] += 1
        taken.add((start, end))
        cursor = start
        cue = _ground_cue(text, claim.cue, start, end) if claim.cue else None
        if claim.cue and cue is None:
            hallucinations.append(Hallucination("cue", claim.cue, claim.quote[:80]))
        grounded.append(
            {
                "span": _span_dict(text, start, end),
                "speaker": claim.speaker,
                "cue": cue,
                "attribution": claim.attribution,
                "check_worthy": claim.check_worthy,
                "proposition": claim.proposition,
            }
        )
    return grounded


def _ground_cue(text: str, cue: str, claim_start: int, claim_end: int) -> _SpanDict | None:
    """The cue occurrence nearest its claim (outside it when possible)."""
    low, high = max(0, claim_start - CUE_WINDOW), min(len(text), claim_end + CUE_WINDOW)
    nearby = _find_within(text, cue, low, high)
    if nearby:
        outside = [s for s in nearby if not (s[0] < claim_end and claim_start < s[1])] or nearby
        best = outside[0]
        distance = max(claim_start - best[1], best[0] - claim_end, 0)
        for span in outside:
            gap = max(claim_start - span[1], span[0] - claim_end, 0)
            if gap < distance:
                best, distance = span, gap
        return _span_dict(text, best[0], best[1])
    match = _locate(text, cue, 0, _NOTHING, True)
    return None if match is None else _span_dict(text, match[0], match[1])


def _ground_stances(
    text: str,
    stances: list[Stance],
    claims: list[dict[str, Any]],
    hallucinations: list[Hallucination],
) -> list[dict[str, Any]]:
    grounded: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str, int, int]] = set()
    for stance in stances:
        span = _stance_evidence(text, stance, claims)
        if span is None:
            hallucinations.append(Hallucination("stance_evidence", stance.evidence))
            continue
        start, end = span
        key = (stance.holder, stance.target, stance.label, start, end)
        if key in seen:
            continue
        seen.add(key)
        grounded.append(
            {
                "holder": stance.holder,
                "target": stance.target,
                "label": stance.label,
                "evidence": _span_dict(text, start, end),
            }
        )
    return grounded


def _stance_evidence(
    text: str, stance: Stance, claims: list[dict[str, Any]]
) -> tuple[int, int] | None:
    """Prefer the occurrence carried by a claim of the same holder."""
    match = _locate(text, stance.evidence, 0, _NOTHING, True)
    if match is None:
        return None
    holder_claims = [c["span"] for c in claims if c["speaker"] == stance.holder]
    evidence = stance.evidence.strip()
    # Exact containment first: it is the common case and needs no normalized copies.
    carriers = [c for c in holder_claims if evidence in c["text"]] or holder_claims
    for claim_span in carriers:
        inside = _locate(claim_span["text"], evidence, 0, _NOTHING, False)
        if inside is not None:
            return claim_span["start"] + inside[0], claim_span["start"] + inside[1]
    return match[0], match[1]


# ---------------------------------------------------------------- chunks


def shift_annotation(annotation: Annotation, offset: int, full_text: str) -> Annotation:
    """Move a chunk's spans by `offset` into the full text, checking each one."""
    if offset == 0:
        return annotation  # a chunk at 0 is a prefix of the text: every span already fits

    def shift(span: Span) -> Span:
        moved = Span(start=span.start + offset, end=span.end + offset, text=span.text)
        if full_text[moved.start : moved.end] != moved.text:
            raise ValueError(f"span {moved} does not match the text after shifting")
        return moved

    return Annotation(
        actors=[
            a.model_copy(update={"mentions": [shift(m) for m in a.mentions]})
            for a in annotation.actors
        ],
        claims=[
            c.model_copy(update={"span": shift(c.span), "cue": shift(c.cue) if c.cue else None})
            for c in annotation.claims
        ],
        stances=[s.model_copy(update={"evidence": shift(s.evidence)}) for s in annotation.stances],
        document=annotation.document,
    )


def merge_annotations(annotations: list[Annotation]) -> Annotation:
    """Merge chunk annotations; what two overlapping chunks both found counts once."""
    if len(annotations) == 1:
        return annotations[0]
    return Annotation(
        actors=_merge_actors(annotations),
        claims=_unique(
            (c for a in annotations for c in a.claims), lambda c: (c.span.start, c.span.end)
        ),
        stances=_unique(
            (s for a in annotations for s in a.stances),
            lambda s: (s.holder, s.target, s.label, s.evidence.start, s.evidence.end),
        ),
        document=_majority_document([a.document for a in annotations]),
    )


def _merge_actors(annotations: list[Annotation]) -> list[GroundedActor]:
    merged: dict[str, GroundedActor] = {}
    for actor in (actor for a in annotations for actor in a.actors):
        if actor.canonical_name not in merged:
            merged[actor.canonical_name] = actor.model_copy(update={"mentions": []})
        merged[actor.canonical_name].mentions.extend(actor.mentions)
    for actor in merged.values():
        spans = {(m.start, m.end): m for m in actor.mentions}
        actor.mentions = [spans[key] for key in _longest_non_overlapping(spans)]
    return list(merged.values())


def _unique(items: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    seen: set[Hashable] = set()
    kept = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return kept


def _majority_document(documents: list[DocumentStance | None]) -> DocumentStance | None:
    """The most frequent (target, stance) pair; ties go to the earliest chunk."""
    present = [d for d in documents if d is not None]
    if not present:
        return None
    counts = Counter((d.main_target, d.overall) for d in present)
    best = max(counts.values())
    return next(d for d in present if counts[(d.main_target, d.overall)] == best)
