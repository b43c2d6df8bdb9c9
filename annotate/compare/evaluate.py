"""The judge scored against the verdicts people gave (`annotate compare --eval`).

The judge's verdicts are those of the last finished comparison; the reference
is the adjudicated verdict of each pair people answered in Label Studio
(``verified_verdicts``, verified or contested alike: the vote decides both).
A pair counts when the comparison judged it, in either orientation.

Three views of the same pairs:

* **relations**: precision, recall and F1 of each relation, one against the
  rest, with accuracy, macro F1 and the confusion matrix;
* **details**: a pair is positive for a detail when its relation is
  ``contradicts`` with that detail, for the judge and the people alike, so a
  missed contradiction costs recall on its detail and a made-up one precision;
* **facts**: the claims of those pairs as clusters. The reference clusters
  are the connected components of the people's same-fact links; the judge's
  are its facts (`group_facts` over *all* its verdicts of the comparison),
  restricted to those claims: its own facts, not the comparison's, which take
  people's verdicts where there are some and would be scored against
  themselves. A link is a same-fact link when its relation alone merges two
  claims in `group_facts` (weight at least the threshold: ``same`` and
  ``elaborates``), so both sides mean one thing by "one fact". Scored as
  B-cubed (Bagga and Baldwin 1998: per claim, the share of its predicted fact
  that is in its reference fact, and back) and pairwise (claim pairs placed
  together), once over all the claims and once without the claims that are
  alone in both partitions, which would otherwise inflate B-cubed with
  trivially right singletons (pairwise figures cannot change: such claims
  are in no pair).

A figure with nothing to measure (precision of a relation the judge never
gave, recall of one nobody gave) is None, never a made-up 0 or 1.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sklearn.metrics.cluster import pair_confusion_matrix

from annotate.errors import InputError
from annotate.schemas import DETAILS, RELATIONS, Verdict
from annotate.store import ClaimRef, ComparisonRun, Store, StoredVerdict, VerifiedVerdict

from .facts import LINK_WEIGHT, THRESHOLD, group_facts

#: Relations that, on their own, make two claims one fact (as `group_facts` merges them).
SAME_FACT = frozenset(r for r, weight in LINK_WEIGHT.items() if weight >= THRESHOLD)

#: A judge's model version names its prompt as ``+prompt-<hash>`` (the openai judge).
_PROMPT_IN_VERSION = re.compile(r"\+prompt-([0-9a-f]+)")

Scores = dict[str, Any]
Link = tuple[ClaimRef, ClaimRef, str]


class Scored(NamedTuple):
    """A pair both judged and answered by people."""

    judge: StoredVerdict
    human: Verdict
    #: "verified" or "contested"
    status: str


def evaluate_judge(store: Store) -> dict[str, Any]:
    """The last comparison's judge against the adjudicated verdicts, JSON-ready.

    Raises `InputError` when there is no finished comparison, no verified
    verdict, or none of the verified pairs was judged by that comparison.
    """
    run = store.comparisons.last()
    if run is None:
        raise InputError(f"no finished comparison in {store.path}: run `annotate compare` first")
    verified = store.verification.verified()
    if not verified:
        raise InputError(
            f"no verified verdicts in {store.path}: run `annotate push --comparisons`, "
            "answer the pairs in Label Studio, then `annotate pull --comparisons`"
        )
    scored, links, judged = _match(store.comparisons.iter_verdicts(run.id), verified)
    if not scored:
        raise InputError(
            f"none of the {len(verified)} verified pairs was judged by comparison {run.id}: "
            "run `annotate push --comparisons` for its pairs, answer them in Label Studio, "
            "then `annotate pull --comparisons`"
        )
    statuses = Counter(s.status for s in scored)
    return {
        **_judge_identity(run),
        "pairs": len(scored),
        "verified": statuses["verified"],
        "contested": statuses["contested"],
        "judged_pairs": judged,
        "unjudged_verified_pairs": len(verified) - len(scored),
        "relations": relation_scores([(s.judge.relation, s.human.relation) for s in scored]),
        "details": detail_scores([_details(s) for s in scored]),
        "facts": fact_scores(scored, links),
    }


def _judge_identity(run: ComparisonRun) -> dict[str, Any]:
    """Which comparison, judge and prompt, and what judging cost in that run."""
    usage = run.counts.get("judge_usage", {})
    found = _PROMPT_IN_VERSION.search(run.judge)
    prompt = run.params.get("prompt_version") or (found.group(1) if found else None)
    return {
        "comparison": run.id,
        "judge": run.judge,
        "prompt_version": prompt,
        "cost_usd": usage.get("cost_usd", 0.0),
        "cost_known": usage.get("priced", True),
        "calls": usage.get("calls", 0),
        "prompt_tokens": usage.get("prompt_tokens", 0),
        "completion_tokens": usage.get("completion_tokens", 0),
        "reused_verdicts": run.counts.get("reused_verdicts", 0),
    }


def _match(
    verdicts: Iterable[StoredVerdict], verified: dict[str, VerifiedVerdict]
) -> tuple[list[Scored], list[Link], int]:
    """The judged pairs people answered; every verdict as a link (for the judge's facts).

    Streams the verdicts once: a comparison can hold a million of them, of which
    people answered a few hundred. A pair judged twice counts once.
    """
    scored: list[Scored] = []
    seen: set[str] = set()
    links: list[Link] = []
    for verdict in verdicts:
        links.append((verdict.a, verdict.b, verdict.relation))
        key = _key_of(verified, verdict)
        if key and key not in seen:
            seen.add(key)
            human = verified[key]
            scored.append(Scored(verdict, Verdict.model_validate_json(human.verdict), human.status))
    return scored, links, len(links)


def _key_of(verified: dict[str, VerifiedVerdict], verdict: StoredVerdict) -> str | None:
    """The key people's verdict on this pair is kept under, in either orientation."""
    pair = verdict.pair
    for key in (pair.key, pair.flipped.key):
        if key in verified:
            return key
    return None


def _details(scored: Scored) -> tuple[str | None, str | None]:
    """The detail the pair is positive for, by the judge and by people.

    Only a contradiction has a detail (the schema refuses one elsewhere), so a
    pair one side does not call a contradiction is negative for every detail.
    """
    return scored.judge.detail, scored.human.detail


# -- classification ----------------------------------------------------------------


def prf(true_positives: int, predicted: int, actual: int) -> Scores:
    """Precision, recall and F1 from counts; None where there is nothing to divide by.

    F1 is 2·TP / (predicted + actual): defined (0) when only one side has the class.
    """
    return {
        "precision": true_positives / predicted if predicted else None,
        "recall": true_positives / actual if actual else None,
        "f1": 2 * true_positives / (predicted + actual) if predicted + actual else None,
        "support": actual,
        "predicted": predicted,
    }


def one_vs_rest(pairs: Sequence[tuple[str | None, str | None]], label: str) -> Scores:
    """`prf` for one label over (judge, reference) pairs."""
    predicted = sum(1 for judge, _ in pairs if judge == label)
    actual = sum(1 for _, reference in pairs if reference == label)
    both = sum(1 for judge, reference in pairs if judge == reference == label)
    return prf(both, predicted, actual)


def macro_f1(scores: dict[str, Scores]) -> float | None:
    """Mean F1 over the labels either side used (a label nobody used has no F1)."""
    values = [s["f1"] for s in scores.values() if s["f1"] is not None]
    return sum(values) / len(values) if values else None


def relation_scores(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Per relation (one vs rest), accuracy, macro F1 and reference -> judge counts."""
    by_relation = {r: one_vs_rest(pairs, r) for r in RELATIONS}
    confusion = {r: {j: 0 for j in RELATIONS} for r in RELATIONS}
    for judge, reference in pairs:
        confusion[reference][judge] += 1
    right = sum(1 for judge, reference in pairs if judge == reference)
    return {
        "accuracy": right / len(pairs) if pairs else None,
        "macro_f1": macro_f1(by_relation),
        "by_relation": by_relation,
        "confusion": confusion,
    }


def detail_scores(pairs: Sequence[tuple[str | None, str | None]]) -> dict[str, Any]:
    """Per contradiction detail: positive only for a contradiction on that detail."""
    by_detail = {d: one_vs_rest(pairs, d) for d in DETAILS}
    return {"macro_f1": macro_f1(by_detail), "by_detail": by_detail}


# -- facts as clusters ---------------------------------------------------------------


def fact_scores(scored: Sequence[Scored], links: Sequence[Link]) -> Scores:
    """The judge's facts against the people's, over the claims of the answered pairs."""
    claims = list(dict.fromkeys(ref for s in scored for ref in (s.judge.a, s.judge.b)))
    reference = _components(
        claims, [(s.judge.a, s.judge.b) for s in scored if s.human.relation in SAME_FACT]
    )
    predicted = _judge_facts(claims, links)
    gold = [reference[c] for c in claims]
    guess = [predicted[c] for c in claims]
    return {
        "same_fact_relations": sorted(SAME_FACT),
        "all": cluster_scores(gold, guess),
        "without_singletons": cluster_scores(*without_singletons(gold, guess)),
    }


def _components(
    claims: Sequence[ClaimRef], edges: Iterable[tuple[ClaimRef, ClaimRef]]
) -> dict[ClaimRef, int]:
    """Claim -> its connected component (union-find), numbered by first claim."""
    parent = {c: c for c in claims}

    def root(c: ClaimRef) -> ClaimRef:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for a, b in edges:
        parent[root(a)] = root(b)
    numbers: dict[ClaimRef, int] = {}
    return {c: numbers.setdefault(root(c), len(numbers)) for c in claims}


def _judge_facts(claims: Sequence[ClaimRef], links: Sequence[Link]) -> dict[ClaimRef, int]:
    """Claim -> the judge's fact, grouped from all its verdicts as the comparison did."""
    index: dict[ClaimRef, int] = {}
    numbered = [
        (index.setdefault(a, len(index)), index.setdefault(b, len(index)), relation)
        for a, b, relation in links
    ]
    fact_of: dict[int, int] = {}
    for number, group in enumerate(group_facts(len(index), numbered)):
        fact_of.update((i, number) for i in group)
    return {c: fact_of[index[c]] for c in claims}


def without_singletons(
    gold: Sequence[int], predicted: Sequence[int]
) -> tuple[list[int], list[int]]:
    """The labels without the items alone in their cluster on both sides."""
    gold_sizes, predicted_sizes = Counter(gold), Counter(predicted)
    kept = [
        i
        for i, (g, p) in enumerate(zip(gold, predicted, strict=True))
        if gold_sizes[g] > 1 or predicted_sizes[p] > 1
    ]
    return [gold[i] for i in kept], [predicted[i] for i in kept]


def cluster_scores(gold: Sequence[int], predicted: Sequence[int]) -> Scores:
    """B-cubed and pairwise precision, recall and F1 of one partition against another."""
    return {
        "claims": len(gold),
        "reference_facts": len(set(gold)),
        "judge_facts": len(set(predicted)),
        "bcubed": bcubed(gold, predicted),
        "pairwise": pairwise(gold, predicted),
    }


def bcubed(gold: Sequence[int], predicted: Sequence[int]) -> Scores:
    """B-cubed: per item, the share of its predicted cluster in its gold cluster (precision)
    and of its gold cluster in its predicted cluster (recall), averaged over the items.

    From the contingency counts n(g, p): precision = Σ n(g,p)² / |p| / N, recall alike.
    """
    if not gold:
        return {"precision": None, "recall": None, "f1": None}
    cells = Counter(zip(gold, predicted, strict=True))
    gold_sizes, predicted_sizes = Counter(gold), Counter(predicted)
    precision = sum(n * n / predicted_sizes[p] for (_, p), n in cells.items()) / len(gold)
    recall = sum(n * n / gold_sizes[g] for (g, _), n in cells.items()) / len(gold)
    return {"precision": precision, "recall": recall, "f1": _harmonic(precision, recall)}


def pairwise(gold: Sequence[int], predicted: Sequence[int]) -> Scores:
    """Pairwise: of the item pairs placed together, those together in the gold, and back."""
    if len(gold) < 2:
        return {"precision": None, "recall": None, "f1": None}
    matrix = pair_confusion_matrix(list(gold), list(predicted))
    # ordered pairs: [1][1] together in both, [0][1] only predicted, [1][0] only gold
    both, only_predicted, only_gold = (int(matrix[1][1]), int(matrix[0][1]), int(matrix[1][0]))
    scores = prf(both, both + only_predicted, both + only_gold)
    return {k: scores[k] for k in ("precision", "recall", "f1")}


def _harmonic(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


__all__ = [
    "SAME_FACT",
    "bcubed",
    "cluster_scores",
    "detail_scores",
    "evaluate_judge",
    "fact_scores",
    "pairwise",
    "prf",
    "relation_scores",
    "without_singletons",
]
