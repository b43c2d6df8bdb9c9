"""The sealed set (tests/data/sealed/) is well-formed; this scores nothing.

The set was written once and is only scored by bench/quality.py (see its README):
nobody tuning rules or prompts reads it. These checks keep it usable as a reference
without looking at any annotator: every quote is an exact substring of its article
(so spans can be found), every label is a value the schemas know, every speaker is
one of its article's actors, and each pair's expected relations fit its kind (a
trap never expects a contradiction, a planted contradiction names its detail).
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from annotate.schemas import ACTOR_TYPES, ATTRIBUTIONS, OUTLET
from annotate.schemas.compare import DETAILS, RELATIONS

SEALED = Path(__file__).parent / "data" / "sealed"
ARTICLES = SEALED / "articles"
SEED_MANIFEST = Path(__file__).resolve().parent.parent / "seeds" / "manifest.json"

TRAP_KINDS = (
    "part_whole",
    "complement",
    "update",
    "unit_conversion",
    "range_point",
    "two_groups",
    "two_events",
    "two_sums",
    "negation_elsewhere",
)
KINDS = (*TRAP_KINDS, "planted_contradiction", "same", "elaborates", "unrelated")
SIDE_KEYS = {"quote", "speaker", "outlet", "published"}


@cache
def load(name: str) -> Any:
    return json.loads((SEALED / name).read_text(encoding="utf-8"))


@cache
def article(name: str) -> str:
    return (ARTICLES / name).read_bytes().decode("utf-8")  # fails on anything but UTF-8


def article_names() -> list[str]:
    return sorted(p.name for p in ARTICLES.glob("*.txt"))


def manifest() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = load("articles/manifest.json")
    return rows


def pairs() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = load("pairs.json")["pairs"]
    return rows


def test_articles_are_utf8_and_within_the_length_range() -> None:
    names = article_names()
    assert len(names) == 16
    for name in names:
        words = len(article(name).split())
        assert 80 <= words <= 600, (name, words)


def test_manifest_lists_every_article_once_in_the_seed_format() -> None:
    seed_keys = set(json.loads(SEED_MANIFEST.read_text(encoding="utf-8"))[0])
    rows = manifest()
    assert sorted(r["file"] for r in rows) == article_names()
    for row in rows:
        assert set(row) == seed_keys, row["file"]
        assert row["outlet"], row["file"]
        date.fromisoformat(row["date"])


def test_claims_are_exact_substrings_with_valid_labels() -> None:
    documents = load("claims.json")["documents"]
    assert sorted(documents) == article_names()
    for name, claims in documents.items():
        text = article(name)
        assert claims, name
        for claim in claims:
            assert set(claim) == {"quote", "speaker", "attribution"}, claim
            assert claim["quote"] in text, (name, claim["quote"])
            assert claim["attribution"] in ATTRIBUTIONS
            assert (claim["speaker"] == OUTLET) == (claim["attribution"] == "authorial")
        keys = [(c["quote"], c["speaker"]) for c in claims]
        assert len(keys) == len(set(keys)), name


def test_actors_have_valid_types_and_name_every_speaker() -> None:
    actors = load("actors.json")["documents"]
    claims = load("claims.json")["documents"]
    assert sorted(actors) == article_names()
    for name, listed in actors.items():
        names = [a["name"] for a in listed]
        assert len(names) == len(set(names)), name
        assert all(a["type"] in ACTOR_TYPES and a["name"].strip() for a in listed), name
        speakers = {c["speaker"] for c in claims[name]} - {OUTLET}
        assert speakers <= set(names), (name, speakers - set(names))


def test_pairs_are_well_formed() -> None:
    rows = pairs()
    assert len(rows) >= 40
    ids = [p["id"] for p in rows]
    assert len(ids) == len(set(ids))
    for pair in rows:
        assert pair["kind"] in KINDS, pair["id"]
        assert pair["note"].strip(), pair["id"]
        for side in (pair["a"], pair["b"]):
            assert set(side) == SIDE_KEYS, pair["id"]
            assert side["quote"].strip() and side["speaker"].strip(), pair["id"]
            date.fromisoformat(side["published"])
        assert pair["a"]["outlet"] != pair["b"]["outlet"], pair["id"]


def test_expected_relations_fit_the_kind() -> None:
    for pair in pairs():
        expected = pair["expected"]
        assert expected and set(expected) <= set(RELATIONS), pair["id"]
        contradiction = "contradicts" in expected
        assert contradiction == (pair["kind"] == "planted_contradiction"), pair["id"]
        assert ("detail" in pair) == contradiction, pair["id"]
        if contradiction:
            assert expected == ["contradicts"] and pair["detail"] in DETAILS, pair["id"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_pairs(kind: str) -> None:
    assert sum(p["kind"] == kind for p in pairs()) >= 3


def test_sides_from_an_article_are_copied_exactly() -> None:
    """A side with an article's outlet and date quotes that article; most a sides do."""
    by_source = {(r["outlet"], r["date"]): r["file"] for r in manifest()}
    copied = 0
    for pair in pairs():
        for side in (pair["a"], pair["b"]):
            name = by_source.get((side["outlet"], side["published"]))
            if name is not None:
                assert side["quote"] in article(name), (pair["id"], side["quote"])
                copied += 1
    assert copied >= len(pairs()) // 2
