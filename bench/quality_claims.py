"""Claim quality of the offline rules annotator on real news (PolNeAR) and on seed-style references.

    .venv/bin/python bench/quality_claims.py --polnear /work/data/polnear --split dev
    .venv/bin/python bench/quality_claims.py --polnear /work/data/polnear --split train --json

The data stays outside the repository (PolNeAR states no licence): the benchmark is given
the path of a checkout holding ``data/{train,dev}/{text,attributions}/``.

**Gold (PolNeAR).** Every attribution's Content span in the brat standoff files (``E``
lines tie Attribution, Source, Cue and Content), with or without a source; an
attribution with no content is left out. A discontinuous content (a quotation interrupted
by ``he said``) is the set of its pieces. Where an article was annotated by several
annotators (file names ``<article>_<annotator>.ann``), the annotation of the first
annotator id in sort order is used, the others are ignored.

**Predicted.** The rules' attributed claims, direct and indirect, grounded into the text as
the pipeline grounds them. Authorial claims (the outlet's own voice) are outside PolNeAR's
scope (it marks attributions only) and are left out of the PolNeAR score; their number is
reported beside it.

**Matching** (one rule, `matches`, for both data sets). A predicted claim matches a gold
span when their overlap covers at least half of the gold span and at least half of the
predicted span. Pairs are one-to-one, largest overlaps first. Precision = matched /
predicted, recall = matched / gold, F1 their harmonic mean. Speakers do not decide a match.

**Speaker agreement** (`speaker_agrees`), over matched claims. A gold source is *named*
unless it is a bare pronoun ("he", "they", "I", ...) or missing. For a named source the
predicted speaker agrees when its full name, or its last word (the surname, or the group
noun of "officials"), appears as a whole word in the source text, case ignored. Agreement
is reported over named sources only; pronoun sources and sourceless attributions are
counted apart (the rules resolve pronouns to a name, which the source text cannot confirm).

**Seed-style references** (`score_reference`): ``{"documents": {file name: [{quote,
speaker, attribution}]}}`` as ``tests/data/seed_claims.json``. Every claim counts there,
authorial ones included (the seeds mark them); the gold span is the quote's first
occurrence, its source text the reference speaker, and the same matching and speaker rules
apply (the outlet agrees with the outlet only).

**Cost.** Documents per second of the rules (extraction and grounding), single process.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.preannotate.grounding import ground_extraction
from annotate.preannotate.providers.rules import extract_rules
from annotate.schemas import OUTLET

#: Sources that name nobody: agreement with them is counted apart.
PRONOUNS = frozenset(
    ("i", "me", "my", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her")
    + ("they", "them", "their", "it", "its", "this", "that", "who", "which", "one", "someone")
)


@dataclass(frozen=True)
class Gold:
    """A gold claim: its pieces (character ranges) and its source text ("" when none)."""

    pieces: tuple[tuple[int, int], ...]
    source: str = ""
    attribution: str = ""

    @property
    def length(self) -> int:
        return sum(end - start for start, end in self.pieces)


@dataclass(frozen=True)
class Predicted:
    start: int
    end: int
    speaker: str
    attribution: str


def overlap(predicted: Predicted, gold: Gold) -> int:
    return sum(
        max(0, min(predicted.end, end) - max(predicted.start, start)) for start, end in gold.pieces
    )


def matches(predicted: Predicted, gold: Gold) -> bool:
    """The matching rule: the overlap covers half of the gold span and half of the prediction."""
    shared = overlap(predicted, gold)
    return (
        shared > 0 and 2 * shared >= gold.length and 2 * shared >= predicted.end - predicted.start
    )


def pair(predicted: Sequence[Predicted], gold: Sequence[Gold]) -> list[tuple[int, int]]:
    """One-to-one (prediction index, gold index) pairs that match, largest overlaps first."""
    candidates = sorted(
        (-overlap(p, g), i, j)
        for i, p in enumerate(predicted)
        for j, g in enumerate(gold)
        if p.start < max(e for _, e in g.pieces)
        and min(s for s, _ in g.pieces) < p.end
        and matches(p, g)
    )
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j))
    return pairs


def source_kind(source: str) -> str:
    """'named', 'pronoun' or 'none' for a gold source text."""
    words = re.findall(r"[\w’']+", source.lower())
    if not words:
        return "none"
    return "pronoun" if len(words) == 1 and words[0] in PRONOUNS else "named"


def speaker_agrees(speaker: str, source: str) -> bool:
    """The predicted speaker's full name or last word appears as a whole word in the source."""
    if speaker == OUTLET or source == OUTLET:
        return speaker == source
    lowered = source.lower()
    names = {speaker.lower(), *speaker.lower().split()[-1:]}
    return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", lowered) for name in names if name)


@dataclass
class Tally:
    documents: int = 0
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    left_out_authorial: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    agreeing: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, predicted: Sequence[Predicted], gold: Sequence[Gold]) -> None:
        self.documents += 1
        self.gold += len(gold)
        self.predicted += len(predicted)
        for i, j in pair(predicted, gold):
            self.matched += 1
            kind = source_kind(gold[j].source)
            self.sources[kind] += 1
            self.agreeing[kind] += speaker_agrees(predicted[i].speaker, gold[j].source)

    def report(self) -> dict[str, Any]:
        precision = self.matched / self.predicted if self.predicted else 0.0
        recall = self.matched / self.gold if self.gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        named = self.sources["named"]
        return {
            "documents": self.documents,
            "gold": self.gold,
            "predicted": self.predicted,
            "matched": self.matched,
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "speaker_agreement_named": round(self.agreeing["named"] / named, 3) if named else None,
            "matched_by_source": dict(sorted(self.sources.items())),
            "agreeing_by_source": dict(sorted(self.agreeing.items())),
            "authorial_left_out": self.left_out_authorial,
            "docs_per_s": round(self.documents / self.seconds, 1) if self.seconds else None,
        }


# --------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------


def predict(text: str) -> list[Predicted]:
    """The rules' claims on `text`, grounded as the pipeline grounds them."""
    annotation = ground_extraction(text, extract_rules(text)).annotation
    return [
        Predicted(c.span.start, c.span.end, c.speaker, c.attribution) for c in annotation.claims
    ]


def _timed_predict(text: str, tally: Tally) -> list[Predicted]:
    started = time.perf_counter()
    predicted = predict(text)
    tally.seconds += time.perf_counter() - started
    return predicted


# --------------------------------------------------------------------------
# PolNeAR
# --------------------------------------------------------------------------


def _pieces(field_: str) -> tuple[tuple[int, int], ...]:
    """'Content 10 20;25 40' -> ((10, 20), (25, 40))."""
    ranges = field_.split(" ", 1)[1]
    return tuple(
        (int(start), int(end)) for start, end in (piece.split() for piece in ranges.split(";"))
    )


def read_ann(path: Path) -> list[Gold]:
    """Every attribution's content in one brat file, with its source text."""
    spans: dict[str, tuple[str, tuple[tuple[int, int], ...], str]] = {}
    links: list[list[str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 3:
            spans[parts[0]] = (parts[1].split(" ", 1)[0], _pieces(parts[1]), parts[2])
        elif line.startswith("E") and len(parts) >= 2:
            links.append(parts[1].split())
    gold = []
    for link in links:
        roles: dict[str, list[str]] = {}
        for arg in link:
            role, _, ref = arg.partition(":")
            roles.setdefault(re.sub(r"\d+$", "", role), []).append(ref)
        contents = [spans[ref][1] for ref in roles.get("Content", []) if ref in spans]
        if not contents:
            continue
        source = " ".join(spans[ref][2] for ref in roles.get("Source", []) if ref in spans)
        pieces = tuple(sorted(piece for content in contents for piece in content))
        gold.append(Gold(pieces, source, "attribution"))
    return gold


def polnear_documents(root: Path, split: str) -> list[tuple[Path, Path]]:
    """(text, annotation) per article; the first annotator id in sort order where several."""
    data = root / "data" / split if (root / "data").is_dir() else root / split
    chosen: dict[str, Path] = {}
    for ann in sorted((data / "attributions").glob("*.ann")):
        article = ann.stem.rsplit("_", 1)[0]
        chosen.setdefault(article, ann)
    return [
        (data / "text" / f"{article}.txt", ann)
        for article, ann in sorted(chosen.items())
        if (data / "text" / f"{article}.txt").is_file()
    ]


def score_polnear(root: Path, split: str) -> dict[str, Any]:
    """The rules' attributed claims against PolNeAR's content spans on one split."""
    tally = Tally()
    for text_path, ann in polnear_documents(root, split):
        text = text_path.read_text(encoding="utf-8")
        predicted = _timed_predict(text, tally)
        attributed = [p for p in predicted if p.attribution != "authorial"]
        tally.left_out_authorial += len(predicted) - len(attributed)
        tally.add(attributed, read_ann(ann))
    return {"data": f"PolNeAR {split}", **tally.report()}


# --------------------------------------------------------------------------
# Seed-style references
# --------------------------------------------------------------------------


def reference_gold(text: str, claims: Iterable[dict[str, str]]) -> list[Gold]:
    gold = []
    for claim in claims:
        start = text.find(claim["quote"])
        if start < 0:
            raise ValueError(f"reference quote not in its article: {claim['quote'][:60]!r}")
        gold.append(
            Gold(((start, start + len(claim["quote"])),), claim["speaker"], claim["attribution"])
        )
    return gold


def score_reference(articles_dir: Path, reference_json: Path) -> dict[str, Any]:
    """Every rules claim (authorial included) against a hand-checked seed-style reference."""
    documents = json.loads(reference_json.read_text(encoding="utf-8"))["documents"]
    tally = Tally()
    for name in sorted(documents):
        text = (articles_dir / name).read_text(encoding="utf-8")
        tally.add(_timed_predict(text, tally), reference_gold(text, documents[name]))
    return {"data": str(reference_json.name), **tally.report()}


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def _print(report: dict[str, Any]) -> None:
    print(
        f"{report['data']}: {report['documents']} documents, gold {report['gold']}, "
        f"predicted {report['predicted']}, matched {report['matched']}: "
        f"P {report['precision']:.3f} R {report['recall']:.3f} F1 {report['f1']:.3f}; "
        f"speaker agreement (named sources) {report['speaker_agreement_named']}; "
        f"matched by source {report['matched_by_source']}, "
        f"agreeing {report['agreeing_by_source']}; "
        f"authorial left out {report['authorial_left_out']}; {report['docs_per_s']} docs/s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, help="PolNeAR checkout root (holding data/)")
    parser.add_argument("--split", choices=("dev", "train"), default="dev")
    parser.add_argument("--reference", type=Path, help="a seed-style reference JSON")
    parser.add_argument("--articles", type=Path, help="the articles of --reference")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    reports = []
    if args.polnear:
        reports.append(score_polnear(args.polnear, args.split))
    if args.reference:
        articles = args.articles or args.reference.parent.parent.parent / "seeds"
        reports.append(score_reference(articles, args.reference))
    if not reports:
        parser.error("give --polnear and/or --reference")
    if args.json:
        print(json.dumps(reports if len(reports) > 1 else reports[0], indent=2))
    else:
        for report in reports:
            _print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
