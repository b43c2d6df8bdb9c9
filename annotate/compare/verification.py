"""How far people verified a comparison: their verdicts in place of the judge's, and status.

`annotate pull --comparisons` stores people's answers on claim pairs and the gold
pass adjudicates them (`store.verification.verified`). In a comparison, a pair people
verified is linked by their verdict, not the judge's, and every fact and
contradiction says how far it was checked: **verified**, **contested** (the
annotators disagree) or **unverified** (nobody checked it). A verdict whose vote tied
stays contested and says so (``resolution``: "waiting for review") until a reviewer
settles it (``resolution``: "review", verified).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from annotate.schemas import DifferingValues, Verdict
from annotate.store import ClaimPair, VerifiedVerdict

VERIFIED, CONTESTED, UNVERIFIED = "verified", "contested", "unverified"
#: (claim index, claim index, verdict): a judged pair as the facts are made of it
Link = tuple[int, int, Verdict]
#: (claim index, claim index) -> people's verdict on that pair (its status and resolution)
Statuses = dict[tuple[int, int], VerifiedVerdict]


def status_of(record: VerifiedVerdict | None) -> str:
    """How far people verified a pair: its record's status, or unverified without one."""
    return UNVERIFIED if record is None else record.status


def people_verdict(
    people: dict[str, VerifiedVerdict], pair: ClaimPair
) -> tuple[Verdict, VerifiedVerdict] | None:
    """The verdict people gave `pair`, oriented as `pair` (A, B), with its record; or None."""
    found = people.get(pair.key)
    if found is not None:
        return Verdict.model_validate_json(found.verdict), found
    found = people.get(pair.flipped.key)
    if found is None:
        return None
    verdict = Verdict.model_validate_json(found.verdict)
    if verdict.values is not None:  # asked the other way round: B's words are A's here
        flipped = DifferingValues(a=verdict.values.b, b=verdict.values.a)
        verdict = verdict.model_copy(update={"values": flipped})
    return verdict, found


def fact_statuses(
    groups: list[list[int]], links: list[Link], statuses: Statuses, judged: list[tuple[int, int]]
) -> list[str]:
    """How far people verified each group of claims (a fact), in `groups` order.

    A fact of several claims is contested when a link between its claims is;
    verified when each of its claims is joined to another by a verified link.
    A single-claim fact (only one outlet says it) is contested when one of its
    pairs is, verified when people checked every pair it was in.
    """
    group_of = {claim: number for number, group in enumerate(groups) for claim in group}
    inside: dict[int, list[tuple[int, int, str]]] = {}
    touched: dict[int, list[str]] = {}
    for i, j, _ in links:
        status = status_of(statuses.get((i, j)))
        if group_of[i] == group_of[j]:
            inside.setdefault(group_of[i], []).append((i, j, status))
    for (i, j), record in statuses.items():
        touched.setdefault(i, []).append(record.status)
        touched.setdefault(j, []).append(record.status)
    pairs_of = Counter(claim for pair in judged for claim in pair) if touched else Counter()
    return [
        _group_status(group, inside.get(number, []), touched, pairs_of)
        for number, group in enumerate(groups)
    ]


def _group_status(group: list[int], inside: list[tuple[int, int, str]],
                  touched: dict[int, list[str]], pairs_of: Counter[int]) -> str:  # fmt: skip
    if len(group) == 1:
        checked = touched.get(group[0], [])
        if CONTESTED in checked:
            return CONTESTED
        return VERIFIED if checked and len(checked) == pairs_of[group[0]] else UNVERIFIED
    if any(status == CONTESTED for _, _, status in inside):
        return CONTESTED
    joined = {c for i, j, status in inside if status == VERIFIED for c in (i, j)}
    return VERIFIED if joined.issuperset(group) else UNVERIFIED


def people_json(verdict: Verdict, record: VerifiedVerdict) -> dict[str, Any]:
    values = verdict.values
    return {
        "status": record.status,
        "method": record.method,
        "relation": verdict.relation,
        "detail": verdict.detail,
        "values": {"a": values.a, "b": values.b} if values else None,
        "annotators": sorted(record.answers),
        "tie": record.tie,
        "resolution": record.resolution,
    }
