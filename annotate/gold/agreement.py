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
* **Relation fields** (``speaker``, ``cue``, ``holder``, ``target``, reported as
  ``relation:<label>`` beside the ``cue`` span field): pairwise F1 where two
  relations match when their labels agree and both endpoints overlap.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from annotate.schemas import Annotation
from annotate.studio import layout as L

from . import coefficients as C
from .matching import Counts, clean, exact, match_count, partial, related
from .regions import (
    DOCUMENT_CHOICES,
    REGION_CHOICES,
    RELATION_FIELDS,
    SPAN_FIELDS,
    Region,
    Regions,
    regions_of,
)

#: Bootstrap resamples for confidence intervals (seeded, so reports are reproducible).
RESAMPLES = 1000
SEED = 20261124

#: document id -> annotator -> annotation
Corpus = Mapping[str, Mapping[str, Annotation]]


@dataclass(frozen=True)
class _Doc:
    """One document's regions per annotator (only annotators who annotated it)."""

    id: str
    by_annotator: dict[str, Regions]


def agreement_report(corpus: Corpus, *, resamples: int = RESAMPLES) -> dict[str, Any]:
    """The agreement JSON: annotators, documents and metrics per field."""
    docs = [
        _Doc(doc_id, {who: regions_of(a) for who, a in annotations.items()})
        for doc_id, annotations in sorted(corpus.items())
    ]
    annotators = sorted({who for doc in docs for who in doc.by_annotator})
    fields: dict[str, dict[str, Any]] = {}
    for name in DOCUMENT_CHOICES:
        fields[name] = _categorical(_document_table(docs, annotators, name), name, resamples)
    for name in REGION_CHOICES:
        fields[name] = _categorical(_region_table(docs, annotators, name), name, resamples)
    for name in SPAN_FIELDS:
        fields[name] = _span_scores(docs, annotators, name, resamples)
    for label in RELATION_FIELDS:
        fields[f"relation:{label}"] = _relation_scores(docs, annotators, label, resamples)
    return {"annotators": annotators, "documents": len(docs), "fields": fields}


# --------------------------------------------------------------------------
# Categorical fields
# --------------------------------------------------------------------------

Row = list[str | None]


def _document_table(docs: list[_Doc], annotators: list[str], name: str) -> list[Row]:
    return [
        [
            doc.by_annotator[a].document.get(name) if a in doc.by_annotator else None
            for a in annotators
        ]
        for doc in docs
    ]


def _region_table(docs: list[_Doc], annotators: list[str], name: str) -> list[Row]:
    """One row per region cluster: regions of the kinds carrying `name`, matched by overlap."""
    kinds = (L.CLAIM, L.STANCE_EVIDENCE) if name == L.STANCE else (L.CLAIM,)
    rows: list[Row] = []
    for doc in docs:
        for cluster in _clusters(doc, annotators, kinds):
            rows.append(
                [
                    doc.by_annotator[a].choices.get(region, {}).get(name) if region else None
                    for a, region in zip(annotators, cluster, strict=True)
                ]
            )
    return rows


def _clusters(
    doc: _Doc, annotators: list[str], kinds: tuple[str, ...]
) -> list[list[Region | None]]:
    """Group overlapping regions of different annotators; one region per annotator each."""
    tagged = sorted(
        (
            (region, index)
            for index, who in enumerate(annotators)
            if who in doc.by_annotator
            for region in doc.by_annotator[who].spans
            if region.control in kinds
        ),
        key=lambda item: (item[0].start, item[0].end),
    )
    clusters: list[list[Region | None]] = []
    for region, index in tagged:
        home = next(
            (
                c
                for c in clusters
                if c[index] is None and any(r is not None and r.overlaps(region) for r in c)
            ),
            None,
        )
        if home is None:
            home = [None] * len(annotators)
            clusters.append(home)
        home[index] = region
    return clusters


def _categorical(table: list[Row], name: str, resamples: int) -> dict[str, Any]:
    order = L.CHOICES[name]
    units = C.pairable(table)
    scores: dict[str, Any] = {
        "units": len(units),
        "observed_agreement": C.observed_agreement(table),
        "cohen_kappa": C.mean_pairwise_cohen(table),
        "fleiss_kappa": C.fleiss_kappa(table),
        "krippendorff_alpha_nominal": C.krippendorff_alpha(table, "nominal", order),
        "gwet_ac1": C.gwet_ac1(table, order),
    }
    scores["krippendorff_alpha_nominal_ci95"] = _interval(
        table, lambda t: C.krippendorff_alpha(t, "nominal", order), resamples
    )
    if name in L.ORDINAL:
        scores["krippendorff_alpha_ordinal"] = C.krippendorff_alpha(table, "ordinal", order)
        scores["krippendorff_alpha_ordinal_ci95"] = _interval(
            table, lambda t: C.krippendorff_alpha(t, "ordinal", order), resamples
        )
    return clean(scores)


def _interval(
    units: Sequence[Any], statistic: Callable[[Any], float], resamples: int
) -> list[float]:
    low, high = C.bootstrap_interval(units, statistic, resamples=resamples, seed=SEED)
    return [low, high]


# --------------------------------------------------------------------------
# Spans and relations: pairwise F1
# --------------------------------------------------------------------------


PairCounts = dict[tuple[str, str], list[Counts]]  # per annotator pair: counts per document


def _pairwise(
    docs: list[_Doc], items: Callable[[Regions], list[Any]], same: Callable[[Any, Any], bool]
) -> PairCounts:
    counts: PairCounts = defaultdict(list)
    for doc in docs:
        for a, b in combinations(sorted(doc.by_annotator), 2):
            counts[(a, b)].append(
                match_count(items(doc.by_annotator[a]), items(doc.by_annotator[b]), same)
            )
    return counts


def _mean_f1(per_pair: Sequence[Sequence[Counts]]) -> float:
    """F1 pooled over documents within each pair, then averaged over pairs."""
    values = []
    for documents in per_pair:
        total = Counts()
        for counts in documents:
            total.add(counts)
        if not math.isnan(total.f1):
            values.append(total.f1)
    return sum(values) / len(values) if values else math.nan


def _f1_with_interval(counts: PairCounts, resamples: int) -> tuple[float, list[float]]:
    """Mean pairwise F1, and its bootstrap interval resampling documents within pairs."""
    pairs = list(counts.values())
    estimate = _mean_f1(pairs)
    if not pairs:
        return estimate, [math.nan, math.nan]
    # Resample document positions shared by all pairs' lists (each list is per document).
    length = max(len(p) for p in pairs)

    def statistic(positions: Sequence[Any]) -> float:
        return _mean_f1([[p[i] for i in positions if i < len(p)] for p in pairs])

    return estimate, _interval(list(range(length)), statistic, resamples)


def _span_scores(
    docs: list[_Doc], annotators: list[str], name: str, resamples: int
) -> dict[str, Any]:
    del annotators  # pairs come from each document's own annotators
    scores: dict[str, Any] = {}
    for mode, same in (("exact", exact), ("partial", partial)):
        counts = _pairwise(docs, lambda r: r.of(name), same)
        scores[f"f1_{mode}"], scores[f"f1_{mode}_ci95"] = _f1_with_interval(counts, resamples)
    scores["per_label"] = {
        label: {
            f"f1_{mode}": _mean_f1(list(_pairwise(docs, _labelled(name, label), same).values()))
            for mode, same in (("exact", exact), ("partial", partial))
        }
        for label in L.SPAN_LABELS[name]
    }
    return clean(scores)


def _labelled(name: str, label: str) -> Callable[[Regions], list[Region]]:
    def regions(found: Regions) -> list[Region]:
        return [region for region in found.of(name) if region.label == label]

    return regions


def _relation_scores(
    docs: list[_Doc], annotators: list[str], label: str, resamples: int
) -> dict[str, Any]:
    del annotators
    counts = _pairwise(docs, lambda r: [x for x in r.relations if x.label == label], related)
    f1, interval = _f1_with_interval(counts, resamples)
    return clean({"f1": f1, "f1_ci95": interval})
