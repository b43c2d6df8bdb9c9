"""Grounding's fast path gives exactly what grounding the plain way gives (issue 22).

`annotate.preannotate.grounding` searches in place, checks overlaps through a
sorted set or pair by pair, and validates the annotation once as a whole; the
oracle (`tests/grounding_reference.py`) lists every occurrence and builds each
model by its constructor. Both must agree on every span, hallucination and
method count: over the seed articles as the rules annotate them, over quotes
chosen to reach each tier and edge, and over random extractions of random texts.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

import pytest

from annotate.preannotate.grounding import (
    CUE_WINDOW,
    find_all,
    find_quote,
    ground_extraction,
    merge_annotations,
    shift_annotation,
)
from annotate.preannotate.pipeline import _grounded, count_spans
from annotate.preannotate.providers.rules import extract_rules
from annotate.preannotate.textrange import TextRange
from annotate.schemas import Actor, Annotation, Claim, DocumentStance, Extraction, Stance
from annotate.store import Document

from . import grounding_reference as reference
from .conftest import SEEDS

DOCUMENT = DocumentStance(main_target="the talks", overall="neutral")


def assert_same(text: str, extraction: Extraction) -> Annotation:
    """The module's grounding equals the oracle's, and is what validating its dump gives."""
    result = ground_extraction(text, extraction)
    annotation, missing, methods = reference.ground_extraction(text, extraction)
    assert result.annotation.model_dump() == annotation.model_dump()
    assert result.annotation == annotation
    assert result.hallucinations == missing
    assert list(result.methods.items()) == list(methods.items())
    # What the pipeline stores, made without the models, is what the models serialise to.
    assert result.annotation_json() == annotation.model_dump_json()
    assert result.spans == count_spans(annotation)
    return result.annotation


def actor(name: str, *mentions: str, canonical: str | None = None) -> Actor:
    return Actor(
        name=name, canonical_name=canonical or name, type="person", mentions=list(mentions)
    )


def claim(quote: str, speaker: str = "Ann Lee", cue: str | None = "said") -> Claim:
    return Claim(
        quote=quote,
        speaker=speaker,
        cue=cue,
        attribution="indirect",
        check_worthy=False,
        proposition=quote,
    )


def stance(evidence: str, holder: str = "Ann Lee", target: str = "the talks") -> Stance:
    return Stance(holder=holder, target=target, label="against", evidence=evidence)


def extraction(
    actors: Iterable[Actor] = (), claims: Iterable[Claim] = (), stances: Iterable[Stance] = ()
) -> Extraction:
    return Extraction(
        actors=list(actors), claims=list(claims), stances=list(stances), document=DOCUMENT
    )


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_seed_articles_as_the_rules_annotate_them(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert assert_same(text, extract_rules(text)).claims  # a real article, real claims
    dispatched = f"Dispatch 7.\n\n{text}"
    assert_same(dispatched, extract_rules(dispatched))


def test_pipeline_stores_what_grounding_the_plain_way_gives() -> None:
    """A document in one piece is stored without models; one in two chunks through them."""
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        document = Document(path.name, text, str(path), {})
        whole = _grounded(document, [(TextRange(0, len(text)), extract_rules(text))])
        expected, missing, _ = reference.ground_extraction(text, extract_rules(text))
        assert whole.annotation == expected.model_dump_json()
        assert (whole.spans, whole.hallucinated) == (count_spans(expected), missing)
        half = len(text) // 2
        chunks = [TextRange(0, half + 300), TextRange(half - 300, len(text))]
        parts = [(chunk, extract_rules(chunk.of(text))) for chunk in chunks]
        shifted = [
            shift_annotation(reference.ground_extraction(chunk.of(text), e)[0], chunk.start, text)
            for chunk, e in parts
        ]
        merged = merge_annotations(shifted)
        two = _grounded(document, parts)
        assert (two.annotation, two.spans) == (merged.model_dump_json(), count_spans(merged))


def test_normalized_and_fuzzy_quotes() -> None:
    text = (
        "Ann Lee said \u201cthe talks\u2014at last\u2014are over\u201d on Monday.\n\n"
        "Later  Lee   told reporters the  deal was \u2026 finished, "
        "and Bob Roe\u2019s team agreed. "
        "In his conversation with the Purin, Raisi said the border would stay closed."
    )
    quotes = [
        '"the talks-at last-are over"',  # dashes and quote marks
        "the deal was ... finished",  # spacing and the ellipsis
        "LATER LEE TOLD REPORTERS",  # case
        "In his conversation with the Putin, Raisi said",  # a typo: fuzzy
        "Bob Roe's team agreed",  # curly apostrophe
        "a sentence nowhere in the text at all",  # hallucinated
        "   ",  # empty once stripped
    ]
    ann = assert_same(text, extraction(claims=[claim(q, cue="told") for q in quotes]))
    assert {c.span.text for c in ann.claims} >= {"In his conversation with the Purin, Raisi said"}


def test_overlapping_mentions_and_word_edges() -> None:
    text = (
        "Vladimir Putin met U.S. envoys. Putin's aide, Putinism's critic and (AP) Putin "
        "spoke; President Putin left. snake_case_Putin and Putin_x are no mentions. "
        "\u0130stanbul hosted Putin."
    )
    actors = [
        actor("Vladimir Putin", "Putin", "President Putin", "Vlad", canonical="Vladimir Putin"),
        actor("U.S.", "US", "U.S. envoys", canonical="United States"),
        actor("(AP)", "AP", canonical="Associated Press"),
        actor("istanbul", "\u0130stanbul", canonical="Istanbul"),
        actor("Putin", canonical="Vladimir Putin"),  # a second actor of the same name
        actor("Nobody Here", "Nor Here", canonical="Ghost"),
    ]
    assert_same(text, extraction(actors=actors))


def test_many_overlapping_mentions_take_the_long_path() -> None:
    text = " ".join(f"Minister Ann Lee spoke {i}; Lee, Ann Lee and Minister Lee" for i in range(30))
    ann = assert_same(
        text, extraction(actors=[actor("Minister Ann Lee", "Ann Lee", "Lee", "Minister Lee")])
    )
    assert len(ann.actors[0].mentions) > 32


def test_repeated_claims_cues_and_stances() -> None:
    text = "He said no. Later he said no. Then he said no, and Ann Lee stressed it: no."
    claims = [claim("said no", cue="He")] * 4 + [claim("no", cue="stressed"), claim("no")]
    stances = [
        stance("said no"),
        stance("said no"),
        stance("no", holder="Bob Roe"),
        stance("Said  No", target="peace"),
    ]
    assert_same(text, extraction(claims=claims, stances=stances))


def test_cues_at_the_window_edges_and_beyond() -> None:
    pad = "x" * (CUE_WINDOW - 4)
    for before in ("said", "osaid", "said_", " said "):
        text = f"said {pad}{before}The claim itself here.{pad[:-3]}said more"
        ann = assert_same(text, extraction(claims=[claim("The claim itself here.")]))
        assert ann.claims
    far = "Ann said it. " + "y " * CUE_WINDOW + "The claim stands alone."
    assert_same(far, extraction(claims=[claim("The claim stands alone.", cue="Ann said")]))
    inside = "They said \u201cwe said what we said\u201d, he said."
    assert_same(inside, extraction(claims=[claim("we said what we said")]))
    curly = "\u201cNo deal,\u201d Lee  Said. Then: no deal."
    assert_same(curly, extraction(claims=[claim("No deal,", cue="lee said")]))


def test_stance_evidence_inside_holder_claims() -> None:
    text = (
        "NATO is a threat, Blinken quoted. Ann Lee said NATO is a threat to all. "
        "Bob Roe said \u201cNATO  IS a threat\u201d too."
    )
    claims = [claim("NATO is a threat to all"), claim('"NATO is a threat"', "Bob Roe")]
    stances = [
        stance("NATO is a threat"),
        stance("nato is a threat", holder="Bob Roe"),
        stance("NATO is a threat", holder="Nobody"),
        stance("a threat to nobody"),
    ]
    assert_same(text, extraction(claims=claims, stances=stances))


def test_public_finders_unchanged() -> None:
    text = "He said no. Later he said no. Then he said no."
    for after, avoid in ((0, ()), (5, ()), (40, ()), (0, [(3, 10)]), (30, [(21, 28), (38, 45)])):
        match = find_quote(text, "said no", after=after, avoid=avoid)
        expected = reference.find_quote(text, "said no", after, list(avoid))
        assert match is not None and expected is not None
        assert (match.start, match.end, match.method, match.score) == expected
    assert find_all(text, "he") == reference.find_all(text, "he") == [(18, 20), (35, 37)]


WORDS = (
    "Ann",
    "Lee",
    "said",
    "the",
    "talks",
    "NATO",
    "is",
    "a",
    "threat",
    "Putin",
    "U.S.",
    "(AP)",
    "\u201cno\u201d",
    "deal\u2014now",
    "x_y",
    "\u2026",
    "\u0130n",
)


def random_case(rng: random.Random) -> tuple[str, Extraction]:
    """A text of random words and an extraction quoting it, altered now and then."""
    text = "".join(
        rng.choice(WORDS) + rng.choice((" ", "  ", ", ", ". ", "\n")) for _ in range(120)
    )

    def quote(words: int) -> str:
        start = rng.randrange(len(text) - 1)
        piece = text[start : start + rng.randint(1, words * 6)]
        change = rng.random()
        if change < 0.15:
            piece = piece.upper()
        elif change < 0.25:
            piece = piece.replace(" ", "  ").replace("\u201c", '"').replace("\u2014", "-")
        elif change < 0.32 and len(piece) > 14:
            at = rng.randrange(len(piece))
            piece = piece[:at] + "q" + piece[at + 1 :]
        elif change < 0.36:
            piece = "made up " + piece
        return piece

    actors = [
        actor(quote(2), *(quote(1) for _ in range(rng.randint(0, 4))), canonical=rng.choice("ABC"))
        for _ in range(rng.randint(0, 5))
    ]
    speakers = ("A", "B", "OUTLET")
    claims = [
        claim(quote(8), rng.choice(speakers), rng.choice((None, quote(1), "said")))
        for _ in range(rng.randint(0, 12))
    ]
    stances = [
        stance(quote(3), rng.choice(speakers), rng.choice(("x", "y")))
        for _ in range(rng.randint(0, 5))
    ]
    return text, extraction(actors, claims, stances)


def test_random_extractions_of_random_texts() -> None:
    rng = random.Random(22)
    for _ in range(300):
        assert_same(*random_case(rng))


def test_escapes_and_wide_characters_serialise_alike() -> None:
    """The stored JSON escapes what model_dump_json escapes (controls, quotes, backslashes)."""
    text = 'Ann said \x00 \x7f \\ "q" \u2028 </script> \U0001f389 caf\u00e9\t\x1f here.'
    quote = '\x00 \x7f \\ "q" \u2028 </script> \U0001f389 caf\u00e9\t\x1f here'
    ann = assert_same(
        text, extraction([actor("Ann", "caf\u00e9")], [claim(quote)], [stance(quote)])
    )
    assert ann.claims and ann.stances and ann.actors
