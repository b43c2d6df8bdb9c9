"""Inter-annotator agreement per Label Studio control, as the literature computes it.

* **Categorical fields**: document-level ``overall_stance`` (one unit per
  document) and per-region ``attribution``, ``check_worthy``, ``stance`` (one
  unit per region matched across annotators by overlap). A region an annotator
  did not draw, or a choice left empty, is missing data for that unit, not a
  category. Reported: observed agreement, Cohen's kappa (pairwise mean),
  Fleiss' kappa, Krippendorff's alpha (nominal, plus ordinal for ordinal
  fields), Gwet's AC1, with a bootstrap 95% interval for alpha.
* **Span fields** (``actor``, ``claim``, ``cue``, ``stance_evidence``): F1 between
  every pair of annotators over the documents both annotated, exact (same
  offsets and label) and partial (overlapping, same label, matched one to
  one), per label and overall, averaged over pairs, with bootstrap intervals
  over documents. F1 is symmetric, so no annotator is taken as the reference.
* **Relation fields** (``relation:speaker``, ``relation:cue``, ``relation:holder``,
  ``relation:target``): pairwise F1 where two relations match when their labels
  agree and both endpoints overlap.

Documents stream through an accumulator that keeps only pattern counts for the
categorical fields and three integers per document and annotator pair for the
F1 fields, so memory does not hold the annotations of the whole corpus.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from annotate.codec import Regions, regions_of
from annotate.codec import layout as L
from annotate.codec.layout import DOCUMENT_CHOICES, REGION_CHOICES, RELATIONS, SPAN_FIELDS
from annotate.schemas import Annotation

from . import coefficients as C
from .matching import Counts, clean, clusters, exact, match_count, partial, related

#: Bootstrap resamples for confidence intervals (seeded, so reports are reproducible).
RESAMPLES = 1000
SEED = 20261124
#: Resamples drawn at once when bootstrapping F1 (bounds the weight matrix's memory).
BATCH = 50

#: document id -> annotator -> annotation (or an iterable of such pairs)
Corpus = Mapping[str, Mapping[str, Annotation]] | Iterable[tuple[str, Mapping[str, Annotation]]]
Pair = tuple[str, str]


def agreement_report(corpus: Corpus, *, resamples: int = RESAMPLES) -> dict[str, Any]:
    """The agreement JSON: annotators, documents and metrics per field."""
    accumulator = AgreementAccumulator()
    items = sorted(corpus.items()) if isinstance(corpus, Mapping) else corpus
    for _, by_annotator in items:
        accumulator.add({who: regions_of(a) for who, a in by_annotator.items()})
    return accumulator.report(resamples)


@dataclass
class _PairCounts:
    """Per annotator pair: (document index, tp, fp, fn) for each document they share.

    Kept in flat arrays of doubles (32 bytes a document and pair) when the
    statistic needs a bootstrap over documents, else only as running totals.
    """

    per_document: bool = True
    rows: dict[Pair, array[float]] = field(default_factory=dict)
    totals: dict[Pair, Counts] = field(default_factory=lambda: defaultdict(Counts))

    def add(self, pair: Pair, document: int, counts: Counts) -> None:
        self.totals[pair].add(counts)
        if self.per_document:
            self.rows.setdefault(pair, array("d")).extend(
                (document, counts.true_positive, counts.false_positive, counts.false_negative)
            )

    def mean_f1(self) -> float:
        values = [t.f1 for t in self.totals.values() if not math.isnan(t.f1)]
        return sum(values) / len(values) if values else math.nan

    def matrices(self) -> list[np.ndarray]:
        return [np.frombuffer(rows, dtype=float).reshape(-1, 4) for rows in self.rows.values()]


class AgreementAccumulator:
    """Collects what agreement needs from each document, one document at a time."""

    def __init__(self) -> None:
        self.documents = 0
        self.annotators: set[str] = set()
        self.patterns = {name: C.Patterns() for name in (*DOCUMENT_CHOICES, *REGION_CHOICES)}
        with_interval = self._f1_with_interval()
        self.f1: dict[str, _PairCounts] = defaultdict(lambda: _PairCounts(per_document=False))
        self.f1.update({key: _PairCounts() for key in with_interval})

    def add(self, found: Mapping[str, Regions]) -> None:
        """One document: each annotator's regions (`regions_of` their annotation)."""
        self.annotators.update(found)
        for name in DOCUMENT_CHOICES:
            self.patterns[name].add({who: r.document.get(name) for who, r in found.items()})
        for name in REGION_CHOICES:
            kinds = (L.CLAIM, L.STANCE_EVIDENCE) if name == L.STANCE else (L.CLAIM,)
            for cluster in clusters(found, kinds):
                self.patterns[name].add(
                    {
                        who: region.attributes.get(name) for who, region in cluster.items()
                    }
                )
        self._pairs(found)
        self.documents += 1

    def _pairs(self, found: Mapping[str, Regions]) -> None:
        index = self.documents
        for a, b in combinations(sorted(found), 2):
            first, second = found[a], found[b]
            for name in SPAN_FIELDS:
                for mode, same in (("exact", exact), ("partial", partial)):
                    self.f1[f"{name}/{mode}"].add(
                        (a, b), index, match_count(first.of(name), second.of(name), same)
                    )
                    for label in L.SPAN_LABELS[name]:
                        self.f1[f"{name}:{label}/{mode}"].add(
                            (a, b),
                            index,
                            match_count(first.labelled(name, label), second.labelled(name, label),
                                        same),  # fmt: skip
                        )
            for label in RELATIONS:
                mine_rel = [r for r in first.relations if r.label == label]
                theirs_rel = [r for r in second.relations if r.label == label]
                self.f1[f"relation:{label}"].add(
                    (a, b), index, match_count(mine_rel, theirs_rel, related)
                )

    def report(self, resamples: int = RESAMPLES) -> dict[str, Any]:
        intervals = _f1_intervals(
            {key: self.f1[key] for key in self._f1_with_interval()}, self.documents, resamples
        )
        fields: dict[str, Any] = {}
        for name, patterns in self.patterns.items():
            fields[name] = _categorical(patterns, name, resamples)
        for name in SPAN_FIELDS:
            scores: dict[str, Any] = {}
            for mode in ("exact", "partial"):
                scores[f"f1_{mode}"] = self.f1[f"{name}/{mode}"].mean_f1()
                scores[f"f1_{mode}_ci95"] = intervals[f"{name}/{mode}"]
            scores["per_label"] = {
                label: {
                    f"f1_{mode}": self.f1[f"{name}:{label}/{mode}"].mean_f1()
                    for mode in ("exact", "partial")
                }
                for label in L.SPAN_LABELS[name]
            }
            fields[name] = scores
        for label in RELATIONS:
            key = f"relation:{label}"
            fields[key] = {"f1": self.f1[key].mean_f1(), "f1_ci95": intervals[key]}
        return clean(
            {"annotators": sorted(self.annotators), "documents": self.documents, "fields": fields}
        )

    @staticmethod
    def _f1_with_interval() -> list[str]:
        keys = [f"{name}/{mode}" for name in SPAN_FIELDS for mode in ("exact", "partial")]
        return keys + [f"relation:{label}" for label in RELATIONS]


def _categorical(patterns: C.Patterns, name: str, resamples: int) -> dict[str, Any]:
    order = L.CHOICES[name]
    scores: dict[str, Any] = {
        "units": patterns.units,
        "observed_agreement": C.observed_agreement_of(patterns),
        "cohen_kappa": C.mean_pairwise_cohen_of(patterns),
        "fleiss_kappa": C.fleiss_kappa_of(patterns),
        "krippendorff_alpha_nominal": C.krippendorff_alpha_of(patterns, "nominal", order),
        "gwet_ac1": C.gwet_ac1_of(patterns, order),
        "krippendorff_alpha_nominal_ci95": list(
            C.bootstrap_alpha(patterns, "nominal", order, resamples=resamples, seed=SEED)
        ),
    }
    if name in L.ORDINAL:
        scores["krippendorff_alpha_ordinal"] = C.krippendorff_alpha_of(patterns, "ordinal", order)
        scores["krippendorff_alpha_ordinal_ci95"] = list(
            C.bootstrap_alpha(patterns, "ordinal", order, resamples=resamples, seed=SEED)
        )
    return scores


def _f1_intervals(
    stats: dict[str, _PairCounts], documents: int, resamples: int
) -> dict[str, list[float]]:
    """Bootstrap intervals of mean pairwise F1, resampling documents (seeded).

    Every statistic sees the same resamples: per batch, a matrix of document
    weights (multinomial counts, i.e. documents drawn with replacement) is
    multiplied into each pair's per-document counts.
    """
    if documents < 2:
        return {key: [math.nan, math.nan] for key in stats}
    arrays = {key: stat.matrices() for key, stat in stats.items()}
    estimates: dict[str, list[float]] = {key: [] for key in stats}
    rng = np.random.default_rng(SEED)
    uniform = np.full(documents, 1 / documents)
    for start in range(0, resamples, BATCH):
        weights = rng.multinomial(documents, uniform, size=min(BATCH, resamples - start))
        for key, pairs in arrays.items():
            per_pair = [_batch_f1(weights, rows) for rows in pairs]
            estimates[key].extend(_nanmean(per_pair, weights.shape[0]))
    return {key: list(C.percentile_interval(values)) for key, values in estimates.items()}


def _batch_f1(weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    totals = weights[:, rows[:, 0].astype(int)] @ rows[:, 1:]
    tp, fp, fn = totals[:, 0], totals[:, 1], totals[:, 2]
    denominator = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 2 * tp / denominator, np.nan)


def _nanmean(per_pair: list[np.ndarray], size: int) -> list[float]:
    if not per_pair:
        return [math.nan] * size
    stacked = np.vstack(per_pair)
    counts = (~np.isnan(stacked)).sum(axis=0)
    sums = np.nansum(stacked, axis=0)
    return [float(s / c) if c else math.nan for s, c in zip(sums, counts, strict=True)]
