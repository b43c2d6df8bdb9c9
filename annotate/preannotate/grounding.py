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

import bisect
import re
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, TypeVar

from rapidfuzz import fuzz

from annotate.schemas import (
    Annotation,
    Claim,
    DocumentStance,
    Extraction,
    GroundedActor,
    GroundedClaim,
    GroundedStance,
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
    annotation: Annotation
    hallucinations: list[Hallucination] = field(default_factory=list)
    methods: Counter[str] = field(default_factory=Counter)


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


def _exact_from(
    text: str, quote: str, start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, int]]:
    """Occurrences of `quote` starting in [start, stop), found one at a time."""
    at = text.find(quote, start)
    while at != -1 and (stop is None or at < stop):
        yield (at, at + len(quote))
        at = text.find(quote, at + 1)


def _normalized_occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    normalized, needle = _normalize(text), _norm_quote(quote)
    if not needle:
        return []
    return [normalized.span(s, e) for s, e in _exact_occurrences(normalized.text, needle)]


def _fuzzy_occurrence(text: str, quote: str) -> tuple[int, int, float] | None:
    needle = _norm_quote(quote)
    if len(needle) < FUZZY_MIN_CHARS:
        return None
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


def _overlaps(span: tuple[int, int], others: Collection[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in others)


class SpanSet:
    """Spans given out so far, sorted by start: whether a new one overlaps costs a bisection.

    A long article has thousands of claims; checking each candidate against every
    span taken made grounding quadratic (a 1 MB text took minutes).
    """

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._longest = 0
        for span in spans:
            self.add(span)

    def add(self, span: tuple[int, int]) -> None:
        at = bisect.bisect_right(self._starts, span[0])
        self._starts.insert(at, span[0])
        self._ends.insert(at, span[1])
        self._longest = max(self._longest, span[1] - span[0])

    def overlaps(self, span: tuple[int, int]) -> bool:
        start, end = span
        # A span starting at or before start - longest ends at or before start.
        low = bisect.bisect_right(self._starts, start - self._longest)
        high = bisect.bisect_left(self._starts, end)
        return any(self._ends[k] > start for k in range(low, high))

    def __contains__(self, span: object) -> bool:
        if not isinstance(span, tuple):
            return False
        at = bisect.bisect_left(self._starts, span[0])
        while at < len(self._starts) and self._starts[at] == span[0]:
            if self._ends[at] == span[1]:
                return True
            at += 1
        return False


def _choose(
    spans: Iterable[tuple[int, int]], after: int, avoid: SpanSet
) -> tuple[int, int] | None:
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
    found there, the text before it is never searched.
    """
    first = None
    for span in _exact_from(text, quote, after):
        first = first or span
        if not avoid.overlaps(span):
            return span
    earliest = None
    for span in _exact_from(text, quote, 0, after):
        earliest = earliest or span
        if not avoid.overlaps(span):
            return span
    return earliest or first


def _choose_normalized(
    text: str, quote: str, after: int, avoid: SpanSet
) -> tuple[int, int] | None:
    return _choose(_normalized_occurrences(text, quote), after, avoid)


_TIERS: tuple[tuple[Method, Callable[[str, str, int, SpanSet], tuple[int, int] | None]], ...] = (
    ("exact", _choose_exact),
    ("normalized", _choose_normalized),
)


def find_quote(
    text: str,
    quote: str,
    *,
    after: int = 0,
    avoid: SpanSet | Collection[tuple[int, int]] = (),
    fuzzy: bool = True,
) -> Match | None:
    """Where `quote` is in `text`, trying exact, normalized, then (if `fuzzy`) fuzzy matching."""
    quote = quote.strip()
    if not quote:
        return None
    taken = avoid if isinstance(avoid, SpanSet) else SpanSet(avoid)
    for method, choose in _TIERS:
        chosen = choose(text, quote, after, taken)
        if chosen is not None:
            return Match(chosen[0], chosen[1], method, 100.0)
    if not fuzzy:
        return None
    fuzzy_match = _fuzzy_occurrence(text, quote)
    if fuzzy_match is None:
        return None
    return Match(fuzzy_match[0], fuzzy_match[1], "fuzzy", fuzzy_match[2])


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
    surface = surface.strip()
    if not surface:
        return []
    spans = _exact_occurrences(text, surface) or _normalized_occurrences(text, surface)
    if word_boundary:
        spans = [span for span in spans if _word_bounded(text, span)]
    return spans


def _span(text: str, start: int, end: int) -> Span:
    # Validated as Span(...) is, without BaseModel.__init__'s Python frame: half the
    # cost of the commonest object grounding makes (~70 per article).
    span: Span = _SPAN({"start": start, "end": end, "text": text[start:end]})
    return span


_SPAN = Span.__pydantic_validator__.validate_python


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
    """Ground every quote of `extraction` in `text`; drop and count the rest."""
    result = GroundingResult(annotation=Annotation(document=extraction.document))
    result.annotation.actors = _ground_actors(text, extraction, result)
    result.annotation.claims = _ground_claims(text, extraction.claims, result)
    result.annotation.stances = _ground_stances(text, extraction.stances, result)
    return result


def _ground_actors(
    text: str, extraction: Extraction, result: GroundingResult
) -> list[GroundedActor]:
    merged: dict[str, tuple[GroundedActor, set[tuple[int, int]]]] = {}
    for actor in extraction.actors:
        spans: set[tuple[int, int]] = set()
        for surface in [actor.name, *actor.mentions]:
            found = find_all(text, surface)
            if not found and surface != actor.name:
                result.hallucinations.append(
                    Hallucination("mention", surface, actor.canonical_name)
                )
            spans.update(found)
        if not spans:
            result.hallucinations.append(Hallucination("actor", actor.name, actor.canonical_name))
            continue
        key = actor.canonical_name
        if key not in merged:
            merged[key] = (GroundedActor(canonical_name=key, type=actor.type, mentions=[]), set())
        merged[key][1].update(spans)
    actors = []
    for grounded, spans in merged.values():
        grounded.mentions = [_span(text, s, e) for s, e in _longest_non_overlapping(spans)]
        result.methods["exact"] += len(grounded.mentions)
        actors.append(grounded)
    return actors


def _longest_non_overlapping(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Keep the longer of overlapping mentions ('Vladimir Putin' over 'Putin')."""
    kept: list[tuple[int, int]] = []
    taken = SpanSet()
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if not taken.overlaps(span):
            kept.append(span)
            taken.add(span)
    return sorted(kept)


def _ground_claims(text: str, claims: list[Claim], result: GroundingResult) -> list[GroundedClaim]:
    grounded: list[GroundedClaim] = []
    taken = SpanSet()
    cursor = 0
    for claim in claims:
        match = find_quote(text, claim.quote, after=cursor, avoid=taken)
        if match is None:
            result.hallucinations.append(Hallucination("claim", claim.quote, claim.speaker))
            continue
        if (match.start, match.end) in taken:
            continue  # the same claim twice
        result.methods[match.method] += 1
        taken.add((match.start, match.end))
        cursor = match.start
        grounded.append(_grounded_claim(text, claim, match, result))
    return grounded


def _grounded_claim(
    text: str, claim: Claim, match: Match, result: GroundingResult
) -> GroundedClaim:
    cue = _ground_cue(text, claim.cue, match) if claim.cue else None
    if claim.cue and cue is None:
        result.hallucinations.append(Hallucination("cue", claim.cue, claim.quote[:80]))
    return GroundedClaim(
        span=_span(text, match.start, match.end),
        speaker=claim.speaker,
        cue=cue,
        attribution=claim.attribution,
        check_worthy=claim.check_worthy,
        proposition=claim.proposition,
    )


def _ground_cue(text: str, cue: str, claim: Match) -> Span | None:
    """The cue occurrence nearest its claim (outside it when possible)."""
    low, high = max(0, claim.start - CUE_WINDOW), min(len(text), claim.end + CUE_WINDOW)
    nearby = [(s + low, e + low) for s, e in find_all(text[low:high], cue)]
    if nearby:
        outside = [s for s in nearby if not _overlaps(s, [(claim.start, claim.end)])] or nearby
        start, end = min(outside, key=lambda s: _distance(s, claim))
        return _span(text, start, end)
    match = find_quote(text, cue)
    return None if match is None else _span(text, match.start, match.end)


def _distance(span: tuple[int, int], claim: Match) -> int:
    return max(claim.start - span[1], span[0] - claim.end, 0)


def _ground_stances(
    text: str, stances: list[Stance], result: GroundingResult
) -> list[GroundedStance]:
    grounded: list[GroundedStance] = []
    seen: set[tuple[str, str, str, int, int]] = set()
    for stance in stances:
        span = _stance_evidence(text, stance, result.annotation.claims)
        if span is None:
            result.hallucinations.append(Hallucination("stance_evidence", stance.evidence))
            continue
        key = (stance.holder, stance.target, stance.label, span.start, span.end)
        if key in seen:
            continue
        seen.add(key)
        grounded.append(
            GroundedStance(
                holder=stance.holder, target=stance.target, label=stance.label, evidence=span
            )
        )
    return grounded


def _stance_evidence(text: str, stance: Stance, claims: list[GroundedClaim]) -> Span | None:
    """Prefer the occurrence carried by a claim of the same holder."""
    match = find_quote(text, stance.evidence)
    if match is None:
        return None
    holder_claims = [c.span for c in claims if c.speaker == stance.holder]
    evidence = stance.evidence.strip()
    # Exact containment first: it is the common case and needs no normalized copies.
    carriers = [c for c in holder_claims if evidence in c.text] or holder_claims
    for claim_span in carriers:
        inside = find_quote(claim_span.text, evidence, fuzzy=False)
        if inside is not None:
            start = claim_span.start + inside.start
            return _span(text, start, claim_span.start + inside.end)
    return _span(text, match.start, match.end)


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
