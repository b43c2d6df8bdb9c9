"""The rules judge on real and trap claim pairs: ClaimDiff train, and pairs files (traps, sealed).

ClaimDiff (kaistAI/ClaimDiff; its licence unstated, so it stays outside the repository
and only figures computed from it are kept) pairs claims of two outlets on one story,
labelled strengthen / weaken / neither. Related = strengthen or weaken, unrelated =
neither. `score_claimdiff` reports, on the train split only:

* the judge's related-vs-unrelated precision, recall and F1 (related = any relation but
  "unrelated") and its relation counts;
* beside it, a token-overlap rule tuned on the same pairs: Jaccard of content words
  >= t, t chosen for the best F1 (so an upper bound for that rule);
* the contradictions the judge reports, and their precision as checked by hand
  (bench/data/claimdiff_contradictions_checked.json: a judgement per pair_id, written
  by reading each reported contradiction; pairs reported and not yet checked are counted).

`score_pairs` scores a pairs file (tests/data/compare/traps.json, the realistically worded
tests/data/compare/contradictions_dev.json, or a sealed set in the same format): per kind,
contradictions reported and how often the relation is one of those the record accepts.

    .venv/bin/python bench/quality_pairs.py --claimdiff /work/data/claimdiff --pairs \
        tests/data/compare/traps.json --pairs tests/data/compare/contradictions_dev.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotate.compare.judges.rules import RulesJudge
from annotate.compare.records import pairs_of
from annotate.compare.text import content_words
from annotate.schemas import OUTLET, Verdict

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ROOT / "bench" / "data" / "claimdiff_contradictions_checked.json"
STRENGTH = "ClaimDiff-S/ClaimDiff-strength-train.json"
WEAKNESS = "ClaimDiff-W/ClaimDiff-weak-train.json"


def claimdiff_pairs(root: Path) -> list[dict[str, Any]]:
    """ClaimDiff train as pairs records with their gold (related: strengthen or weaken)."""
    strength = _rows(root / STRENGTH)
    weakness = {row["pair_id"]: row for row in _rows(root / WEAKNESS)}
    records = []
    for row in strength:
        weak = weakness[row["pair_id"]]
        related = int(row["relation"]) == 1 or int(weak["relation"]) == 1
        sides = [
            {"quote": row[f"claim_{s}"], "speaker": OUTLET, "outlet": f"outlet {s}",
             "published": row.get("date") or None, "doc": f"{row['topic']}|{row[f'article_{s}']}"}
            for s in "ab"
        ]  # fmt: skip
        records.append({"id": row["pair_id"], "a": sides[0], "b": sides[1], "related": related})
    return records


def cross_article(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every pair of one claim from each of two articles ClaimDiff pairs (as candidate
    generation would offer them, labelled or not), keyed "x:" + a hash of the two quotes."""
    groups: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}
    for record in records:
        if record["id"].endswith("_rev"):
            continue
        a, b = record["a"], record["b"]
        sides = groups.setdefault((a["doc"], b["doc"]), ({}, {}))
        sides[0][a["quote"]], sides[1][b["quote"]] = a, b
    pairs = []
    for claims_a, claims_b in groups.values():
        for a in claims_a.values():
            for b in claims_b.values():
                key = hashlib.sha1(f"{a['quote']}\n{b['quote']}".encode()).hexdigest()[:16]
                pairs.append({"id": f"x:{key}", "a": a, "b": b})
    return pairs


def _rows(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["data"])


def judged(records: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Verdict]]:
    """Each record with the rules judge's verdict on its pair."""
    pairs = pairs_of([(r["a"], r["b"]) for r in records])
    judge = RulesJudge(agent_key=_agent_key)
    for record, pair in zip(records, pairs, strict=True):
        yield record, judge.judge(pair)


def _agent_key(name: str) -> str:
    from annotate.compare.actors import name_key

    return name_key(name)


def prf(predicted: list[bool], gold: list[bool]) -> dict[str, float]:
    """Precision, recall and F1 of `predicted` against `gold` (positives: True)."""
    hits = sum(p and g for p, g in zip(predicted, gold, strict=True))
    said, wanted = sum(predicted), sum(gold)
    precision = hits / said if said else 0.0
    recall = hits / wanted if wanted else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "predicted": said, "gold": wanted}  # fmt: skip


def jaccard(a: str, b: str) -> float:
    """Jaccard of two texts' content words (as candidate generation and the judge read them)."""
    wa, wb = set(content_words(a)), set(content_words(b))
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


def tuned_overlap(records: list[dict[str, Any]], min_precision: float = 0.0) -> dict[str, Any]:
    """The token-overlap rule with the threshold of best F1 on these records (among the
    thresholds whose precision reaches ``min_precision``)."""
    gold = [r["related"] for r in records]
    scores = [jaccard(r["a"]["quote"], r["b"]["quote"]) for r in records]
    best: dict[str, Any] = {}
    for threshold in sorted(set(scores)):
        scored = prf([s >= threshold for s in scores], gold)
        if scored["precision"] < min_precision:
            continue
        if not best or scored["f1"] > best["f1"]:
            best = {"threshold": round(threshold, 4), **scored}
    return best


def score_claimdiff(root: Path, checked: Path = CHECKED) -> dict[str, Any]:
    """The judge against ClaimDiff train, beside the tuned token-overlap rule (see the module)."""
    records = claimdiff_pairs(root)
    verdicts = list(judged(records))
    gold = [r["related"] for r in records]
    predicted = [v.relation != "unrelated" for _, v in verdicts]
    contradictions = [r["id"] for r, v in verdicts if v.relation == "contradicts"]
    return {
        "pairs": len(records),
        "judge": prf(predicted, gold),
        "relations": dict(Counter(v.relation for _, v in verdicts)),
        "relations_on_related": dict(Counter(v.relation for r, v in verdicts if r["related"])),
        "token_overlap": tuned_overlap(records),
        # the rule at least as precise as the judge (the precision facts need)
        "token_overlap_at_judge_precision": tuned_overlap(
            records, prf(predicted, gold)["precision"]
        ),
        "contradictions": _checked(contradictions, checked),
        "cross_article": _cross_article(records, checked),
    }


def _cross_article(records: list[dict[str, Any]], checked: Path) -> dict[str, Any]:
    """The contradictions the judge reports among all cross-article pairs (see there)."""
    pairs = cross_article(records)
    reported = [r["id"] for r, v in judged(pairs) if v.relation == "contradicts"]
    return {"pairs": len(pairs), "contradictions": _checked(reported, checked)}


def _checked(reported: list[str], path: Path) -> dict[str, Any]:
    """The reported contradictions against the hand-checked judgements."""
    judgements = json.loads(path.read_text(encoding="utf-8"))["pairs"] if path.exists() else {}
    known = [judgements[p]["contradicts"] for p in reported if p in judgements]
    right = sum(known)
    return {
        "reported": len(reported),
        "checked": len(known),
        "unchecked": sorted(p for p in reported if p not in judgements),
        "right": right,
        "precision": round(right / len(known), 3) if known else None,
    }


def score_pairs(path: Path) -> dict[str, Any]:
    """Per kind of a pairs file: pairs, contradictions reported, relation accepted."""
    records = json.loads(path.read_text(encoding="utf-8"))["pairs"]
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    wrong = []
    for record, verdict in judged(records):
        counts = kinds[record["kind"]]
        counts["pairs"] += 1
        counts["contradictions"] += verdict.relation == "contradicts"
        ok = verdict.relation in record["expected"]
        if ok and verdict.relation == "contradicts" and record.get("detail"):
            ok = verdict.detail == record["detail"]
        counts["accepted"] += ok
        if not ok:
            wrong.append({"id": record["id"], "kind": record["kind"], "said": verdict.relation,
                          "detail": verdict.detail, "why": verdict.rationale})  # fmt: skip
    per_kind = {
        kind: {**counts, "accuracy": round(counts["accepted"] / counts["pairs"], 3)}
        for kind, counts in sorted(kinds.items())
    }
    return {"pairs": len(records), "kinds": per_kind, "wrong": wrong}


def print_claimdiff(claimdiff: dict[str, Any]) -> None:
    """The ClaimDiff figures of `score_claimdiff`, a line each (also bench/quality.py's)."""
    judge, overlap = claimdiff["judge"], claimdiff["token_overlap"]
    found = claimdiff["contradictions"]
    print(f"ClaimDiff train: {claimdiff['pairs']} pairs, {judge['gold']} related")
    print(f"  judge related-vs-unrelated  P {judge['precision']:.3f}  R {judge['recall']:.3f}"
          f"  F1 {judge['f1']:.3f}")  # fmt: skip
    print(f"  token overlap (J >= {overlap['threshold']})  P {overlap['precision']:.3f}  "
          f"R {overlap['recall']:.3f}  F1 {overlap['f1']:.3f}")  # fmt: skip
    overlap = claimdiff["token_overlap_at_judge_precision"]
    if overlap:
        print(
            f"  token overlap at the judge's precision (J >= {overlap['threshold']})  P "
            f"{overlap['precision']:.3f}  R {overlap['recall']:.3f}  F1 {overlap['f1']:.3f}"
        )
    print(
        f"  relations {_counts(claimdiff['relations'])}; "
        f"on related {_counts(claimdiff['relations_on_related'])}"
    )
    print(f"  contradictions reported {found['reported']}, checked {found['checked']}, "
          f"right {found['right']}, precision {found['precision']}, "
          f"unchecked {found['unchecked']}")  # fmt: skip
    cross = claimdiff["cross_article"]
    found = cross["contradictions"]
    print(f"  cross-article claim pairs {cross['pairs']}: contradictions reported "
          f"{found['reported']}, checked {found['checked']}, right {found['right']}, "
          f"precision {found['precision']}, unchecked {found['unchecked']}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claimdiff", type=Path, help="ClaimDiff's folder (train split read)")
    parser.add_argument("--pairs", type=Path, action="append", default=[],
                        help="a pairs file (repeatable)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {}
    if args.claimdiff:
        figures["claimdiff"] = score_claimdiff(args.claimdiff)
    for path in args.pairs:
        figures[str(path)] = score_pairs(path)
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        _print(figures)
    return 0


def _counts(counts: dict[str, int]) -> str:
    """``{'same': 3, 'unrelated': 5}`` said as ``same 3, unrelated 5``."""
    return ", ".join(f"{name} {count:,}" for name, count in counts.items())


def _print(figures: dict[str, Any]) -> None:
    claimdiff = figures.pop("claimdiff", None)
    if claimdiff:
        print_claimdiff(claimdiff)
    for path, scored in figures.items():
        print(f"{path}: {scored['pairs']} pairs")
        for kind, counts in scored["kinds"].items():
            print(f"  {kind:22} {counts['pairs']:3} pairs  contradictions "
                  f"{counts['contradictions']:2}  accepted {counts['accuracy']:.3f}")  # fmt: skip
        for miss in scored["wrong"]:
            print(f"    {miss['id']} ({miss['kind']}): {miss['said']} {miss['detail'] or ''}"
                  f" - {miss['why']}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
