"""Serving the likely-wrong first: the share of the model's errors in the first 20% of tasks.

    .venv/bin/python bench/order.py --polnear /work/data/polnear
    .venv/bin/python bench/order.py --polnear /work/data/polnear --json

What `annotate push --order uncertainty` does, measured like quality on data with gold:
Label Studio serves the task whose prediction has the lowest score first, the score being
1 - the estimated P(wrong) of `annotate.preannotate.confidence`, fitted on kept gold. Here
the kept gold is PolNeAR train (the estimate is fitted there) and the tasks served are
PolNeAR dev (never fitted on); the model is the offline rules annotator.

**A document's errors** are its prediction's claim errors against PolNeAR's attributions,
with `bench/quality_claims.py`'s matching (half-overlap both ways, one to one): attributed
claims matching no attribution plus attributions no claim matches. PolNeAR marks
attributions only, so authorial claims, actors and stances are out of the count (`annotate
eval`'s exact matching is for a project's own gold; on PolNeAR's spans it would count a
claim that differs by a comma as two errors). The fit's error rate is errors / (claims +
attributions - matched), the same reading as the product's.

**Signals**, computed exactly as `annotate push` computes them (`workflows.confidence`):
ungrounded quotes (none for the rules: they quote the text), the model's past error rate
(train's), claim density, speakers without a mention, length, and the disagreement with a
**second run**: here the rules again on the same text with its line breaks as spaces and
typographic quotes straightened (offsets unchanged), which shows where the extraction hangs
on layout and punctuation. In a project the second run is another model's prediction (an
LLM beside the rules, or two LLMs), which this offline benchmark cannot run.

**Reported**, on dev: the share of all errors in the first 20% of tasks served
(``ceil(0.2 * n)`` documents) for the estimate's order, for random order (expected 20%;
the mean and 5th-95th percentiles of 2,000 shuffles), for each signal alone and for the
best possible order (documents by their true error count); the share of the text those
tasks hold (the reading they cost); and the calibration by quintile of the estimate.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from quality_claims import Gold, Predicted, pair, polnear_documents, read_ann

from annotate.codec import regions_of
from annotate.preannotate.confidence import Calibration, Observed, Signals, signals_of
from annotate.preannotate.grounding import ground_extraction
from annotate.preannotate.providers.rules import extract_rules
from annotate.schemas import Annotation
from annotate.workflows.confidence import errors_and_items, item_counts

SHARE = 0.2
SHUFFLES = 2_000
#: Same-length replacements for the second run (offsets stay the same).
SECOND_RUN = str.maketrans({"\n": " ", "“": '"', "”": '"', "‘": "'", "’": "'"})


@dataclass(frozen=True)
class Doc:
    """One article: its prediction's signals, its errors against the gold, its length."""

    name: str
    signals: Signals
    errors: int
    items: int
    length: int


def run(text: str) -> tuple[Annotation, int, int]:
    """The rules' grounded annotation of `text`, its grounded spans and ungrounded quotes."""
    result = ground_extraction(text, extract_rules(text))
    annotation = result.annotation
    spans = len(regions_of(annotation).spans)
    return annotation, spans, len(result.hallucinations)


def claim_errors(annotation: Annotation, gold: Sequence[Gold]) -> tuple[int, int]:
    """(errors, items) of the attributed claims against the gold attributions."""
    predicted = [Predicted(c.span.start, c.span.end, c.speaker, c.attribution)
                 for c in annotation.claims if c.attribution != "authorial"]  # fmt: skip
    matched = len(pair(predicted, gold))
    errors = len(predicted) - matched + len(gold) - matched
    return errors, errors + matched


def read_split(root: Path, split: str) -> list[Doc]:
    docs = []
    for text_path, ann in polnear_documents(root, split):
        text = text_path.read_text(encoding="utf-8")
        annotation, spans, ungrounded = run(text)
        second, _, _ = run(text.translate(SECOND_RUN))
        disagree, items = errors_and_items(item_counts(regions_of(second), regions_of(annotation)))
        signals = signals_of(annotation, len(text), spans=spans, hallucinations=ungrounded,
                             runs_disagree=disagree / items if items else 0.0)  # fmt: skip
        errors, counted = claim_errors(annotation, read_ann(ann))
        docs.append(Doc(text_path.stem, signals, errors, counted, len(text)))
    return docs


def with_past_error(docs: list[Doc], rate: float) -> list[Doc]:
    return [replace(d, signals=replace(d.signals, past_error=rate)) for d in docs]


def found_first(order: Sequence[Doc], share: float = SHARE) -> tuple[float, float]:
    """(share of all errors, share of all text) in the first `share` of `order`."""
    first = order[: math.ceil(share * len(order))]
    errors = sum(d.errors for d in order)
    text = sum(d.length for d in order)
    return sum(d.errors for d in first) / errors, sum(d.length for d in first) / text


def served(docs: Sequence[Doc], score: Callable[[Doc], float]) -> list[Doc]:
    """The order Label Studio's uncertainty sampling serves: lowest score first."""
    return sorted(docs, key=score)


def random_order(docs: Sequence[Doc], seed: int = 0) -> dict[str, float]:
    rng = random.Random(seed)
    shares = []
    for _ in range(SHUFFLES):
        shuffled = list(docs)
        rng.shuffle(shuffled)
        shares.append(found_first(shuffled)[0])
    shares.sort()
    return {
        "errors_found": round(sum(shares) / len(shares), 3),
        "p5": round(shares[int(0.05 * SHUFFLES)], 3),
        "p95": round(shares[int(0.95 * SHUFFLES)], 3),
    }


def _row(order: Sequence[Doc]) -> dict[str, float]:
    errors, text = found_first(order)
    return {"errors_found": round(errors, 3), "text_read": round(text, 3)}


def quintiles(docs: Sequence[Doc], calibration: Calibration) -> dict[str, list[list[float]]]:
    """By quintile: (estimated, observed) error rate, and (expected, found) errors per document."""
    rates, counts = [], []
    by_rate = sorted(docs, key=lambda d: calibration.p_wrong(d.signals))
    by_count = sorted(docs, key=lambda d: calibration.expected_errors(d.signals))
    for k in range(5):
        part = by_rate[k * len(docs) // 5 : (k + 1) * len(docs) // 5]
        estimated = sum(calibration.p_wrong(d.signals) for d in part) / len(part)
        observed = sum(d.errors for d in part) / max(sum(d.items for d in part), 1)
        rates.append([round(estimated, 3), round(observed, 3)])
        part = by_count[k * len(docs) // 5 : (k + 1) * len(docs) // 5]
        expected = sum(calibration.expected_errors(d.signals) for d in part) / len(part)
        counts.append([round(expected, 1), round(sum(d.errors for d in part) / len(part), 1)])
    return {"error_rate": rates, "errors_per_document": counts}


def measure(root: Path) -> dict[str, Any]:
    started = time.perf_counter()
    train, dev = read_split(root, "train"), read_split(root, "dev")
    rate = sum(d.errors for d in train) / sum(d.items for d in train)
    train, dev = with_past_error(train, rate), with_past_error(dev, rate)
    calibration = Calibration.fit([Observed(d.signals, d.errors, d.items) for d in train])
    uncalibrated = Calibration.uncalibrated()

    def alone(name: str) -> Callable[[Doc], float]:
        return lambda d: -float(getattr(d.signals, name) or 0.0)

    orders = {
        "estimate (calibrated on train)": served(dev, lambda d: calibration.confidence(d.signals)),
        "uncalibrated (no gold yet)": served(dev, lambda d: uncalibrated.confidence(d.signals)),
        "P(item wrong) alone (the error rate)": served(
            dev, lambda d: -calibration.p_wrong(d.signals)
        ),
        "second run's disagreement alone": served(dev, alone("runs_disagree")),
        "claim density alone": served(dev, alone("claim_density")),
        "speakers without a mention alone": served(dev, alone("unlinked_speakers")),
        "direct quotations alone (fewest first)": served(dev, lambda d: d.signals.direct_claims),
        "length alone (longest first)": served(dev, alone("log_length")),
        "best possible (true errors)": served(dev, lambda d: -d.errors),
        "import order": list(dev),
    }
    return {
        "data": "PolNeAR: fitted on train, served on dev",
        "train_documents": len(train),
        "dev_documents": len(dev),
        "dev_errors": sum(d.errors for d in dev),
        "first_tasks": math.ceil(SHARE * len(dev)),
        "train_error_rate": round(rate, 3),
        "calibration": calibration.as_json(),
        "random": random_order(dev),
        "orders": {name: _row(order) for name, order in orders.items()},
        "quintiles_dev": quintiles(dev, calibration),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _print(report: dict[str, Any]) -> None:
    print(f"{report['data']}: {report['train_documents']} train, {report['dev_documents']} dev "
          f"documents ({report['dev_errors']} errors); first 20% = {report['first_tasks']} "
          f"tasks; {report['seconds']} s")  # fmt: skip
    r = report["random"]
    print(f"  random order: {r['errors_found']:.3f} of errors (5-95%: {r['p5']}-{r['p95']})")
    for name, row in report["orders"].items():
        print(f"  {name}: {row['errors_found']:.3f} of errors, {row['text_read']:.3f} of text")
    for name, rows in report["quintiles_dev"].items():
        print(f"  {name} by quintile (estimated / observed):",
              ", ".join(f"{a}/{b}" for a, b in rows))  # fmt: skip
    print("  weights:", report["calibration"]["weights"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, required=True, help="PolNeAR checkout root")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    report = measure(args.polnear)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
