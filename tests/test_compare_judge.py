"""The rules judge on hand-made pairs: same facts, contradictions by detail, and its traps."""

from __future__ import annotations

from datetime import date

import pytest

from annotate.compare.claims import ComparedClaim, Outlet
from annotate.compare.judges.base import Pair, ground_values
from annotate.compare.judges.rules import RulesJudge
from annotate.compare.text import content_words
from annotate.schemas import OUTLET, Verdict

#: A tiny cross-document actor map, as the registry would give it.
ACTORS = {"paris": "france", "france": "france", "berlin": "germany", "germany": "germany",
          "moscow": "russia", "russia": "russia", "tehran": "iran", "iran": "iran",
          "vladimir putin": "vladimir putin", "putin": "vladimir putin"}  # fmt: skip


def _actor(name: str) -> str:
    return ACTORS.get(name.lower(), name.lower())


def _claim(doc: str, quote: str, speaker: str = OUTLET, mentioned: tuple[str, ...] = (),
           published: date | None = None) -> ComparedClaim:  # fmt: skip
    outlet = Outlet(doc, f"{doc}.txt", doc, published)
    return ComparedClaim(outlet, 0, len(quote), quote, quote, speaker, "authorial", mentioned)


def _pair(a: ComparedClaim, b: ComparedClaim, similarity: float = 0.6,
          mutual: bool = True) -> Pair:  # fmt: skip
    ids_a = frozenset(_actor(n) for n in (*a.mentioned, a.speaker) if n != OUTLET)
    ids_b = frozenset(_actor(n) for n in (*b.mentioned, b.speaker) if n != OUTLET)
    return Pair(a, b, similarity, ids_a, ids_b, mutual)


def judged(a: str, b: str, **options: object) -> tuple[str, str | None, tuple[str, str] | None]:
    """(relation, detail, values) of the rules judge on two authorial claims."""
    pair = _pair(_claim("a", a, mentioned=options.pop("a_mentions", ())),  # type: ignore[arg-type]
                 _claim("b", b, mentioned=options.pop("b_mentions", ())),  # type: ignore[arg-type]
                 **options)  # type: ignore[arg-type]  # fmt: skip
    verdict, dropped = ground_values(RulesJudge(_actor).judge(pair), a, b)
    assert dropped == 0, "the rules judge copies its values from the claims"
    values = (verdict.values.a, verdict.values.b) if verdict.values else None
    return verdict.relation, verdict.detail, values


def test_same_fact_in_other_words_is_same() -> None:
    relation, _, _ = judged(
        "Russia sent more than 90,000 troops to the border with Ukraine last month.",
        "More than 90,000 Russian troops were sent to the Ukrainian border last month.",
    )
    assert relation == "same"


def test_a_different_count_of_the_same_thing_contradicts_on_the_number() -> None:
    assert judged(
        "80 Russian companies will send their representatives to Iran next week.",
        "Some 120 Russian companies will send their representatives to Iran next week.",
        similarity=0.7,
    ) == ("contradicts", "number", ("80", "Some 120"))
    # "some 95" admits 85-105: rounding reconciles it with 80 (within 10%)
    relation, _, _ = judged(
        "80 Russian companies will send their representatives to Iran next week.",
        "Some 95 Russian companies will send their representatives to Iran next week.",
    )
    assert relation == "same"


def test_rounded_and_bounded_figures_agree() -> None:
    relation, _, _ = judged(
        "Russia has gathered more than 90,000 troops near the border with Ukraine.",
        "Russia has gathered tens of thousands of troops near the border with Ukraine.",
    )
    assert relation == "same"


def test_different_numbers_about_different_subjects_are_no_contradiction() -> None:
    relation, detail, _ = judged(
        "100 people were working at the plant when the fire started.",
        "100 people were injured when the fire started at the plant.",
    )
    assert relation != "contradicts", detail
    relation, _, _ = judged(
        "The army lost 300 tanks in the spring offensive.",
        "The central bank sold 500 tonnes of gold reserves.",
        similarity=0.2,
    )
    assert relation == "unrelated"


def test_a_later_figure_at_a_later_date_is_an_update() -> None:
    relation, _, _ = judged(
        "On Monday, the death toll from the earthquake rose to 300 people.",
        "On Wednesday, the death toll from the earthquake rose to 450 people.",
    )
    assert relation != "contradicts"


def test_the_same_role_filled_by_different_actors_contradicts_on_the_actor() -> None:
    relation, detail, values = judged(
        "The talks were requested by Paris after the border incident.",
        "Berlin asked for the talks after the border incident.",
        a_mentions=("Paris",), b_mentions=("Berlin",), similarity=0.45,
    )  # fmt: skip
    assert (relation, detail) == ("contradicts", "actor")
    assert values == ("Paris", "Berlin")


def test_who_initiated_a_call_is_compared_through_linked_actors() -> None:
    relation, detail, _ = judged(
        "The phone call was initiated by Tehran.",
        "The phone call was initiated by Moscow.",
    )
    assert (relation, detail) == ("contradicts", "actor")
    relation, _, _ = judged(
        "The phone call was initiated by Tehran.",
        "The phone call was initiated by Iran.",
    )
    assert relation == "same"


def test_one_negating_what_the_other_asserts_contradicts_on_polarity() -> None:
    relation, detail, values = judged(
        "NATO will expand further east into Ukraine, the alliance said.",
        "NATO will not expand further east into Ukraine, the alliance said.",
    )
    assert (relation, detail) == ("contradicts", "polarity")
    assert values == ("expand", "not expand")


def test_a_paraphrase_is_not_a_negation() -> None:
    relation, detail, _ = judged(
        "we will insist on agreements that exclude NATO's rapprochement with the East",
        "guarantees that NATO will not expand further east",
        similarity=0.3,
    )
    assert relation != "contradicts", detail


def test_the_same_event_on_different_days_contradicts_on_the_date() -> None:
    relation, detail, values = judged(
        "Putin signed the decree recognising the two republics on Monday.",
        "Putin signed the decree recognising the two republics on Tuesday.",
    )
    assert (relation, detail) == ("contradicts", "date")
    assert values == ("on Monday", "on Tuesday") or values == ("Monday", "Tuesday")


def test_different_events_are_unrelated_however_alike() -> None:
    relation, _, _ = judged(
        "Raisi made the remarks in a phone call with Putin on Thursday.",
        "Putin made the remarks in a meeting with Raisi on Thursday in Uzbekistan.",
    )
    assert relation == "unrelated"


def test_a_claim_holding_another_and_much_more_elaborates_it() -> None:
    relation, _, _ = judged(
        "Iran joined the Shanghai Cooperation Organization.",
        "Iran joined the Shanghai Cooperation Organization at the summit in Samarkand, where "
        "leaders also agreed new trade corridors, energy projects and security exercises.",
        similarity=0.35, a_mentions=("Iran",), b_mentions=("Iran",),
    )  # fmt: skip
    assert relation == "elaborates"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Our relations are not ordinary but are strategic.", "Bilateral trade rose by 81%."),
        ("The weather was fine.", "Markets fell sharply on Friday."),
    ],
)
def test_claims_about_different_things_are_unrelated(a: str, b: str) -> None:
    assert judged(a, b, similarity=0.15, mutual=False)[0] == "unrelated"


def test_the_judge_reads_each_claim_once() -> None:
    judge = RulesJudge(_actor)
    a = _claim("a", "80 Russian companies will send representatives to Iran next week.")
    others = [_claim(f"d{i}", f"{80 + i} Russian companies will send representatives to Iran "
                     "next week.") for i in range(5)]  # fmt: skip
    verdicts = list(judge.judge_all([_pair(a, other) for other in others]))
    assert len(verdicts) == 5 and len(judge._features) == 6
    assert content_words("The U.S. and the EU said")[:2] == ["usa", "eu"]


def test_another_figure_beside_an_agreeing_one_is_no_contradiction() -> None:
    relation, detail, _ = judged(
        "Trade between Tehran and Moscow rose by 81% last year.",
        "Trade between Tehran and Moscow rose by 81% last year and by 30% in the first "
        "5 months of this year.",
    )
    assert relation != "contradicts", detail


def test_coordinated_agents_in_active_and_passive_agree() -> None:
    relation, detail, _ = judged(
        "Germany and Ghana signed an agreement on cocoa exports in Accra.",
        "An agreement on cocoa exports was signed by Germany and Ghana in Accra.",
    )
    assert relation == "same", detail


def test_claims_about_different_actors_are_no_number_contradiction() -> None:
    relation, _, _ = judged(
        "Stratos Shipping plans to shed 77 workers in Gothenburg.",
        "Aldane Telecom plans to shed 49 workers in Tromso.",
        a_mentions=("Stratos Shipping",), b_mentions=("Aldane Telecom",),
    )  # fmt: skip
    assert relation == "unrelated"


# -- one quantity, one event: what tells two alike claims apart (issue 17, part 3) --------


@pytest.mark.parametrize(("a", "b", "why"), [
    ("A tornado hit Dunmore injuring 31 residents.",
     "A tornado struck Kessling and injured 8 residents.", "different subjects"),
    ("The ferry strike stranded 900 travellers in Portwick, the union said.",
     "The ferry strike stranded 4,000 travellers nationwide, the union said.", "a part"),
    ("The board approved 45 new teachers for the east of the district.",
     "The board approved 12 new teachers for the west of the district.", "groups"),
    ("Some 58% of members backed the merger, the vote count showed.",
     "Some 42% of members rejected the merger, the vote count showed.", "complements"),
])  # fmt: skip
def test_figures_of_different_things_are_no_contradiction_and_the_rationale_says_why(
    a: str, b: str, why: str
) -> None:
    pair = _pair(_claim("a", a), _claim("b", b))
    verdict = RulesJudge(_actor).judge(pair)
    assert verdict.relation != "contradicts", verdict.rationale
    assert why in verdict.rationale


def test_a_contradiction_names_what_is_the_same_and_what_differs() -> None:
    pair = _pair(_claim("a", "The flood killed 14 people in Varden on Sunday."),
                 _claim("b", "The flood killed 22 people in Varden on Sunday."))  # fmt: skip
    verdict = RulesJudge(_actor).judge(pair)
    assert (verdict.relation, verdict.detail) == ("contradicts", "number")
    assert verdict.rationale.startswith("Same quantity (")
    assert "flood" in verdict.rationale and "'14' / '22'" in verdict.rationale


def test_a_role_filled_at_two_places_is_two_events_not_an_actor_contradiction() -> None:
    relation, detail, _ = judged(
        "The trade fair in Lisbon was organised by Ghana.",
        "The trade fair in Oslo was organised by Peru.",
        a_mentions=("Ghana", "Lisbon"), b_mentions=("Peru", "Oslo"),
    )  # fmt: skip
    assert relation != "contradicts", detail


def test_the_first_and_the_second_of_one_kind_are_two_events_not_a_date_contradiction() -> None:
    relation, _, _ = judged(
        "The first vaccine plant opened in 2019.", "The second vaccine plant opened in 2021."
    )
    assert relation != "contradicts"


def test_a_negation_both_make_is_no_contradiction_wherever_it_is() -> None:
    relation, _, _ = judged(
        "The council approved the plan, though the new rules won't change parking fees.",
        "The new rules won't change parking fees, the council said.",
    )
    assert relation != "contradicts"


# -- related, not only identical: "elaborates" (issue 17, part 4) -------------------------

_STORY = (
    "Mayor Ines Varga said the new bridge will open to traffic in the spring.",
    "Varga added that the bridge cost the city more than expected.",
)


def _story(day_a: date | None, day_b: date | None, similarity: float = 0.1) -> Verdict:
    pair = _pair(
        _claim("a", _STORY[0], mentioned=("Ines Varga",), published=day_a),
        _claim("b", _STORY[1], mentioned=("Varga",), published=day_b),
        similarity=similarity, mutual=False,
    )  # fmt: skip
    return RulesJudge(_actor).judge(pair)


def test_two_facts_of_one_event_in_one_story_elaborate_each_other() -> None:
    verdict = _story(date(2024, 5, 2), date(2024, 5, 3))
    assert verdict.relation == "elaborates"
    assert "bridge" in verdict.rationale  # what the claims are both about


def test_claims_not_known_to_be_one_story_are_not_widened() -> None:
    """Undated articles (the seeds) name the same actors across years; reports ten days
    apart are two stories."""
    assert _story(None, None).relation == "unrelated"
    assert _story(date(2024, 5, 2), date(2024, 5, 12)).relation == "unrelated"


def test_a_shared_weekday_relates_nothing() -> None:
    pair = _pair(
        _claim("a", "The storm killed 12 people in Marlow County on Tuesday.",
               published=date(2024, 3, 14)),
        _claim("b", "The state's football team won its opening game on Tuesday.",
               published=date(2024, 3, 14)),
        similarity=0.2, mutual=False,
    )  # fmt: skip
    assert RulesJudge(_actor).judge(pair).relation == "unrelated"


def test_a_reason_names_the_shared_words_as_written() -> None:
    """An editor reads the reason: the words both claims share as the claim writes them
    ("companies", "representatives"), never the stems the rules compare ("compani")."""
    said = "Russian companies will send their representatives to Iran."
    pair = _pair(_claim("a", f"80 {said}"), _claim("b", f"90 {said}"))
    verdict = RulesJudge(_actor).judge(pair)
    assert (verdict.relation, verdict.detail) == ("contradicts", "number")
    assert "companies" in verdict.rationale and "representatives" in verdict.rationale
    assert "compani," not in verdict.rationale and "representativ," not in verdict.rationale
