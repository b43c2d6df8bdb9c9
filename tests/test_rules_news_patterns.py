"""The rule-based annotator on the patterns news uses, in sentences written for these tests.

Issue 17: the rules were written against five seed articles; these cases are the
attribution patterns of ordinary news (say/tell/add/announce/deny/warn/according to,
before and after the content, quotes with the speaker after them, unnamed officials,
one-sentence reports, a short local story) and actors beyond the gazetteer (titled
names, organisations, groups). The last group of cases are things that are not claims.
Every sentence here is invented; none comes from a data set.
"""

from __future__ import annotations

import pytest

from annotate.preannotate.grounding import ground_extraction
from annotate.preannotate.providers.rules import extract_rules
from annotate.schemas import OUTLET, Claim, Extraction

TITLE = "A headline without a full stop\n\n"


def attributed(text: str) -> list[Claim]:
    return [c for c in extract_rules(text).claims if c.attribution != "authorial"]


def actor_types(extraction: Extraction) -> dict[str, str]:
    return {a.canonical_name: a.type for a in extraction.actors}


@pytest.mark.parametrize(
    ("sentence", "speaker", "quote"),
    [
        (
            "Maria Lopez said the shelter would stay open through the weekend.",
            "Maria Lopez",
            "the shelter would stay open through the weekend",
        ),
        (
            "The county clerk told reporters that 1,200 ballots had been counted by noon.",
            "county clerk",
            "1,200 ballots had been counted by noon",
        ),
        (
            "The mill will close in March, the company announced on Thursday.",
            "company",
            "The mill will close in March",
        ),
        (
            "The water supply is safe to drink, according to the city health department.",
            "city health department",
            "The water supply is safe to drink",
        ),
        (
            "According to Dr. Helen Ortiz, the vaccine supply will last until June.",
            "Helen Ortiz",
            "the vaccine supply will last until June",
        ),
        (
            "Gov. Paul Brenner warned that the storm could cut power to thousands of homes.",
            "Paul Brenner",
            "the storm could cut power to thousands of homes",
        ),
        (
            "The ministry denied that any prisoners had been moved to the northern camp.",
            "ministry",
            "any prisoners had been moved to the northern camp",
        ),
        (
            "Officials said the bridge had been inspected twice since the spring.",
            "officials",
            "the bridge had been inspected twice since the spring",
        ),
        (
            "The road was closed for six hours after the crash, state police said.",
            "state police",
            "The road was closed for six hours after the crash",
        ),
        (
            "Witnesses told investigators the truck was speeding before it overturned.",
            "witnesses",
            "the truck was speeding before it overturned",
        ),
        (
            "Sen. Laura Kim, a Democrat from Oregon, said the bill would lower drug prices.",
            "Laura Kim",
            "the bill would lower drug prices",
        ),
        (
            "The Federal Aviation Administration said the runway would reopen on Monday.",
            "Federal Aviation Administration",
            "the runway would reopen on Monday",
        ),
    ],
)
def test_reported_speech_before_and_after_the_content(
    sentence: str, speaker: str, quote: str
) -> None:
    (claim,) = attributed(TITLE + sentence)
    assert (claim.speaker, claim.quote, claim.attribution) == (speaker, quote, "indirect")


@pytest.mark.parametrize(
    ("sentence", "speaker", "cue"),
    [
        (
            '"We have never seen the river this high," said Tom Avery, a farmer.',
            "Tom Avery",
            "said",
        ),
        ('"The plant will reopen once repairs are done," the spokeswoman said.', None, "said"),
        ('"Nobody was hurt in the fire," Chief Ana Ruiz told reporters.', "Ana Ruiz", "told"),
        ('"Prices will keep rising this winter," analysts warned.', "analysts", "warned"),
        ('Mayor Dan Hale added: "We will rebuild every house that was lost."', "Dan Hale", "added"),
    ],
)
def test_direct_quotes_with_the_speaker_before_or_after(
    sentence: str, speaker: str | None, cue: str
) -> None:
    text = TITLE + "Mayor Dan Hale visited the flooded streets on Friday evening.\n\n" + sentence
    (claim,) = attributed(text)
    assert claim.attribution == "direct" and claim.cue == cue
    # "the spokeswoman" stands for the last person named: Dan Hale in the first paragraph
    assert claim.speaker == (speaker or "Dan Hale")


def test_a_quotation_interrupted_by_its_cue_is_one_claim() -> None:
    text = TITLE + '"The water came in fast," Ella Novak said. "We lost everything downstairs."'
    (claim,) = attributed(text)
    assert claim.speaker == "Ella Novak" and claim.attribution == "direct"
    assert claim.quote.startswith("The water came in fast") and claim.quote.endswith("downstairs.")
    assert "said" not in claim.proposition
    assert claim.proposition == "The water came in fast We lost everything downstairs."


@pytest.mark.parametrize("title", ["", "Blast at market injures 12\n\n"])
def test_a_one_sentence_report_has_one_claim_and_one_actor(title: str) -> None:
    text = title + "An official said 12 people were injured in a blast at a market on Sunday."
    extraction = extract_rules(text)
    (claim,) = extraction.claims
    assert claim.quote == "12 people were injured in a blast at a market on Sunday"
    assert claim.attribution == "indirect" and claim.cue == "said"
    assert claim.speaker == "official"
    assert actor_types(extraction) == {"official": "group"}
    assert ground_extraction(text, extraction).hallucinations == []


FLOOD_STORY = """River floods homes in Millbrook

Heavy rain pushed the Alder River over its banks on Tuesday, flooding about 40 homes in Millbrook.

"We had water up to the windows within an hour," said Rosa Delgado, who lives on Front Street.

Rescuers used boats to reach residents trapped on upper floors, officials said.

The county emergency management agency said no injuries had been reported.

"The river rose faster than anyone expected," Fire Chief Tom Reilly said. "Our crews worked \
through the night."

Police said Route 9 would remain closed until the water recedes.
"""


def test_a_short_local_flood_story() -> None:
    extraction = extract_rules(FLOOD_STORY)
    found = {(c.speaker, c.attribution, c.quote.split()[0]) for c in extraction.claims}
    assert found == {
        (OUTLET, "authorial", "Heavy"),
        ("Rosa Delgado", "direct", "We"),
        ("officials", "indirect", "Rescuers"),
        ("county emergency management agency", "indirect", "no"),
        ("Tom Reilly", "direct", "The"),
        ("police", "indirect", "Route"),
    }
    types = actor_types(extraction)
    assert types["Rosa Delgado"] == types["Tom Reilly"] == "person"
    assert types["officials"] == types["police"] == "group"
    grounded = ground_extraction(FLOOD_STORY, extraction)
    assert grounded.hallucinations == [] and set(grounded.methods) == {"exact"}


def test_a_surname_alone_is_the_person_named_before() -> None:
    text = TITLE + (
        "Mark Feld, the school's principal, said classes would resume on Monday. "
        "Feld added that buses would run on the usual routes."
    )
    extraction = extract_rules(text)
    assert {c.speaker for c in extraction.claims} == {"Mark Feld"}
    (actor,) = extraction.actors
    assert actor.canonical_name == "Mark Feld" and "Feld" in actor.mentions


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("The Interior Ministry said two soldiers were killed in the attack.", "organization"),
        ("The FBI said the suspect had no prior record.", "organization"),
        ("Kings County Fire Department said the blaze started in a kitchen.", "organization"),
        ("Paramedics said the driver was taken to a hospital in stable condition.", "group"),
    ],
)
def test_organisations_and_groups_as_speakers(text: str, kind: str) -> None:
    extraction = extract_rules(TITLE + text)
    (claim,) = extraction.claims
    assert actor_types(extraction)[claim.speaker] == kind


@pytest.mark.parametrize(
    "sentence",
    [
        'The mayor called the plan a "fiscal time bomb" at the meeting.',  # scare quote
        'Her novel, "The Long Road Home to the Valley," came out in May.',  # title of a work
        'Ruth Owens said her new book, "A House Beside the River," was finished.',
        'Residents asked, "When will the water finally go down?"',  # a question
        "Will the council approve the budget before the deadline?",
        "If the council rejects the plan, the city will have to cut services next year.",
    ],
)
def test_scare_quotes_titles_questions_and_hypotheticals_are_not_claims(sentence: str) -> None:
    quotes = [c.quote for c in extract_rules(TITLE + sentence).claims]
    assert not any(q.startswith(("fiscal", "The Long", "A House", "When")) for q in quotes)
    assert not any(q.startswith(("Will", "If")) for q in quotes)


def test_a_cue_used_as_a_noun_is_not_a_cue() -> None:
    text = TITLE + "Early reports of a gas leak near the station turned out to be false alarms."
    assert attributed(text) == []


def test_a_quotation_goes_on_in_the_next_paragraph_without_a_cue() -> None:
    text = TITLE + (
        '"The new line will open in April," Nora Blake said.\n\n'
        '"After that, trains will run every ten minutes."\n\n'
        '"Fares stay the same," she added.'
    )
    first, second = attributed(text)
    assert first.speaker == "Nora Blake" and first.attribution == "direct"
    assert first.quote.startswith("The new line") and first.quote.endswith("every ten minutes.")
    assert second.quote.startswith("Fares stay the same")


def test_a_long_description_between_two_parts_of_a_quotation() -> None:
    text = TITLE + (
        '"The harbor is busier than ever," said Carl Menke, a pilot who has guided ships '
        'into the port of Eastfield for more than twenty years. "We need a second channel."'
    )
    (claim,) = attributed(text)
    assert claim.speaker == "Carl Menke"
    assert claim.quote.startswith("The harbor") and claim.quote.endswith("second channel.")


@pytest.mark.parametrize(
    ("sentence", "speaker", "quote"),
    [
        (
            "Still, Ida Marsh, a senior adviser to Mr. Cole, said on Tuesday that the team "
            "would not change its plans.",
            "Ida Marsh",
            "the team would not change its plans",
        ),
        (
            "State Senator Owen Price, who also sits on the water board of Eastfield, said "
            "the reservoir was half full.",
            "Owen Price",
            "the reservoir was half full",
        ),
    ],
)
def test_a_named_speaker_with_a_description_between_commas(
    sentence: str, speaker: str, quote: str
) -> None:
    (claim,) = attributed(TITLE + sentence)
    assert (claim.speaker, claim.quote) == (speaker, quote)


def test_a_quotation_in_title_case_with_its_cue_after_is_a_claim() -> None:
    (claim,) = attributed(TITLE + '"I\'m a big fan of Ruth Owens," Dale Kerr said.')
    assert claim.speaker == "Dale Kerr" and claim.quote.startswith("I'm a big fan")


@pytest.mark.parametrize(
    ("sentence", "speaker", "quote"),
    [
        (
            "Though she rarely speaks on trade, Gov. Ada Stone promised to veto the tariff bill.",
            "Ada Stone",
            "to veto the tariff bill",
        ),
        (
            "The main worries of the town, residents said, are rising rents and closed shops.",
            "residents",
            "The main worries of the town, residents said, are rising rents and closed shops",
        ),
        (
            "The harbor, Chief Ana Ruiz cautioned, would flood again within a few years.",
            "Ana Ruiz",
            "The harbor, Chief Ana Ruiz cautioned, would flood again within a few years",
        ),
    ],
)
def test_infinitives_and_cues_set_between_commas(sentence: str, speaker: str, quote: str) -> None:
    (claim,) = attributed(TITLE + sentence)
    assert (claim.speaker, claim.quote) == (speaker, quote)
    assert "said" not in claim.proposition and "cautioned" not in claim.proposition


def test_the_same_speaker_says_again_after_and() -> None:
    text = TITLE + "Ida Marsh says the plant is safe and says the new filters work well."
    first, second = attributed(text)
    assert first.speaker == second.speaker == "Ida Marsh"
    assert second.quote == "the new filters work well"


@pytest.mark.parametrize(
    ("sentence", "speaker", "quote"),
    [
        (
            "After a long meeting, Mayor Ann Cole signed the budget, saying the cuts were painful.",
            "Ann Cole",
            "the cuts were painful",
        ),
        (
            "Nina Ortiz, who chairs the panel, toured the plant and later argued that it was safe.",
            "Nina Ortiz",
            "it was safe",
        ),
        (
            "Instead, the inspectors have insisted that the dam needs new gates before winter.",
            "inspectors",
            "the dam needs new gates before winter",
        ),
        (
            "Last year, at least 12,000 residents said they had lost power for a week.",
            "residents",
            "they had lost power for a week",
        ),
        (
            "Paul Grant, who owns the ferry, has vowed to keep it running all winter.",
            "Paul Grant",
            "to keep it running all winter",
        ),
    ],
)
def test_speakers_found_past_openings_and_descriptions(
    sentence: str, speaker: str, quote: str
) -> None:
    (claim,) = attributed(TITLE + sentence)
    assert (claim.speaker, claim.quote) == (speaker, quote)


def test_a_quoted_question_with_its_speaker_after_is_a_claim_not_check_worthy() -> None:
    text = TITLE + '"Who pays for the new bridge?" Dana Webb asked. "Not the county, I hope."'
    (claim,) = attributed(text)
    assert claim.speaker == "Dana Webb" and claim.attribution == "direct"
    assert claim.quote.startswith("Who pays") and claim.check_worthy is False


def test_a_long_subject_without_a_comma_before_a_speech_cue() -> None:
    text = TITLE + (
        "Many of the local farmers who had brought their crops to the new market on Saturday said "
        "the prices there were too low."
    )
    (claim,) = attributed(text)
    assert claim.quote == "the prices there were too low"


def test_a_paragraph_opened_by_its_speakers_name_and_a_colon() -> None:
    text = TITLE + (
        "Q: What will the council do about the flooded park?\n\n"
        "MARTA LINDQVIST: We will rebuild the paths and plant new trees by the autumn.\n"
    )
    (claim,) = attributed(text)
    assert claim.speaker == "MARTA LINDQVIST"
    assert claim.quote == "We will rebuild the paths and plant new trees by the autumn."


def test_made_clear_is_a_cue() -> None:
    (claim,) = attributed(TITLE + "The governor made clear that no new taxes would be raised.")
    assert claim.cue == "made clear" and claim.quote == "no new taxes would be raised"


def test_a_headline_kept_with_its_full_stop_reports_in_title_case() -> None:
    text = (
        "Mayor Ann Cole Says The Old Bridge Will Close In May.\n\nThe city council met on Monday."
    )
    (claim,) = attributed(text)
    assert claim.speaker == "Ann Cole" and claim.quote == "The Old Bridge Will Close In May"


def test_a_progressive_cue_is_not_a_passive() -> None:
    (claim,) = attributed(TITLE + "Ida Marsh was hoping the new ferry would start in June.")
    assert claim.speaker == "Ida Marsh" and claim.quote == "the new ferry would start in June"


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("Recent polls show the mayor trailing her rival by six points.", "Recent polls"),
        ('In its annual report, the author wrote, "The harbor has never been busier."', "author"),
    ],
)
def test_documents_and_described_writers_as_speakers(sentence: str, speaker: str) -> None:
    (claim,) = attributed(TITLE + sentence)
    assert claim.speaker == speaker


def test_a_belief_inside_reported_speech_is_part_of_it() -> None:
    text = TITLE + "Ida Marsh said she believes the ferry will be back in service by June."
    (claim,) = attributed(text)
    assert (
        claim.cue == "said"
        and claim.quote == "she believes the ferry will be back in service by June"
    )


def test_speech_inside_reported_speech_is_a_claim_of_its_own() -> None:
    text = TITLE + "Ida Marsh said the captain told her the ferry would sail at noon."
    outer, inner = attributed(text)
    assert (outer.cue, inner.cue) == ("said", "told")
    assert inner.quote == "the ferry would sail at noon"


def test_a_participle_cue_after_the_main_clause() -> None:
    text = (
        TITLE + "Mayor Ann Cole spoke at the harbor on Monday, vowing to rebuild the pier by May."
    )
    (claim,) = attributed(text)
    assert (claim.speaker, claim.cue, claim.quote) == (
        "Ann Cole",
        "vowing",
        "to rebuild the pier by May",
    )
