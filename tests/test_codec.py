"""The Label Studio codec: lossless both ways, one parsed form, strict about offsets."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from annotate.codec import (
    ConversionError,
    Regions,
    annotation_to_results,
    canonical_order,
    codec_version,
    dump_regions,
    load_regions,
    parse_results,
    prediction_payload,
    regions_of,
    results_to_annotation,
)
from annotate.codec import layout as L
from annotate.ingest import ingest_paths
from annotate.llm import EndpointSettings
from annotate.preannotate.grounding import ground_extraction
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.preannotate.providers.rules import extract_rules
from annotate.schemas import (
    OUTLET,
    Annotation,
    DocumentStance,
    GroundedActor,
    GroundedClaim,
    GroundedStance,
    Span,
)
from annotate.store import Store
from annotate.testing.llm_server import running_llm_server

from .conftest import SEEDS


def assert_same_regions(parsed: Regions, encoded: Regions) -> None:
    """Equal regions in the same order, with the same attributes, relations and document."""
    assert parsed.spans == encoded.spans
    assert [r.attributes for r in parsed.spans] == [r.attributes for r in encoded.spans]
    assert [r.id for r in parsed.spans] == [r.id for r in encoded.spans]
    assert parsed.relations == encoded.relations
    assert parsed.document == encoded.document


def assert_codec_laws(annotation: Annotation, text: str) -> None:
    """annotation -> results -> annotation is the identity, and both paths to regions agree."""
    results = annotation_to_results(annotation)
    assert results_to_annotation(results, text) == canonical_order(annotation)
    parsed, problems = parse_results(results, text)
    assert problems == []
    assert_same_regions(parsed, regions_of(annotation))


def span(text: str, part: str, after: int = 0) -> Span:
    start = text.index(part, after)
    return Span(start=start, end=start + len(part), text=part)


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_round_trip_is_lossless_on_the_seeds(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    annotation = ground_extraction(text, extract_rules(text)).annotation
    assert annotation.claims and annotation.stances
    assert_codec_laws(annotation, text)


EMOJI_TEXT = "Embedded post 🇺🇦🔥 shared 12k times.\n\nKuleba said the proposal was illegitimate."


def fallbacks_annotation(text: str = EMOJI_TEXT) -> Annotation:
    """Every fallback path: unmentioned speaker, outlet claim, evidence region, topic target."""
    kuleba = span(text, "Kuleba")
    claim = span(text, "the proposal was illegitimate")
    post = span(text, "Embedded post 🇺🇦🔥 shared 12k times")
    return Annotation(
        actors=[GroundedActor(canonical_name="Dmytro Kuleba", type="person", mentions=[kuleba])],
        claims=[
            GroundedClaim(
                span=claim,
                speaker="Dmytro Kuleba",
                cue=span(text, "said"),
                attribution="indirect",
                check_worthy=False,
                proposition="The Russian proposal is illegitimate.",
            ),
            GroundedClaim(
                span=post,
                speaker="An unnamed blogger",
                cue=None,
                attribution="indirect",
                check_worthy=True,
                proposition="The post was shared 12,000 times.",
            ),
        ],
        stances=[
            GroundedStance(
                holder="Dmytro Kuleba", target="Russia", label="against", evidence=claim
            ),
            GroundedStance(holder=OUTLET, target="Dmytro Kuleba", label="neutral", evidence=claim),
            GroundedStance(
                holder="An unnamed blogger", target="the war", label="favor", evidence=post
            ),
        ],
        document=DocumentStance(main_target="the Russian proposal", overall="strongly_against"),
    )


def by_name(results: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r for r in results if r.get("from_name") == name]


def test_fallback_paths_round_trip_and_use_the_layout() -> None:
    annotation = fallbacks_annotation()
    assert_codec_laws(annotation, EMOJI_TEXT)
    results = annotation_to_results(annotation)
    assert by_name(results, L.SPEAKER_NAME)[0]["value"]["text"] == ["An unnamed blogger"]
    assert by_name(results, L.STANCE_EVIDENCE), "a second stance on a claim needs its own region"
    assert {r["labels"][0] for r in results if r["type"] == "relation"} == {
        L.SPEAKER,
        L.CUE_OF,
        L.TARGET,
    }
    (overall,) = by_name(results, L.OVERALL_STANCE)
    assert overall["value"] == {"choices": ["strongly_against"]}


def test_per_region_attributes_share_their_region_id() -> None:
    results = annotation_to_results(fallbacks_annotation())
    regions = {r["id"]: r for r in results if r["type"] == "labels"}
    for result in results:
        if result["type"] in ("choices", "textarea") and "start" in result["value"]:
            region = regions[result["id"]]
            assert result["value"]["start"] == region["value"]["start"]
            assert result["value"]["end"] == region["value"]["end"]


def test_offsets_are_code_points_and_utf16_offsets_are_refused() -> None:
    results = annotation_to_results(fallbacks_annotation())
    kuleba = next(r for r in results if r["from_name"] == L.ACTOR)
    assert EMOJI_TEXT[kuleba["value"]["start"] : kuleba["value"]["end"]] == "Kuleba"
    utf16_start = len(EMOJI_TEXT[: kuleba["value"]["start"]].encode("utf-16-le")) // 2
    assert utf16_start != kuleba["value"]["start"]  # the emoji make the conventions differ
    shifted = {**kuleba, "value": {**kuleba["value"], "start": utf16_start, "end": utf16_start + 6}}
    with pytest.raises(ConversionError, match="code points"):
        results_to_annotation([shifted], EMOJI_TEXT)


def test_missing_required_attributes_are_named() -> None:
    text = "Putin said the talks were useful."
    results = [
        {
            "id": "x1",
            "from_name": L.CLAIM,
            "to_name": L.TEXT,
            "type": "labels",
            "value": {"start": 11, "end": 32, "text": text[11:32], "labels": ["claim"]},
        }
    ]
    with pytest.raises(ConversionError, match="no attribution or check_worthy"):
        results_to_annotation(results, text)


def test_human_shortcuts_unlabelled_relations_and_unlinked_cues() -> None:
    text = "Putin said the talks were useful."
    value = {"start": 11, "end": 32, "text": text[11:32]}

    def result(rid: str, name: str, kind: str, **extra: Any) -> dict[str, Any]:
        return {"id": rid, "from_name": name, "to_name": L.TEXT, "type": kind, "value": extra}

    results = [
        result("a", L.ACTOR, "labels", start=0, end=5, text="Putin", labels=["person"]),
        result("c", L.CLAIM, "labels", **value, labels=["claim"]),
        result("c", L.ATTRIBUTION, "choices", **value, choices=["indirect"]),
        result("c", L.CHECK_WORTHY, "choices", **value, choices=["yes"]),
        result("q", L.CUE, "labels", start=6, end=10, text="said", labels=["cue"]),
        {"from_id": "c", "to_id": "a", "type": "relation", "direction": "right"},
    ]
    (claim,) = results_to_annotation(results, text).claims
    assert claim.speaker == "Putin"  # unlabelled claim-actor relation: the speaker
    assert claim.cue == Span(start=6, end=10, text="said")  # unlinked cue: the nearest claim
    assert claim.proposition == claim.span.text  # no proposition typed: the claim itself


def test_unknown_choice_is_a_conversion_error() -> None:
    text = "Putin said the talks were useful."
    results = annotation_to_results(
        Annotation(document=DocumentStance(main_target="talks", overall="favor"))
    )
    results[-1]["value"]["choices"] = ["very_favor"]
    with pytest.raises(ConversionError, match="overall"):
        results_to_annotation(results, text)


def test_prediction_payload() -> None:
    payload = prediction_payload(fallbacks_annotation(), "m-1", score=0.75)
    assert payload["model_version"] == "m-1" and payload["score"] == 0.75
    assert all(r.get("origin", "prediction") == "prediction" for r in payload["result"])


def test_predictions_through_the_fake_llm_server_obey_the_codec_laws(store: Store) -> None:
    """Every prediction the LLM path stores (chunked, merged, grounded) round-trips."""
    ingest_paths(store, [SEEDS])

    async def run() -> None:
        settings = EndpointSettings(
            model="test-model", base_url=server.base_url, api_key="sk-test",
            context_window=2600, max_tokens=300,
        )  # fmt: skip
        provider = OpenAIChatProvider(settings)
        try:
            await preannotate(store, provider, concurrency=4)
        finally:
            await provider.aclose()

    with running_llm_server(latency=0.0) as server:
        asyncio.run(run())
    checked = 0
    for document in store.documents.iter():
        prediction = store.predictions.latest(document.id)
        assert prediction is not None
        assert_codec_laws(Annotation.model_validate_json(prediction.annotation), document.text)
        checked += 1
    assert checked == len(list(SEEDS.glob("*.txt")))
    calls = store.db.execute("select count(*) from llm_calls").fetchone()[0]
    assert calls > checked, "the small window should have split long documents into chunks"


def test_an_annotators_shortcuts_parse_into_the_same_regions_as_their_reading() -> None:
    """Results Label Studio sends (unlabelled relations, no origin) parse like our own."""
    text = "Putin said the talks were useful."
    results = [
        {"id": "a", "from_name": L.ACTOR, "to_name": L.TEXT, "type": "labels",
         "value": {"start": 0, "end": 5, "text": "Putin", "labels": ["person"]}},
        {"id": "c", "from_name": L.CLAIM, "to_name": L.TEXT, "type": "labels",
         "value": {"start": 11, "end": 32, "text": text[11:32], "labels": ["claim"]}},
        {"id": "c", "from_name": L.ATTRIBUTION, "to_name": L.TEXT, "type": "choices",
         "value": {"start": 11, "end": 32, "choices": ["indirect"]}},
        {"id": "c", "from_name": L.CHECK_WORTHY, "to_name": L.TEXT, "type": "choices",
         "value": {"start": 11, "end": 32, "choices": [" yes "]}},
        {"from_id": "c", "to_id": "a", "type": "relation"},
    ]  # fmt: skip
    parsed, problems = parse_results(results, text)
    assert problems == []
    (relation,) = parsed.relations
    assert relation.label == L.SPEAKER and relation.source.control == L.CLAIM
    assert parsed.of(L.CLAIM)[0].attributes == {L.ATTRIBUTION: "indirect", L.CHECK_WORTHY: "yes"}
    annotation = results_to_annotation(results, text)
    assert_same_regions(regions_of(annotation), regions_of(results_to_annotation(
        annotation_to_results(annotation), text)))  # fmt: skip


def stored_form(regions: Regions) -> tuple[list[Any], list[Any], list[Any]]:
    """Every field of every region in order, each relation by the positions of its ends."""
    position = {id(r): n for n, r in enumerate(regions.spans)}
    return (
        [(r.control, r.label, r.start, r.end, r.id, r.text, list(r.attributes.items()))
         for r in regions.spans],
        [(r.label, position[id(r.source)], position[id(r.target)]) for r in regions.relations],
        list(regions.document.items()),
    )  # fmt: skip


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt"))[:2], ids=lambda p: p.name[:3])
def test_stored_regions_read_back_as_the_regions_dumped(path: Path) -> None:
    """What pull keeps is what the gold pass would encode: field by field, in order, with
    each relation between the very regions it was drawn between."""
    text = path.read_text(encoding="utf-8")
    for annotation in (ground_extraction(text, extract_rules(text)).annotation,
                       fallbacks_annotation()):  # fmt: skip
        encoded = regions_of(annotation)
        assert encoded.relations
        assert stored_form(load_regions(dump_regions(encoded))) == stored_form(encoded)
    assert len(codec_version()) == 64


def test_the_nearest_mention_by_bisection_is_the_nearest_by_scan() -> None:
    """The speaker's nearest mention, found by bisection over mentions in text order, is
    the one a scan of every mention finds (overlap first, then distance, then the earlier)."""
    from annotate.codec.encode import _Mentions, _nearest_by_scan
    from annotate.codec.regions import Region

    rng = random.Random(7)
    for _ in range(300):
        at, regions = 0, []
        for _ in range(rng.randint(1, 12)):
            at += rng.randint(0, 6)
            length = rng.randint(1, 5)
            regions.append(Region("actor", "person", at, at + length))
            at += length
        mentions = _Mentions({"X": regions})
        for _ in range(20):
            start = rng.randint(0, at + 5)
            span = Span(start=start, end=start + rng.randint(0, 8), text="")
            assert mentions.nearest("X", span) is _nearest_by_scan(regions, span)

