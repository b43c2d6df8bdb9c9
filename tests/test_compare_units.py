"""Fact comparison's parts on small hand-made inputs: actors, candidates, facts, grounding."""

from __future__ import annotations

from annotate.compare.actors import ActorRegistry, name_key
from annotate.compare.candidates import ClaimText, candidate_pairs
from annotate.compare.claims import ComparedClaim, ComparedDocument, NamedActor, Outlet
from annotate.compare.facts import group_facts
from annotate.compare.judges.base import ground_values
from annotate.schemas import DifferingValues, Verdict


def _document(doc_id: str, actors: list[tuple[str, str, tuple[str, ...]]],
              speakers: tuple[str, ...] = ()) -> ComparedDocument:  # fmt: skip
    outlet = Outlet(doc_id, f"{doc_id}.txt", doc_id, None)
    document = ComparedDocument(outlet, "", "prediction", "test")
    document.actors = [NamedActor(name, kind, forms) for name, kind, forms in actors]
    document.claims = [
        ComparedClaim(outlet, 0, 1, "x", "x.", speaker, "indirect", ()) for speaker in speakers
    ]
    return document


def _registry(*documents: ComparedDocument) -> ActorRegistry:
    registry = ActorRegistry()
    for document in documents:
        registry.add(document)
    registry.link()
    return registry


def test_a_person_under_longer_and_shorter_names_is_one_actor() -> None:
    registry = _registry(
        _document("a", [("Raisi", "person", ("Raisi",))]),
        _document("b", [("Ebrahim Raisi", "person", ("Ebrahim Raisi", "Raisi"))]),
        _document("c", [("Sayyed Ebrahim Raisi", "person", ("Sayyed Ebrahim Raisi",))]),
        _document("d", [("Ebrahim Raisi", "person", ())], speakers=("President Raisi",)),
    )
    ids = {registry.actor_id(n) for n in
           ("Raisi", "Ebrahim Raisi", "Sayyed Ebrahim Raisi", "President Raisi")}  # fmt: skip
    assert len(ids) == 1
    assert registry.display("Raisi") == "Ebrahim Raisi"  # the name most documents use


def test_a_surname_two_people_share_stays_apart() -> None:
    registry = _registry(
        _document("a", [("Boris Johnson", "person", ())]),
        _document("b", [("Mike Johnson", "person", ())]),
        _document("c", [("Johnson", "person", ())]),
    )
    assert registry.actor_id("Boris Johnson") != registry.actor_id("Mike Johnson")
    assert registry.actor_id("Johnson") not in {
        registry.actor_id("Boris Johnson"), registry.actor_id("Mike Johnson")
    }


def test_a_capital_written_as_a_form_of_its_state_links_to_it() -> None:
    registry = _registry(
        _document("a", [("Russia", "country", ("Russia", "Moscow"))]),
        _document("b", [("Moscow", "country", ("Moscow",))]),
        _document("c", [("Russia", "country", ("Russia",))]),
    )
    assert registry.actor_id("Moscow") == registry.actor_id("Russia")
    assert registry.display("Moscow") == "Russia"


def test_spelling_variants_are_one_actor_but_different_people_are_not() -> None:
    registry = _registry(
        _document("a", [("Volodymyr Zelensky", "person", ())]),
        _document("b", [("Volodymyr Zelenskyy", "person", ())]),
        _document("c", [("Sergei Lavrov", "person", ())]),
        _document("d", [("Sergey Lavrov", "person", ())]),
        _document("e", [("Sergei Ivanov", "person", ())]),
    )
    assert registry.actor_id("Volodymyr Zelensky") == registry.actor_id("Volodymyr Zelenskyy")
    assert registry.actor_id("Sergei Lavrov") == registry.actor_id("Sergey Lavrov")
    assert registry.actor_id("Sergei Ivanov") != registry.actor_id("Sergei Lavrov")


def test_outlet_is_no_actor() -> None:
    registry = _registry(_document("a", [], speakers=("OUTLET",)))
    assert registry.actor_id("OUTLET") is None
    assert name_key("President Vladimir Putin's") == "vladimir putin"


def test_candidates_pair_only_other_documents_and_keep_at_most_k_each() -> None:
    claims = [
        ClaimText(0, "Russia sent 90,000 troops to the border with Ukraine.", frozenset()),
        ClaimText(1, "Russia has sent tens of thousands of troops to the Ukrainian border.",
                  frozenset()),
        ClaimText(0, "Russia sent troops to the border with Ukraine, officials said.",
                  frozenset()),
        ClaimText(2, "The central bank raised interest rates by half a point.", frozenset()),
    ] + [ClaimText(3 + i, f"Troops gathered near the border number {i}.", frozenset())
         for i in range(30)]  # fmt: skip
    pairs = candidate_pairs(claims, k=3)
    documents = [c.document for c in claims]
    assert all(documents[p.a] != documents[p.b] for p in pairs)
    assert any({p.a, p.b} == {0, 1} for p in pairs)
    assert not any(3 in (p.a, p.b) for p in pairs)  # nothing like the bank rate claim
    chosen: dict[int, int] = {}
    for p in pairs:
        chosen[p.a] = chosen.get(p.a, 0) + 1
        chosen[p.b] = chosen.get(p.b, 0) + 1
    assert len(pairs) <= 3 * len(claims)  # each claim adds at most k pairs


def test_average_linkage_does_not_chain_through_one_bridge() -> None:
    # 0-1 same, 1-2 same, 0-2 never linked: one bridge is not enough for three.
    groups = group_facts(3, [(0, 1, "same"), (1, 2, "same")])
    assert sorted(map(len, groups)) == [1, 2]
    # all three pairs the same: one fact
    assert group_facts(3, [(0, 1, "same"), (1, 2, "same"), (0, 2, "same")]) == [[0, 1, 2]]


def test_a_contradiction_keeps_two_groups_apart() -> None:
    links = [(0, 1, "same"), (2, 3, "same"), (0, 2, "same"), (1, 3, "same"), (1, 2, "same"),
             (0, 3, "contradicts")]  # fmt: skip
    groups = group_facts(4, links)
    assert len(groups) == 2 and [0, 3] not in groups
    assert all(not {0, 3} <= set(g) for g in groups)


def test_every_claim_is_in_exactly_one_fact() -> None:
    links = [(i, i + 1, "same") for i in range(0, 40, 2)] + [(1, 5, "elaborates")]
    groups = group_facts(45, links)
    assert sorted(i for g in groups for i in g) == list(range(45))


def test_values_are_copied_from_the_claims_or_dropped() -> None:
    values = DifferingValues(a="80  companies", b="ninety")
    verdict = Verdict(relation="contradicts", detail="number", values=values, rationale="r")
    grounded, dropped = ground_values(verdict, "80 Companies will go.", "Ninety companies will go.")
    assert grounded.values == DifferingValues(a="80 Companies", b="Ninety")
    assert dropped == 0
    invented = verdict.model_copy(update={"values": DifferingValues(a="80", b="95")})
    grounded, dropped = ground_values(invented, "80 companies", "90 companies")
    assert grounded.values is None and dropped == 1
    assert grounded.relation == "contradicts" and grounded.detail == "number"


def test_a_form_that_is_no_actors_name_links_to_its_one_actor() -> None:
    registry = _registry(
        _document("a", [("Georgia", "country", ("Georgia", "Tbilisi"))]),
        _document("b", [("Georgia", "country", ("Georgia",))]),
        _document("c", [("Russia", "country", ("Russia", "Moscow"))]),
    )
    assert registry.actor_id("Tbilisi") == registry.actor_id("Georgia")
    assert registry.actor_id("Yerevan") not in {registry.actor_id("Georgia"), None}


def test_no_claim_is_in_more_than_twenty_pairs() -> None:
    # one hub claim every other claim of other documents finds most similar
    hub = ClaimText(0, "Russia sent troops to the border with Ukraine.", frozenset())
    def word(i: int) -> str:  # a word of its own for each claim: "zaab", "zaac", ...
        return "z" + chr(97 + i // 26) + chr(97 + i % 26) + "x"

    others = [ClaimText(1 + i, f"Russia sent troops to the border with Ukraine {word(i)}.",
                        frozenset()) for i in range(60)]  # fmt: skip
    pairs = candidate_pairs([hub, *others], k=3)
    degree: dict[int, int] = {}
    for p in pairs:
        degree[p.a] = degree.get(p.a, 0) + 1
        degree[p.b] = degree.get(p.b, 0) + 1
    assert max(degree.values()) <= 20 and degree[0] == 20
