"""Quality of the offline path on news it was not tuned on: claims, and the judge of pairs.

What annotators receive (the rules annotator's claims) and what editors act on (the
rules judge's verdicts) scored against hand-checked data, each figure beside the data it
comes from and whether the rules were tuned on it:

* **claims** (`bench/quality_claims.py`): precision, recall and F1 of the claims, and the
  speaker agreement of the matched ones, on
  - the five seeds (``tests/data/seed_claims.json``; the rules were written against them:
    an upper bound),
  - the sealed set (``tests/data/sealed/``: 16 real-style articles written once and never
    read while tuning; the truth where the figures differ),
  - PolNeAR dev and train (real 2016 election coverage by seven US publishers; attributed
    claims against every attribution's content span; tuned on train, checked on dev);
* **pairs** (`bench/quality_pairs.py`): the rules judge on
  - the trap set (``tests/data/compare/traps.json``: part and whole, a share and its
    complement, updates, unit conversions, ranges, two groups, two events, two sums, a
    negation elsewhere; plus planted contradictions; tuned on),
  - the sealed pairs (``tests/data/sealed/pairs.json``, never tuned on),
  - ClaimDiff train (real claim pairs from two outlets on one story): related-vs-unrelated
    F1 beside a token-overlap rule tuned on the same pairs, and the precision of the
    contradictions it reports, checked by hand.

PolNeAR and ClaimDiff state no licence, so they stay outside the repository: give the
paths of their checkouts (public repositories networkdynamics/PolNeAR and
kaistAI/ClaimDiff). Only their train and dev splits are read; never their test splits.
Without them the benchmark scores what the repository holds.

    .venv/bin/python bench/quality.py --polnear ~/data/PolNeAR --claimdiff ~/data/ClaimDiff
    .venv/bin/python bench/quality.py --json > quality.json

The sealed set's pairs are reported as totals only: a tuner reads no sealed pair here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from quality_claims import score_polnear, score_reference
from quality_pairs import print_claimdiff, score_claimdiff, score_pairs

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (ROOT / "seeds", ROOT / "tests" / "data" / "seed_claims.json")
SEALED = ROOT / "tests" / "data" / "sealed"
TRAPS = ROOT / "tests" / "data" / "compare" / "traps.json"


def claim_figures(polnear: Path | None) -> list[dict[str, Any]]:
    """One row per data set: where it comes from, whether tuned on, and its scores."""
    rows = [
        {"set": "seeds", "tuned": True, **score_reference(*SEEDS)},
        {"set": "sealed", "tuned": False,
         **score_reference(SEALED / "articles", SEALED / "claims.json")},
    ]  # fmt: skip
    if polnear is not None:
        rows.append({"set": "PolNeAR dev", "tuned": False, **score_polnear(polnear, "dev")})
        rows.append({"set": "PolNeAR train", "tuned": True, **score_polnear(polnear, "train")})
    return rows


def pair_figures(claimdiff: Path | None) -> dict[str, Any]:
    """Traps and sealed pairs by kind (totals only for the sealed), ClaimDiff when given."""
    figures: dict[str, Any] = {
        "traps": by_group(score_pairs(TRAPS), with_wrong=True),
        "sealed": by_group(score_pairs(SEALED / "pairs.json"), with_wrong=False),
    }
    if claimdiff is not None:
        figures["claimdiff"] = score_claimdiff(claimdiff)
    return figures


def by_group(scored: dict[str, Any], with_wrong: bool) -> dict[str, Any]:
    """Trap kinds together (a contradiction there is always wrong), planted contradictions
    (found on their detail) and the rest (same, elaborates, unrelated)."""
    kinds = scored["kinds"]
    traps = {k: v for k, v in kinds.items() if k not in ("planted_contradiction", *_PLAIN)}
    planted = kinds.get("planted_contradiction", {})
    plain = [kinds[k] for k in _PLAIN if k in kinds]
    figures = {
        "pairs": scored["pairs"],
        "trap_pairs": sum(v["pairs"] for v in traps.values()),
        "contradictions_on_traps": sum(v["contradictions"] for v in traps.values()),
        "planted": planted.get("pairs", 0),
        "planted_found": planted.get("accepted", 0),
        "other_pairs": sum(v["pairs"] for v in plain),
        "other_accepted": sum(v["accepted"] for v in plain),
    }
    if with_wrong:
        figures["kinds"] = kinds
        figures["wrong"] = scored["wrong"]
    return figures


_PLAIN = ("same", "elaborates", "unrelated")


def _print_claims(rows: list[dict[str, Any]]) -> None:
    print("Claims (rules annotator)             docs   gold  pred     P     R    F1  speaker")
    for row in rows:
        name = f"{row['set']} ({'tuned on' if row['tuned'] else 'not tuned on'})"
        agreement = row["speaker_agreement_named"]
        print(f"  {name:33} {row['documents']:5} {row['gold']:6} {row['predicted']:5} "
              f"{row['precision']:5.3f} {row['recall']:5.3f} {row['f1']:5.3f}  "
              f"{'-' if agreement is None else f'{agreement:.3f}'}")  # fmt: skip


def _print_pairs(figures: dict[str, Any]) -> None:
    print("Pairs (rules judge)          pairs  contradictions on traps  planted found  other ok")
    for name in ("traps", "sealed"):
        f = figures[name]
        tuned = "tuned on" if name == "traps" else "not tuned on"
        print(f"  {name + ' (' + tuned + ')':26} {f['pairs']:5}  "
              f"{f['contradictions_on_traps']:>3} of {f['trap_pairs']:<17}  "
              f"{f['planted_found']:>3} of {f['planted']:<6}  "
              f"{f['other_accepted']} of {f['other_pairs']}")  # fmt: skip
    claimdiff = figures.get("claimdiff")
    if claimdiff:
        print_claimdiff(claimdiff)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, help="PolNeAR checkout (holding data/)")
    parser.add_argument("--claimdiff", type=Path, help="ClaimDiff checkout (train split read)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    for name, path in (("--polnear", args.polnear), ("--claimdiff", args.claimdiff)):
        if path is not None and not path.is_dir():
            parser.error(f"{name} {path}: no such folder (clone the public repository there)")
    figures = {"claims": claim_figures(args.polnear), "pairs": pair_figures(args.claimdiff)}
    if args.json:
        print(json.dumps(figures, indent=1))
        return 0
    _print_claims(figures["claims"])
    print()
    _print_pairs(figures["pairs"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
