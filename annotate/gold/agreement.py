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

Each document is measured on its own (`measure`, a small picklable record, so
documents can be measured in worker processes) and added to an accumulator in
document order. The accumulator keeps pattern counts for the categorical
fields, running totals for the F1 fields, and, for the bootstrap over
documents, each document's F1 counts in a temporary file that is read back in
chunks: memory does not grow with the corpus.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from tempfile import SpooledTemporaryFile
from typing import Any

import numpy as np

from annotate.codec import Regions, Relation, regions_of
from annotate.codec import layout as L
from annotate.codec.layout import DOCUMENT_CHOICES, REGION_CHOICES, RELATIONS, SPAN_FIELDS
from annotate.schemas import Annotation

from . import coefficients as C
from .matching import Counts, Found, clean, exact, matched, partial, related
from .matching import match_count as match_count  # the F1 matching, as agreement counts it

#: Bootstrap resamples for confidence intervals (seeded, so reports are reproducible).
RESAMPLES = 1000
SEED = 20261124
#: Resamples drawn at once when bootstrapping F1 ...
BATCH = 50
#: ... unless their document weights would exceed this many numbers (bounds memory).
WEIGHTS_BUDGET = 500_000
#: Documents' F1 counts read back at once during the bootstrap.
CHUNK = 4096
#: The F1 statistics that get a bootstrap interval, in report order.
WITH_INTERVAL = tuple(
    [f"{name}/{mode}" for name in SPAN_FIELDS for mode in ("exact", "partial")]
    + [f"relation:{label}" for label in RELATIONS]
)


def _parts(name: str) -> list[str]:
    """A span field's statistics: one per label, then the field's overall one."""
    return [f":{label}" for label in L.SPAN_LABELS[name]] + [""]


#: Every F1 statistic of an annotator pair, in the order `measure` counts them.
STATISTICS = tuple(
    [
        key
        for name in SPAN_FIELDS
        for mode in ("exact", "partial")
        for key in [f"{name}{part}/{mode}" for part in _parts(name)]
    ]
    + [f"relation:{label}" for label in RELATIONS]
)
#: Where each statistic's (tp, fp, fn) starts in a pair's flat counts.
_COLUMN = {key: 3 * index for index, key in enumerate(STATISTICS)}
#: The flat counts' columns of the statistics with an interval, in `WITH_INTERVAL` order.
_INTERVAL_COLUMNS = np.array([_COLUMN[key] + i for key in WITH_INTERVAL for i in range(3)])

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
class DocumentAgreement:
    """What one document contributes to agreement: small and picklable.

    Already in the accumulator's terms (each unit as its pattern, each pair's
    counts as one flat list), so the process that adds documents up in order
    only counts and sums: the work per unit and per statistic stays with the
    worker that measured the document.
    """

    annotators: list[str]
    #: categorical field -> the pattern of each of its units coded by two annotators or more
    patterns: dict[str, list[C.Pattern]]
    #: annotator pair -> every statistic's tp, fp, fn, flat, in `STATISTICS` order
    pairs: dict[Pair, list[int]]

    def as_json(self) -> dict[str, Any]:
        return {
            "annotators": self.annotators,
            "patterns": self.patterns,
            "pairs": [[list(pair), counts] for pair, counts in self.pairs.items()],
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> DocumentAgreement:
        patterns = {
            name: [tuple((coder, code) for coder, code in pattern) for pattern in found]
            for name, found in value["patterns"].items()
        }
        return cls(
            value["annotators"], patterns, {(a, b): counts for (a, b), counts in value["pairs"]}
        )


def measure(found: Mapping[str, Regions]) -> DocumentAgreement:
    """One document's categorical units (as patterns) and every annotator pair's F1 counts."""
    found = Found.of(found)
    units: dict[str, list[dict[str, str | None]]] = {}
    for name in DOCUMENT_CHOICES:
        units[name] = [{who: r.document.get(name) for who, r in found.items()}]
    for name in REGION_CHOICES:
        kinds = (L.CLAIM, L.STANCE_EVIDENCE) if name == L.STANCE else (L.CLAIM,)
        units[name] = [
            {who: region.attributes.get(name) for who, region in cluster.items()}
            for cluster in found.clusters(kinds)
        ]
    patterns = {name: _patterns(found_units) for name, found_units in units.items()}
    pairs = {(a, b): _pair_counts(found[a], found[b]) for a, b in combinations(sorted(found), 2)}
    return DocumentAgreement(list(found), patterns, pairs)


#: The columns of `STATISTICS` counted once each: every span field's overall exact match
#: (not again per label) and every relation label.
_OVERALL = np.array([
    _COLUMN[key] + i
    for key in STATISTICS
    if (key.endswith("/exact") and ":" not in key) or key.startswith("relation:")
    for i in range(3)
])  # fmt: skip


def disagreement(agreement: DocumentAgreement) -> float | None:
    """The share of one document's items its annotators drew differently; None under two.

    Over every pair of annotators: the unmatched spans (exact match) and
    relations, out of all of them, ``(fp + fn) / (tp + fp + fn)``: the same
    reading as a prediction's error rate (`preannotate.confidence`).
    """
    if not agreement.pairs:
        return None
    counts = np.sum([np.array(c)[_OVERALL] for c in agreement.pairs.values()], axis=0)
    tp, fp, fn = (float(counts[i::3].sum()) for i in range(3))
    items = tp + fp + fn
    return (fp + fn) / items if items else 0.0


def _patterns(units: list[dict[str, str | None]]) -> list[C.Pattern]:
    """The units' patterns, in unit order, leaving out those with fewer than two codes."""
    return [p for p in map(C.pattern_of, units) if p is not None]


def _pair_counts(first: Regions, second: Regions) -> list[int]:
    """Span and relation F1 counts of two annotators, per label and overall, in `STATISTICS`
    order.

    Both matches require the same label, so the overall counts are the sums of
    the per-label ones: each pair of label lists is matched once.
    """
    out: list[int] = []
    for name in SPAN_FIELDS:
        lists = [(first.labelled(name, label), second.labelled(name, label))
                 for label in L.SPAN_LABELS[name]]  # fmt: skip
        for same in (exact, partial):
            total = [0, 0, 0]
            for mine, theirs in lists:
                hit = matched(mine, theirs, same)
                counts = (hit, len(mine) - hit, len(theirs) - hit)
                out += counts
                total[0] += counts[0]
                total[1] += counts[1]
                total[2] += counts[2]
            out += total
    drawn, other = _by_label(first.relations), _by_label(second.relations)
    for label in RELATIONS:
        ours, yours = drawn.get(label, []), other.get(label, [])
        hit = matched(ours, yours, related)
        out += (hit, len(ours) - hit, len(yours) - hit)
    return out


def _by_label(relations: list[Relation]) -> dict[str, list[Relation]]:
    """Relations grouped by label, each group in drawing order."""
    grouped: dict[str, list[Relation]] = {}
    for relation in relations:
        grouped.setdefault(relation.label, []).append(relation)
    return grouped


class _DocumentCounts:
    """Each annotator pair's per-document counts of the statistics with an interval.

    One record per document the pair shares (its index, then tp, fp, fn of each
    statistic), in a temporary file that stays in memory while small.
    """

    RECORD = np.dtype([("document", "<u4"), ("counts", "<u4", (3 * len(WITH_INTERVAL),))])

    def __init__(self) -> None:
        self.files: dict[Pair, Any] = {}

    def add(self, pair: Pair, document: int, counts: np.ndarray) -> None:
        """One record: `counts` are the pair's flat counts (all of `STATISTICS`).

        A record is packed little-endian uint32s, so it is written as one array of them.
        """
        record = np.empty(1 + len(_INTERVAL_COLUMNS), dtype="<u4")
        record[0] = document
        record[1:] = counts[_INTERVAL_COLUMNS]
        if pair not in self.files:
            self.files[pair] = SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115
        self.files[pair].write(record.tobytes())

    def chunks(self, pair: Pair) -> Iterator[np.ndarray]:
        handle = self.files[pair]
        handle.seek(0)
        while data := handle.read(CHUNK * self.RECORD.itemsize):
            yield np.frombuffer(data, dtype=self.RECORD)
        handle.seek(0, 2)

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


class AgreementAccumulator:
    """Collects what agreement needs from each document, one document at a time."""

    def __init__(self) -> None:
        self.documents = 0
        self.annotators: set[str] = set()
        self.patterns = {name: C.Patterns() for name in (*DOCUMENT_CHOICES, *REGION_CHOICES)}
        #: annotator pair -> running totals of its flat counts (in the order pairs first came)
        self.totals: dict[Pair, np.ndarray] = {}
        self.spool = _DocumentCounts()

    def add(self, found: Mapping[str, Regions]) -> None:
        """One document: each annotator's regions (`regions_of` their annotation)."""
        self.add_measured(measure(found))

    def add_measured(self, document: DocumentAgreement) -> None:
        """One document's `measure`; documents must come in the same order every time."""
        self.annotators.update(document.annotators)
        for name, patterns in document.patterns.items():
            self.patterns[name].counts.update(patterns)
        for pair, flat in document.pairs.items():
            counts = np.array(flat, dtype=np.int64)
            if pair in self.totals:
                self.totals[pair] += counts
            else:
                self.totals[pair] = counts
            self.spool.add(pair, self.documents, counts)
        self.documents += 1

    def report(self, resamples: int = RESAMPLES) -> dict[str, Any]:
        intervals = self._f1_intervals(resamples)
        fields: dict[str, Any] = {}
        for name, patterns in self.patterns.items():
            fields[name] = _categorical(patterns, name, resamples)
        for name in SPAN_FIELDS:
            scores: dict[str, Any] = {}
            for mode in ("exact", "partial"):
                scores[f"f1_{mode}"] = self._mean_f1(f"{name}/{mode}")
                scores[f"f1_{mode}_ci95"] = intervals[f"{name}/{mode}"]
            scores["per_label"] = {
                label: {
                    f"f1_{mode}": self._mean_f1(f"{name}:{label}/{mode}")
                    for mode in ("exact", "partial")
                }
                for label in L.SPAN_LABELS[name]
            }
            fields[name] = scores
        for label in RELATIONS:
            key = f"relation:{label}"
            fields[key] = {"f1": self._mean_f1(key), "f1_ci95": intervals[key]}
        return clean(
            {"annotators": sorted(self.annotators), "documents": self.documents, "fields": fields}
        )

    def _mean_f1(self, key: str) -> float:
        column = _COLUMN[key]
        pairs = [Counts(*map(int, t[column : column + 3])) for t in self.totals.values()]
        values = [c.f1 for c in pairs if not math.isnan(c.f1)]
        return sum(values) / len(values) if values else math.nan

    def _f1_intervals(self, resamples: int) -> dict[str, list[float]]:
        """Bootstrap intervals of mean pairwise F1, resampling documents (seeded).

        Every statistic sees the same resamples: per batch, a matrix of document
        weights (multinomial counts, i.e. documents drawn with replacement) is
        multiplied into each pair's per-document counts, read back in chunks.
        """
        documents = self.documents
        if documents < 2:
            return {key: [math.nan, math.nan] for key in WITH_INTERVAL}
        estimates: dict[str, list[float]] = {key: [] for key in WITH_INTERVAL}
        rng = np.random.default_rng(SEED)
        uniform = np.full(documents, 1 / documents)
        batch = max(1, min(BATCH, WEIGHTS_BUDGET // documents))
        for start in range(0, resamples, batch):
            drawn = rng.multinomial(documents, uniform, size=min(batch, resamples - start))
            weights = drawn.astype(float)
            totals = [self._weighted(weights, pair) for pair in self.spool.files]
            for index, key in enumerate(WITH_INTERVAL):
                per_pair = [_f1(t[:, 3 * index : 3 * index + 3]) for t in totals]
                estimates[key].extend(_nanmean(per_pair, weights.shape[0]))
        return {key: list(C.percentile_interval(values)) for key, values in estimates.items()}

    def _weighted(self, weights: np.ndarray, pair: Pair) -> np.ndarray:
        """Each resample's totals of every statistic for one pair (resamples x 3 statistics).

        In floating point, where matrix products are fast: the counts and weights are
        small integers and their sums stay far below 2**53, so every total is exact.
        """
        totals = np.zeros((weights.shape[0], 3 * len(WITH_INTERVAL)))
        for chunk in self.spool.chunks(pair):
            totals += weights[:, chunk["document"].astype(np.intp)] @ chunk["counts"].astype(float)
        return totals


def _f1(totals: np.ndarray) -> np.ndarray:
    tp, fp, fn = totals[:, 0], totals[:, 1], totals[:, 2]
    denominator = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 2 * tp / denominator, np.nan)


def _categorical(patterns: C.Patterns, name: str, resamples: int) -> dict[str, Any]:
    return categorical_scores(patterns, L.CHOICES[name], ordinal=name in L.ORDINAL,
                              resamples=resamples)  # fmt: skip


def categorical_scores(
    patterns: C.Patterns, order: Sequence[str], *, ordinal: bool = False,
    resamples: int = RESAMPLES,
) -> dict[str, Any]:  # fmt: skip
    """A categorical field's coefficients over its units' patterns (`order`: its categories).

    Each alpha is followed by its own bootstrap interval (``<coefficient>_ci95``), so
    that the report, the terminal and the card put every interval beside the
    coefficient it belongs to.
    """
    scores: dict[str, Any] = {
        "units": patterns.units,
        "observed_agreement": C.observed_agreement_of(patterns),
        "cohen_kappa": C.mean_pairwise_cohen_of(patterns),
        "fleiss_kappa": C.fleiss_kappa_of(patterns),
    }
    levels: tuple[C.Level, ...] = ("nominal", "ordinal") if ordinal else ("nominal",)
    for level in levels:
        scores[f"krippendorff_alpha_{level}"] = C.krippendorff_alpha_of(patterns, level, order)
        scores[f"krippendorff_alpha_{level}_ci95"] = list(
            C.bootstrap_alpha(patterns, level, order, resamples=resamples, seed=SEED)
        )
    scores["gwet_ac1"] = C.gwet_ac1_of(patterns, order)
    return scores


def _nanmean(per_pair: list[np.ndarray], size: int) -> list[float]:
    if not per_pair:
        return [math.nan] * size
    stacked = np.vstack(per_pair)
    counts = (~np.isnan(stacked)).sum(axis=0)
    sums = np.nansum(stacked, axis=0)
    return [float(s / c) if c else math.nan for s, c in zip(sums, counts, strict=True)]
