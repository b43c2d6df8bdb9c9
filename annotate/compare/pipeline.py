"""One comparison, start to end: claims → actors → candidate pairs → verdicts → facts.

`compare` reads each document's claims (kept gold, else the latest
prediction), unifies actors across documents, pairs claims of different
documents that are likely about the same thing, has a judge decide each pair,
grounds the values the judge says differ, groups same-fact claims into facts
and links facts that contradict each other. Every verdict is kept in the
store under the comparison's id (what people verify in Label Studio) and
streamed to ``pairs.jsonl``; the result is what ``facts.json`` and the report
show.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from annotate.collector import collector_paused
from annotate.errors import AnnotateError, InputError
from annotate.schemas import OUTLET, Verdict
from annotate.store import (
    WAITING_FOR_REVIEW,
    ClaimRef,
    KeptVerdict,
    Store,
    StoredFact,
    StoredVerdict,
    VerifiedVerdict,
)

from .actors import ActorRegistry
from .candidates import DEFAULT_K, ClaimText, candidate_pairs
from .claims import ComparedClaim, ComparedDocument, ComparedStance, Outlet, read_documents
from .facts import group_facts
from .judges.base import Judge, JudgeUsage, Pair, Unjudged, ground_values
from .stances import TargetSides, sides_by_target, unified_stances
from .verification import (
    UNVERIFIED,
    Link,
    Statuses,
    fact_statuses,
    people_json,
    people_verdict,
    status_of,
)

#: Verdicts saved to the store per transaction.
SAVE_EVERY = 2048
#: Reasons of unjudged pairs kept in the counts (the rest are only counted).
MAX_FAILURES_SHOWN = 5


@dataclass
class Fact:
    id: str
    proposition: str
    claims: list[ComparedClaim]
    status: str = UNVERIFIED

    @property
    def sources(self) -> list[str]:
        return sorted({c.outlet.source for c in self.claims})


@dataclass(frozen=True)
class Contradiction:
    fact_a: str
    fact_b: str
    a: ComparedClaim
    b: ComparedClaim
    verdict: Verdict
    status: str = UNVERIFIED
    #: how a tied verdict of people's was resolved: "review", "waiting for review", or None
    resolution: str | None = None


@dataclass
class Comparison:
    """What one comparison found, ready to write out."""

    id: int
    judge: str
    origin: str
    outlets: list[Outlet]
    facts: list[Fact]
    contradictions: list[Contradiction]
    stances: list[ComparedStance]
    targets: list[TargetSides]
    registry: ActorRegistry
    counts: dict[str, Any] = field(default_factory=dict)
    #: document id -> text, for the documents the report quotes
    texts: dict[str, str] = field(default_factory=dict)


JudgeFactory = Callable[[ActorRegistry], Judge]


def compare(
    store: Store,
    make_judge: JudgeFactory,
    *,
    origin: str = "auto",
    pairs_out: TextIO | None = None,
    k: int = DEFAULT_K,
    on_pairs: Callable[[int], None] | None = None,
) -> Comparison:
    """Compare the claims of every annotated document; write judged pairs to `pairs_out`.

    `on_pairs` hears how many pairs the judge is about to be asked about (those
    it has not answered before), e.g. to size a progress bar.
    """
    with collector_paused():
        return _compare(store, make_judge, origin, pairs_out, k, on_pairs)


def _compare(
    store: Store,
    make_judge: JudgeFactory,
    origin: str,
    pairs_out: TextIO | None,
    k: int,
    on_pairs: Callable[[int], None] | None,
) -> Comparison:
    documents = list(read_documents(store, origin))
    if not documents:
        wanted = "gold or predictions" if origin == "auto" else origin
        raise InputError(f"no {wanted} to compare in {store.path}: run `annotate preannotate` "
                         "(or `annotate pull` for gold) first")  # fmt: skip
    registry = ActorRegistry()
    for document in documents:
        registry.add(document)
    registry.link()
    claims = [claim for document in documents for claim in document.claims]
    judge = make_judge(registry)
    params = {"k": k, **judge.cache_params}
    comparison_id = store.comparisons.start(judge.model_version, origin, params)
    pairs, indexes = _candidates(claims, registry, k)
    people = store.verification.verified()
    try:
        links, contradictions, counts, statuses = _judge(
            store, comparison_id, judge, pairs, indexes, pairs_out, on_pairs or (lambda n: None),
            people,
        )  # fmt: skip
    except BaseException as exc:  # the endpoint failed, Ctrl-C: say so, keep what was judged
        status = "failed" if isinstance(exc, AnnotateError) else "interrupted"
        store.comparisons.finish(comparison_id, {"candidate_pairs": len(pairs)}, status)
        raise
    judged = links + contradictions  # a contradiction keeps its two claims apart
    groups = group_facts(len(claims), ((i, j, v.relation) for i, j, v in judged))
    facts, fact_of = _facts(claims, groups, fact_statuses(groups, links, statuses, indexes))
    found = Comparison(
        id=comparison_id,
        judge=judge.model_version,
        origin=origin,
        outlets=[d.outlet for d in documents],
        facts=facts,
        contradictions=_contradictions(contradictions, claims, fact_of, statuses),
        stances=unified_stances([s for d in documents for s in d.stances], registry),
        registry=registry,
        targets=[],
        texts={d.outlet.doc_id: d.text for d in documents},
    )
    found.targets = sides_by_target(found.stances)
    found.counts = _counts(documents, claims, pairs, counts, found, judge.usage)
    store.comparisons.replace_facts(comparison_id, stored_facts(comparison_id, found))
    store.comparisons.finish(comparison_id, found.counts)
    return found


def stored_facts(comparison_id: int, found: Comparison) -> list[StoredFact]:
    """The comparison's facts as the store keeps them for the export."""
    against: dict[str, list[str]] = {}
    for c in found.contradictions:
        against.setdefault(c.fact_a, []).append(c.fact_b)
        against.setdefault(c.fact_b, []).append(c.fact_a)
    return [
        StoredFact(
            comparison_id,
            f.id,
            f.proposition,
            [c.ref for c in f.claims],
            f.sources,
            f.status,
            sorted(set(against.get(f.id, []))),
        )  # fmt: skip
        for f in found.facts
    ]


def _candidates(
    claims: list[ComparedClaim], registry: ActorRegistry, k: int
) -> tuple[list[Pair], list[tuple[int, int]]]:
    """The candidate pairs, and each pair's claims as indexes into `claims`."""
    documents: dict[str, int] = {}
    texts = []
    actors = []
    for claim in claims:
        names = claim.mentioned + (() if claim.speaker == OUTLET else (claim.speaker,))
        ids = registry.ids(names)
        actors.append(ids)
        document = documents.setdefault(claim.outlet.doc_id, len(documents))
        texts.append(ClaimText(document, claim.proposition, ids, claim.outlet.published))
    candidates = candidate_pairs(texts, k=k)
    pairs = [
        Pair(claims[c.a], claims[c.b], c.similarity, actors[c.a], actors[c.b], c.mutual)
        for c in candidates
    ]
    return pairs, [(c.a, c.b) for c in candidates]


def _judge(
    store: Store,
    comparison_id: int,
    judge: Judge,
    pairs: list[Pair],
    indexes: list[tuple[int, int]],
    out: TextIO | None,
    on_pairs: Callable[[int], None],
    people: dict[str, VerifiedVerdict],
) -> tuple[list[Link], list[Link], dict[str, Any], Statuses]:
    """Judge every pair, keep and write each verdict; the links facts are made of.

    A cacheable judge (an LLM) is asked only about pairs it has not answered in
    an earlier comparison: a re-run makes no call. A pair it cannot decide is
    counted as unjudged, with the first reasons, and left out of the facts.
    Where people verified a pair (`people`), their verdict makes the link
    instead of the judge's; the store and ``pairs.jsonl`` keep the judge's too.
    """
    links: list[Link] = []
    contradictions: list[Link] = []
    statuses: Statuses = {}
    counts: dict[str, Any] = {"dropped_values": 0, "reused": 0, "unjudged": 0, "failures": [],
                              "failure_reasons": {}, "verified_pairs": 0,
                              "overruled": 0, "waiting_for_review": 0}  # fmt: skip
    kept: list[StoredVerdict] = []
    asked, version = question(judge), judge.model_version
    answers = _answers(store, judge, pairs, on_pairs)
    for pair, (i, j), answer in zip(pairs, indexes, answers, strict=True):
        if isinstance(answer, Unjudged):
            _count_failure(counts, answer)
            continue
        if isinstance(answer, KeptVerdict):
            counts["reused"] += 1
            verdict = answer.verdict
        else:
            verdict, dropped = ground_values(answer, pair.a.quote, pair.b.quote)
            counts["dropped_values"] += dropped
        counts[verdict.relation] = counts.get(verdict.relation, 0) + 1
        stored = _stored(comparison_id, version, asked, pair, verdict)
        kept.append(stored)
        if len(kept) >= SAVE_EVERY:
            store.comparisons.save_verdicts(kept, keep=judge.cacheable)
            kept = []
        human = people_verdict(people, stored.pair)
        if out is not None:
            line = pair_line(stored, verdict, human)
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        if human is not None:
            statuses[(i, j)] = human[1]
            counts["verified_pairs"] += 1
            counts["overruled"] += human[0].relation != verdict.relation
            counts["waiting_for_review"] += human[1].resolution == WAITING_FOR_REVIEW
            verdict = human[0]
        (contradictions if verdict.relation == "contradicts" else links).append((i, j, verdict))
    store.comparisons.save_verdicts(kept, keep=judge.cacheable)
    return links, contradictions, counts, statuses


def _count_failure(counts: dict[str, Any], answer: Unjudged) -> None:
    """Unjudged pairs counted by reason, with the first detail of each distinct reason (a
    dead endpoint fails every pair alike: one line says so, not one line per pair)."""
    counts["unjudged"] += 1
    reasons = counts["failure_reasons"]
    if answer.reason not in reasons and len(counts["failures"]) < MAX_FAILURES_SHOWN:
        counts["failures"].append(f"{answer.reason}: {answer.detail}")
    reasons[answer.reason] = reasons.get(answer.reason, 0) + 1


def _answers(
    store: Store, judge: Judge, pairs: list[Pair], on_pairs: Callable[[int], None]
) -> Iterator[Verdict | Unjudged | KeptVerdict]:
    """The judge's answer to each pair in order; a cacheable judge's earlier answers reused."""
    if not judge.cacheable:
        on_pairs(len(pairs))
        yield from judge.judge_all(pairs)
        return
    asked = question(judge)
    keys = [verdict_key(asked, pair) for pair in pairs]
    known = store.comparisons.kept_verdicts(keys, judge.model_version)
    unknown = [pair for pair, key in zip(pairs, keys, strict=True) if key not in known]
    on_pairs(len(unknown))
    fresh = judge.judge_all(unknown)
    for key in keys:
        yield known[key] if key in known else next(fresh)


def question(judge: Judge) -> str:
    """What every key of `judge`'s verdicts starts from: its version and settings."""
    return judge.model_version + "\x1f" + json.dumps(judge.cache_params, sort_keys=True)


def verdict_key(asked: str, pair: Pair) -> str:
    """The same judge and settings (`question`) on the same two claims: the same question."""
    a, b = pair.a, pair.b
    text = (
        f"{asked}\x1f{a.outlet.doc_id}\x1f{a.start}\x1f{a.end}\x1f{a.quote}\x1f{a.proposition}"
        f"\x1f{b.outlet.doc_id}\x1f{b.start}\x1f{b.end}\x1f{b.quote}\x1f{b.proposition}"
    )
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _stored(
    comparison_id: int, judge: str, asked: str, pair: Pair, verdict: Verdict
) -> StoredVerdict:
    values = verdict.values.model_dump_json() if verdict.values else None
    return StoredVerdict(
        comparison_id, verdict_key(asked, pair), judge, pair.a.ref, pair.b.ref,
        verdict.relation, verdict.detail, values, verdict.rationale, pair.similarity,
    )  # fmt: skip


def pair_line(
    stored: StoredVerdict, verdict: Verdict,
    human: tuple[Verdict, VerifiedVerdict] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One line of ``pairs.jsonl`` (a contract: see docs/comparing.md).

    The judge's verdict, and under ``verified`` the one people gave (null when
    nobody verified the pair).
    """
    values = verdict.values
    return {
        "a": _ref(stored.a),
        "b": _ref(stored.b),
        "relation": verdict.relation,
        "detail": verdict.detail,
        "values": {"a": values.a, "b": values.b} if values else None,
        "rationale": verdict.rationale,
        "judge": stored.judge,
        "similarity": stored.similarity,
        "verified": None if human is None else people_json(*human),
    }


def _ref(ref: ClaimRef) -> dict[str, Any]:
    return {"doc_id": ref.doc_id, "start": ref.start, "end": ref.end}


def _facts(
    claims: list[ComparedClaim], groups: list[list[int]], statuses: list[str]
) -> tuple[list[Fact], dict[int, str]]:
    facts = []
    fact_of: dict[int, str] = {}
    for group, status in zip(groups, statuses, strict=True):
        members = [claims[i] for i in group]
        digest = hashlib.sha256(
            "\x1f".join(f"{c.outlet.doc_id}:{c.start}:{c.end}" for c in members).encode()
        ).hexdigest()[:10]
        fact = Fact(f"F{digest}", _proposition(members), members, status)
        facts.append(fact)
        fact_of.update((i, fact.id) for i in group)
    facts.sort(key=lambda f: (-len(f.sources), -len(f.claims)))
    return facts, fact_of


def _proposition(members: list[ComparedClaim]) -> str:
    """The fact's wording: its shortest claim's proposition (the least said, all agree on)."""
    return min(members, key=lambda c: (len(c.proposition), c.outlet.doc_id, c.start)).proposition


def _contradictions(
    links: list[Link], claims: list[ComparedClaim], fact_of: dict[int, str], statuses: Statuses
) -> list[Contradiction]:
    """One contradiction per two facts and detail; a verified link shown before others."""
    found: dict[tuple[str, str, str | None], Contradiction] = {}
    for i, j, verdict in links:
        fact_a, fact_b = fact_of[i], fact_of[j]
        key = (fact_a, fact_b, verdict.detail)
        record = statuses.get((i, j))
        status = status_of(record)
        better = key in found and found[key].status == UNVERIFIED and status != UNVERIFIED
        if fact_a != fact_b and (key not in found or better):
            resolution = None if record is None else record.resolution
            found[key] = Contradiction(
                fact_a, fact_b, claims[i], claims[j], verdict, status, resolution
            )
    return list(found.values())


def _counts(
    documents: list[ComparedDocument],
    claims: list[ComparedClaim],
    pairs: list[Pair],
    judged: dict[str, Any],
    found: Comparison,
    usage: JudgeUsage,
) -> dict[str, Any]:
    shared = sum(1 for f in found.facts if len(f.sources) > 1)
    return {
        "documents": len(documents),
        "claims": len(claims),
        "candidate_pairs": len(pairs),
        "all_pairs": _cross_document_pairs(documents),
        "verdicts": {
            r: judged.get(r, 0) for r in ("same", "contradicts", "elaborates", "unrelated")
        },  # fmt: skip
        "dropped_values": judged["dropped_values"],
        "reused_verdicts": judged["reused"],
        "unjudged": judged["unjudged"],
        "failures": judged["failures"],
        "failure_reasons": judged["failure_reasons"],
        "verified_pairs": judged["verified_pairs"],
        "overruled": judged["overruled"],
        "waiting_for_review": judged["waiting_for_review"],
        "judge_usage": asdict(usage),
        "facts": len(found.facts),
        "shared_facts": shared,
        "single_outlet_facts": len(found.facts) - shared,
        "contradictions": len(found.contradictions),
        "stances": len(found.stances),
    }


def _cross_document_pairs(documents: list[ComparedDocument]) -> int:
    sizes = [len(d.claims) for d in documents]
    total = sum(sizes)
    return (total * total - sum(s * s for s in sizes)) // 2


__all__ = ["Comparison", "Contradiction", "Fact", "compare", "pair_line", "question",
           "verdict_key"]  # fmt: skip
