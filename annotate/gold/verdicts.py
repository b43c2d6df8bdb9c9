"""People's verdicts on claim pairs: adjudicated like the gold, measured like its fields.

Each annotator's latest answer on a pair (`annotate pull --comparisons`; skips
and answers that did not convert are left out) takes part. The adjudication
follows the gold's policies (`adjudicate`): with ``auto``, a **reviewer**'s
verdict (``--reviewer``, or an answer flagged as ground truth) wins; else the
**majority** of the annotators' relations; else the **single** answer. An exact
tie (on the relation, or on a contradiction's detail) is flagged and never settled
by who answered: the least of the tied answers (by value) stands in, and the pair
stays contested and **waits for review** (``annotate push --review`` sends it to a
reviewer, ``pull --review`` brings the answer back); the pair's latest valid review
then is its verdict (method ``review``, verified), the tie resolved. A contradiction's
detail is the majority among those who chose "contradicts"; its values and
the rationale are those of the first annotator (by name) whose answer matches
the adjudicated relation and detail.

A pair's verdict is **verified** when its annotators agree (on the relation,
and for a contradiction on the detail), or a reviewer or a single annotator
gave it; **contested** when they disagree (the vote still decides). The
adjudicated verdicts are kept in the store, where `annotate compare` finds them
(people's verdicts win over the judge's) and `compare --eval` scores the judge.

Agreement: ``relation`` (one unit per pair answered by two annotators or more)
and ``detail`` (one unit per pair that two or more called a contradiction) are
categorical fields with the same coefficients and intervals as the
annotations' (`agreement.categorical_scores`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from annotate.codec import verdicts as V
from annotate.schemas import Verdict
from annotate.store import WAITING_FOR_REVIEW, PulledVerdict, Store, VerifiedVerdict

from . import coefficients as C
from .adjudicate import Policy, decided_by, vote
from .agreement import RESAMPLES, categorical_scores
from .matching import clean


def keep_verified_verdicts(
    store: Store, *, policy: Policy = "auto", reviewers: Sequence[str] = ()
) -> VerdictSummary | None:
    """Adjudicate every answered pair and keep the verdicts; what their agreement report needs.

    None when no comparison was answered (nothing kept, nothing to report).
    The summary's `report` computes the coefficients (with their bootstrap),
    only for the callers that show them.
    """
    if not store.verification.has_pulled():
        return None
    summary = VerdictSummary(policy)
    kept: list[VerifiedVerdict] = []
    reviews = store.pair_reviews.latest()
    for answers in store.verification.iter_pulled():
        review = reviews.get(answers[0].pair.key)
        verified = adjudicate_pair(answers, policy=policy, reviewers=reviewers,
                                   review=None if review is None else
                                   Verdict.model_validate_json(review))  # fmt: skip
        summary.add(answers, verified)
        if verified is not None:
            kept.append(verified)
    store.verification.replace_verified(kept)
    return summary


def latest_answers(answers: Iterable[PulledVerdict]) -> dict[str, PulledVerdict]:
    """Annotator -> their latest answer that is a verdict (not a skip, converted)."""
    latest: dict[str, PulledVerdict] = {}
    for answer in answers:  # ordered by annotator, then time
        if answer.verdict is not None and not answer.was_cancelled:
            latest[answer.annotator] = answer
    return latest


def adjudicate_pair(
    answers: Sequence[PulledVerdict],
    *,
    policy: Policy = "auto",
    reviewers: Sequence[str] = (),
    review: Verdict | None = None,
) -> VerifiedVerdict | None:
    """The verdict people gave one pair, by `policy`; None when nobody gave one.

    `review` is a reviewer's answer to the pair's review of ties: it is the verdict
    when the vote tied (method ``review``), and is ignored otherwise.
    """
    latest = latest_answers(answers)
    if not latest:
        return None
    verdicts = {who: Verdict.model_validate_json(a.verdict or "") for who, a in latest.items()}
    names = sorted(verdicts)
    relations = {who: verdicts[who].relation for who in names}
    task_ids = sorted({a.task_id for a in answers})
    judges = {who for who in names if who in reviewers or latest[who].ground_truth}
    method, chosen = decided_by(names, judges, policy)
    if chosen is not None:
        return _verified(latest, verdicts[chosen], "verified", method, relations, task_ids)
    relation, tie = _vote({who: verdicts[who].relation for who in names})
    detail: str | None = None
    if relation == "contradicts":
        detail, detail_tie = _vote({who: verdicts[who].detail for who in names
                                    if verdicts[who].relation == relation})  # fmt: skip
        tie = tie or detail_tie
    if tie and review is not None:
        return _verified(latest, review, "verified", "review", relations, task_ids, tie)
    decided = (relation, detail)
    chosen = next(v for who in names if ((v := verdicts[who]).relation, v.detail) == decided)
    agreed = len({(v.relation, v.detail) for v in verdicts.values()}) == 1
    status = "verified" if agreed else "contested"
    return _verified(latest, chosen, status, "majority", relations, task_ids, tie)


def _vote(values: dict[str, Any]) -> tuple[Any, bool]:
    """The annotators' vote (`adjudicate.vote`), and whether it tied."""
    winner, tied = vote([values[who] for who in sorted(values)])
    return winner, bool(tied)


def _verified(
    latest: dict[str, PulledVerdict],
    verdict: Verdict,
    status: str,
    method: str,
    relations: dict[str, str],
    task_ids: list[int],
    tie: bool = False,
) -> VerifiedVerdict:
    pair = next(iter(latest.values())).pair
    return VerifiedVerdict(pair, verdict.model_dump_json(), status, method, relations, task_ids,
                           tie)  # fmt: skip


class VerdictSummary:
    """Adds up the pairs' answers and adjudications into the comparisons' report."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.patterns = {name: C.Patterns() for name in V.FIELDS}
        self.annotators: set[str] = set()
        self.pairs = 0
        self.methods: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.with_ties = 0
        #: how the ties were resolved: "review" or "waiting for review" -> pairs
        self.ties: Counter[str] = Counter()
        self.disagreements: list[dict[str, Any]] = []

    def add(self, answers: Sequence[PulledVerdict], verified: VerifiedVerdict | None) -> None:
        latest = latest_answers(answers)
        if verified is None:
            return
        verdicts = {who: Verdict.model_validate_json(a.verdict or "") for who, a in latest.items()}
        self.pairs += 1
        self.annotators.update(latest)
        self.patterns[V.RELATION].add({who: v.relation for who, v in verdicts.items()})
        self.patterns[V.DETAIL].add({who: v.detail for who, v in verdicts.items()
                                     if v.relation == "contradicts"})  # fmt: skip
        self.methods[verified.method] += 1
        self.statuses[verified.status] += 1
        self.with_ties += verified.tie
        if verified.resolution is not None:
            self.ties[verified.resolution] += 1
        if verified.status == "contested" or verified.tie:
            self.disagreements.append({
                "pair": verified.pair.key,
                "task_ids": verified.task_ids,
                "answers": {who: _answer(v) for who, v in sorted(verdicts.items())},
                **({"resolution": verified.resolution} if verified.tie else {}),
            })  # fmt: skip

    def report(self, resamples: int = RESAMPLES) -> dict[str, Any]:
        """The ``comparisons`` part of the agreement report."""
        fields = {
            name: categorical_scores(patterns, V.CHOICES[name], resamples=resamples)
            for name, patterns in self.patterns.items()
        }
        return clean({
            "pairs": self.pairs,
            "annotators": sorted(self.annotators),
            "fields": fields,
            "adjudication": {
                "policy": self.policy,
                "methods": dict(sorted(self.methods.items())),
                "verified": self.statuses["verified"],
                "contested": self.statuses["contested"],
                "with_ties": self.with_ties,
                "ties": {"review": self.ties["review"],
                         "waiting_for_review": self.ties[WAITING_FOR_REVIEW]},
            },
            "disagreements": self.disagreements,
        })  # fmt: skip


def _answer(verdict: Verdict) -> str:
    """One annotator's answer, as the disagreements list shows it: ``contradicts/number``."""
    return verdict.relation + (f"/{verdict.detail}" if verdict.detail else "")
