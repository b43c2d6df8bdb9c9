"""Grounding quotes into code-point offsets: tiers, repeats, hallucinations, chunks."""

from __future__ import annotations

from pathlib import Path

from annotate.preannotate.grounding import (
    FUZZY_THRESHOLD,
    find_all,
    find_quote,
    ground_extraction,
    merge_annotations,
    shift_annotation,
)
from annotate.schemas import Actor, Annotation, Claim, DocumentStance, Extraction, Stance


def spans_of(annotation: Annotation) -> list:  # type: ignore[type-arg]
    spans = [m for a in annotation.actors for m in a.mentions]
    spans += [c.span for c in annotation.claims] + [c.cue for c in annotation.claims if c.cue]
    return spans + [s.evidence for s in annotation.stances]


def assert_invariant(text: str, annotation: Annotation) -> None:
    for span in spans_of(annotation):
        assert text[span.start : span.end] == span.text, span


def claim(quote: str, speaker: str = "Vladimir Putin", cue: str | None = "said") -> Claim:
    return Claim(
        quote=quote,
        speaker=speaker,
        cue=cue,
        attribution="direct",
        check_worthy=True,
        proposition=quote,
    )


def extraction(**parts) -> Extraction:  # type: ignore[no-untyped-def]
    return Extraction(
        actors=parts.get("actors", []),
        claims=parts.get("claims", []),
        stances=parts.get("stances", []),
        document=DocumentStance(main_target="NATO expansion", overall="against"),
    )


def test_exact_match() -> None:
    match = find_quote("Putin said NATO is a threat.", "NATO is a threat")
    assert match and (match.start, match.end, match.method) == (11, 27, "exact")


def test_curly_and_straight_quotes_both_ways() -> None:
    text = "He called it \u201cancient Russian lands\u201d and Putin\u2019s order."
    for quote in ('"ancient Russian lands"', "Putin's order"):
        match = find_quote(text, quote)
        assert match and match.method == "normalized"
        assert text[match.start : match.end].replace("\u2019", "'").replace("\u201c", '"')
    straight = 'He said "no deal" today.'
    match = find_quote(straight, "\u201cno deal\u201d")
    assert match and straight[match.start : match.end] == '"no deal"'


def test_whitespace_dash_and_case() -> None:
    text = "The  threat to our\nwestern borders \u2014 is growing."
    match = find_quote(text, "the threat to our western borders - is growing")
    assert match and match.method == "normalized"
    assert text[match.start : match.end] == "The  threat to our\nwestern borders \u2014 is growing"


def test_fuzzy_typo_above_threshold_garbage_below(seeds_dir: Path) -> None:
    text = (seeds_dir / "000_856e5b2c16a2e29d.txt").read_text()
    match = find_quote(text, "In his conversation with the Putin, Raisi said")
    assert match and match.method == "fuzzy" and match.score >= FUZZY_THRESHOLD
    assert text[match.start : match.end] == "In his conversation with the Purin, Raisi said"
    assert find_quote(text, "Zelensky announced a new currency for the moon") is None
    assert find_quote(text, "Purim") is None  # short quotes are never fuzzy


def test_repeated_quote_follows_cursor_and_avoids_taken() -> None:
    text = "He said no. Later he said no. Then he said no."
    assert find_quote(text, "said no", after=5).start == 21  # type: ignore[union-attr]
    assert find_quote(text, "said no", avoid=[(3, 10)]).start == 21  # type: ignore[union-attr]
    grounded = ground_extraction(text, extraction(claims=[claim("said no", cue=None)] * 3))
    # the same claim returned three times is three claims at three places in order
    assert [c.span.start for c in grounded.annotation.claims] == [3, 21, 38]


def test_actor_mentions_are_word_bounded_and_longest() -> None:
    text = "Iranian President Ebrahim Raisi met Putin. Raisi said Iran agrees."
    assert find_all(text, "Iran") == [(54, 58)]
    actor = Actor(
        name="Ebrahim Raisi",
        canonical_name="Ebrahim Raisi",
        type="person",
        mentions=["Raisi", "Sayyed Raisi"],
    )
    result = ground_extraction(text, extraction(actors=[actor]))
    (grounded,) = result.annotation.actors
    assert [m.text for m in grounded.mentions] == ["Ebrahim Raisi", "Raisi"]
    assert [h.kind for h in result.hallucinations] == ["mention"]
    assert_invariant(text, result.annotation)


def test_hallucinations_are_counted_never_emitted() -> None:
    text = "Lavrov accused Kiev of concentrating troops in the Donbas."
    result = ground_extraction(
        text,
        extraction(
            actors=[
                Actor(name="Blinken", canonical_name="Antony Blinken", type="person", mentions=[])
            ],
            claims=[
                claim("Kiev of concentrating troops", "Sergei Lavrov", "accused"),
                claim("Russia will invade Ukraine in winter", "Sergei Lavrov", "said"),
            ],
            stances=[
                Stance(
                    holder="Sergei Lavrov",
                    target="Ukraine",
                    label="against",
                    evidence="Ukraine is a threat to world peace",
                )
            ],
        ),
    )
    kinds = sorted(h.kind for h in result.hallucinations)
    assert kinds == ["actor", "claim", "stance_evidence"]
    assert [c.span.text for c in result.annotation.claims] == ["Kiev of concentrating troops"]
    assert result.annotation.claims[0].cue.text == "accused"  # type: ignore[union-attr]
    assert result.annotation.actors == [] and result.annotation.stances == []


def test_missing_cue_keeps_claim() -> None:
    result = ground_extraction(
        "Putin: talks now.", extraction(claims=[claim("talks now", cue="stressed")])
    )
    assert result.annotation.claims[0].cue is None
    assert [h.kind for h in result.hallucinations] == ["cue"]


def test_stance_evidence_prefers_holder_claim() -> None:
    text = "NATO is a threat, Blinken quoted. Putin said NATO is a threat."
    result = ground_extraction(
        text,
        extraction(
            claims=[claim("NATO is a threat", "Vladimir Putin")],
            stances=[
                Stance(
                    holder="Vladimir Putin",
                    target="NATO",
                    label="against",
                    evidence="NATO is a threat",
                )
            ],
        ),
    )
    assert result.annotation.claims[0].span.start == 0  # first occurrence for the claim
    # the claim took the first occurrence: evidence rides on the holder's claim
    assert result.annotation.stances[0].evidence == result.annotation.claims[0].span


def test_emoji_before_spans_keeps_code_point_offsets() -> None:
    text = "\U0001f389\U0001f389 Putin said \u201cNATO must stop\u201d."
    result = ground_extraction(text, extraction(claims=[claim('"NATO must stop"')]))
    span = result.annotation.claims[0].span
    assert (span.start, span.end) == (14, 30)  # code points; UTF-16 would be 16, 32
    assert_invariant(text, result.annotation)


def test_chunks_shift_and_merge_with_overlap() -> None:
    text = "Putin said NATO expands. Raisi said NATO threatens. Putin stressed guarantees."
    chunks = [(0, 52), (25, len(text))]
    parts = []
    for start, end in chunks:
        piece = text[start:end]
        claims = [c for c in ("NATO expands", "NATO threatens", "guarantees") if c in piece]
        actors = [
            Actor(name=n, canonical_name=n, type="person", mentions=[])
            for n in ("Putin", "Raisi")
            if n in piece
        ]
        grounded = ground_extraction(
            piece, extraction(actors=actors, claims=[claim(c) for c in claims])
        )
        parts.append(shift_annotation(grounded.annotation, start, text))
    merged = merge_annotations(parts)
    assert [c.span.text for c in merged.claims] == ["NATO expands", "NATO threatens", "guarantees"]
    putin = next(a for a in merged.actors if a.canonical_name == "Putin")
    assert [m.start for m in putin.mentions] == [0, 52]
    assert merged.document is not None
    assert_invariant(text, merged)
