"""Benchmark: agreement (and adjudication) over a large synthetic corpus.

N documents, 3 annotators each, made from the seeds' rule-based annotations
with seeded perturbations (dropped claims, changed choices, shifted spans) so
that agreement is high but not perfect. Reports time and peak memory of
`agreement_report` and of adjudicating every document, for several corpus
sizes in fresh processes, and how each grows with the corpus (the ratio of
per-document cost at the largest size to the smallest; 1.0 is linear).

    .venv/bin/python bench/agreement.py                     # 1,000 / 10,000 / 100,000
    .venv/bin/python bench/agreement.py --sizes 1000,10000 --resamples 200
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from annotate.codec import regions_of
from annotate.gold.adjudicate import adjudicate
from annotate.gold.agreement import AgreementAccumulator
from annotate.preannotate.grounding import ground_extraction
from annotate.preannotate.providers.rules import extract_rules
from annotate.schemas import Annotation

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
ANNOTATORS = ("ann@x", "bob@x", "cat@x")


def perturbed(base: Annotation, rng: random.Random) -> Annotation:
    copy = base.model_copy(deep=True)
    copy.claims = [c for c in copy.claims if rng.random() > 0.05]
    for claim in copy.claims:
        if rng.random() < 0.1:
            claim.attribution = rng.choice(["direct", "indirect", "authorial"])
        if rng.random() < 0.1:
            claim.check_worthy = not claim.check_worthy
    if copy.document is not None and rng.random() < 0.2:
        overall = rng.choice(["strongly_against", "against", "neutral", "favor", "strongly_favor"])
        copy.document = copy.document.model_copy(update={"overall": overall})
    return copy


def corpus(size: int, seed: int = 7) -> Iterator[tuple[str, str, dict[str, Annotation]]]:
    """(document id, text, annotator -> annotation), generated one document at a time."""
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    bases = [ground_extraction(t, extract_rules(t)).annotation for t in seeds]
    rng = random.Random(seed)
    for i in range(size):
        base = bases[i % len(bases)]
        yield (
            f"doc{i:06d}",
            seeds[i % len(seeds)],
            {who: perturbed(base, rng) for who in ANNOTATORS},
        )


def child(size: int, resamples: int) -> None:
    """One pass, as `annotate agreement` makes it: accumulate agreement, adjudicate.

    Making the synthetic documents is not timed; reading each annotation's regions
    (shared by both steps) counts toward agreement.
    """
    accumulator = AgreementAccumulator()
    agreement = adjudication = 0.0
    for key, text, by_annotator in corpus(size):
        tick = time.perf_counter()
        regions = {who: regions_of(a) for who, a in by_annotator.items()}
        accumulator.add(regions)
        middle = time.perf_counter()
        adjudicate(key, text, by_annotator, regions=regions)
        agreement += middle - tick
        adjudication += time.perf_counter() - middle
    tick = time.perf_counter()
    report = accumulator.report(resamples)
    summary_seconds = time.perf_counter() - tick
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    alpha = report["fields"]["overall_stance"]["krippendorff_alpha_ordinal"]
    print(
        json.dumps(
            {
                "agreement_s": agreement + summary_seconds,
                "of_which_report_s": summary_seconds,
                "adjudication_s": adjudication,
                "peak_rss_mib": peak,
                "alpha_ordinal": alpha,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.resamples)
        return
    results = {}
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--resamples", str(args.resamples)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        results[size] = json.loads(out.stdout.strip().splitlines()[-1])
        print(size, results[size], flush=True)
    small, large = min(results), max(results)
    growth = {
        key: round((results[large][key] / large) / (results[small][key] / small), 3)
        for key in ("agreement_s", "adjudication_s")
        if results[small][key] > 0
    }
    report = {
        "annotators": len(ANNOTATORS),
        "resamples": args.resamples,
        "by_size": {
            size: {k: round(v, 3) for k, v in r.items() if isinstance(v, float)}
            for size, r in results.items()
        },
        "per_document_cost_growth_largest_vs_smallest": growth,
        "peak_rss_ratio_largest_vs_smallest": round(
            results[large]["peak_rss_mib"] / results[small]["peak_rss_mib"], 3
        ),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
