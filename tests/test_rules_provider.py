"""The rule-based annotator: what it finds on the seeds, and what it must never do."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from annotate.preannotate.grounding import ground_extraction
from annotate.preannotate.providers import make_provider
from annotate.preannotate.providers.rules import (
    MAX_CHUNK_CHARS,
    article_layout,
    extract_rules,
    polarity,
    rules_version,
)
from annotate.schemas import OUTLET, Claim, Extraction

from .conftest import SEEDS


def seed(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def claims_by_quote(extraction: Extraction) -> dict[str, Claim]:
    return {c.quote: c for c in extraction.claims}


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_every_quote_grounds_exactly_and_nothing_is_hallucinated(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    extraction = extract_rules(text)
    assert extraction.actors and extraction.claims
    grounded = ground_extraction(text, extraction)
    assert grounded.hallucinations == []
    assert set(grounded.methods) == {"exact"}


def test_deterministic() -> None:
    text = seed("003")
    assert extract_rules(text) == extract_rules(text)


def test_direct_quote_attributed_through_pronoun_to_last_person() -> None:
    claims = claims_by_quote(extract_rules(seed("003")))
    quote = next(q for q in claims if q.startswith("The threat to our western borders"))
    claim = claims[quote]
    assert claim.attribution == "direct" and claim.speaker == "Vladimir Putin"  # "he said"
    assert claim.cue == "said"


def test_role_subject_resolves_to_the_person_named_before() -> None:
    claims = extract_rules(seed("002")).claims
    miscalculation = next(c for c in claims if "miscalculation" in c.quote)
    assert miscalculation.speaker == "Ebrahim Raisi"  # "The Iranian president said ..."
    assert miscalculation.attribution == "indirect" and miscalculation.cue == "said"


def test_inverted_and_according_to_forms() -> None:
    claims = extract_rules(seed("004")).claims
    by_start = {c.quote.split()[0] + " " + c.quote.split()[1]: c for c in claims}
    assert by_start["This should"].speaker == "Vladimir Putin"  # '..., he said when ...'
    assert by_start["Any agreement,"].cue == "according to"
    assert by_start["Russia does"].speaker == "Dmytro Kuleba"  # 'According to Kuleba, ...'


def test_passive_voice_is_not_a_speaker() -> None:
    claims = extract_rules(seed("003")).claims
    accused = next(c for c in claims if "90,000 troops" in c.quote)
    assert accused.speaker == OUTLET and accused.attribution == "authorial"


def test_site_furniture_is_skipped() -> None:
    text = seed("002")
    headline, body = article_layout(text)
    assert headline is not None and headline.of(text).startswith("Putin in meeting with Raisi")
    body_text = "\n".join(region.of(text) for region in body)
    assert "Recent Posts" not in body_text and "Editorial Staff" not in body_text
    assert "IFP Exclusive" not in body_text
    extraction = extract_rules(text)
    assert all("Zelensky" not in c.quote for c in extraction.claims)
    assert "Volodymyr Zelensky" not in {a.canonical_name for a in extraction.actors}
    footer = extract_rules(seed("003"))
    assert all("spam" not in c.quote and "SECRET NOTE" not in c.quote for c in footer.claims)


def test_stance_from_lexicon_and_document_stance() -> None:
    extraction = extract_rules(seed("000"))
    toward_nato = [s for s in extraction.stances if s.target == "NATO expansion"]
    assert toward_nato and all(s.label == "against" for s in toward_nato)
    assert {s.holder for s in toward_nato} == {"Ebrahim Raisi"}
    assert extraction.document.main_target == "NATO expansion"
    assert extraction.document.overall in ("against", "strongly_against")
    assert polarity("a serious threat") < 0 < polarity("they agreed to cooperate")
    assert polarity("this is not a threat") > 0


def test_titled_people_outside_the_gazetteer() -> None:
    text = "Foreign Minister Ana Lopez said the talks had failed. Lopez added that it was over."
    extraction = extract_rules(text)
    (actor,) = extraction.actors
    assert actor.canonical_name == "Ana Lopez" and actor.type == "person"
    assert actor.mentions == ["Lopez"]
    assert {c.speaker for c in extraction.claims} == {"Ana Lopez"}


def test_provider_names_its_rules_in_model_version() -> None:
    provider = make_provider("rules")
    assert provider.model_version == f"rule-based-annotator-{rules_version()}"
    assert provider.cacheable is False and provider.max_chunk_chars == MAX_CHUNK_CHARS
    result = asyncio.run(provider.extract("Putin said the talks were useful for everyone."))
    assert Extraction.model_validate_json(result.raw) == result.extraction
    assert result.usage.prompt_tokens == 0


def _authorial(sentence: str) -> list[str]:
    """Authorial claims the annotator finds in `sentence`, as the body of an article."""
    extraction = extract_rules("A headline without a full stop\n\n" + sentence)
    return [c.quote for c in extraction.claims if c.attribution == "authorial"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Putin met Erdogan in Sochi to discuss grain exports.",  # actor + event verb
        "The summit was held in Geneva after months of preparation.",  # passive event
        "Iran suspended cooperation with the inspectors in June.",  # date
        "Three people were killed when a missile struck an apartment block.",
        "The Kremlin rejected the proposal within hours.",
        "More than 200 civilians were evacuated from the plant.",  # figure
    ],
)
def test_statements_of_fact_in_the_outlets_voice_are_authorial_claims(sentence: str) -> None:
    (quote,) = _authorial(sentence)
    assert quote == sentence.rstrip(".")
    (claim,) = extract_rules("Headline\n\n" + sentence).claims
    assert claim.speaker == OUTLET and claim.cue is None


@pytest.mark.parametrize(
    "sentence",
    [
        "This is a shameful decision by the government in Kyiv.",  # judgement
        "The West should stop arming Ukraine immediately and negotiate.",  # modal wish
        "Clearly, Washington failed to understand what was at stake on Monday.",
        "It is high time that the United Nations took responsibility here.",
        "Will the talks in Vienna finally resume on Monday?",  # question
        "Iran and Russia could sign a new deal as early as next month.",  # speculation
        "The talks are expected to resume in Vienna after the holidays.",
        "NATO is the most dangerous military alliance in history.",  # no event, no figure
        "We don't spam! Follow us on Twitter for updates from the region.",
        "Putin signed it.",  # too short to stand alone
        "Israel kills over 150 Palestinians in Gaza since ceasefire",  # no full stop: a heading
        "Zelensky has urged a coalition to intensify pressure on Moscow and…",  # a teaser
    ],
)
def test_opinion_questions_and_fragments_are_not_authorial_claims(sentence: str) -> None:
    assert _authorial(sentence) == []


def test_rules_version_hashes_every_rules_module() -> None:
    """A change to the rules, the actor rules or the word lists is a new model version."""
    import hashlib

    from annotate.preannotate.providers import (
        rules,
        rules_actors,
        rules_lexicon,
        rules_spans,
        rules_subjects,
    )

    digest = hashlib.sha256()
    for module in (rules, rules_lexicon, rules_actors, rules_spans, rules_subjects):
        digest.update(Path(str(module.__file__)).read_bytes())
    assert rules_version() == digest.hexdigest()[:12]
    modules = sorted(p.name for p in Path(str(rules.__file__)).parent.glob("rules*.py"))
    assert modules == [
        "rules.py",
        "rules_actors.py",
        "rules_lexicon.py",
        "rules_spans.py",
        "rules_subjects.py",
    ]
