"""The order tasks are served in: each prediction's score, and each document's disagreement.

The score of a prediction (`preannotate.confidence`) is fitted on the kept gold
with `annotate eval`'s matching (`gold.model_eval`, micro over the fields
`gold.job_eval.overall_fields` counts once), so it joins the pre-annotation
stage and the gold stage: it is combined here. Its signals: the prediction's
ungrounded quotes, its disagreement with the latest prediction of another
model version of the same document (a second run: the rules and an LLM, two
models), this model version's error rate on the other kept gold, and the
shape of the extraction (claim density, speakers without a mention, length).

A document's disagreement is measured on its pulled annotations
(`gold.agreement.measure`, the agreement report's own counts), without
remaking the gold: `annotate agreement`'s policy is not needed for it.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from annotate.codec import Regions, codec_version, load_regions, regions_of
from annotate.gold.agreement import disagreement, measure
from annotate.gold.job_eval import overall_fields
from annotate.gold.matching import Counts
from annotate.gold.model_eval import Evaluated, ModelScores
from annotate.preannotate.confidence import Calibration, Observed, Shape, Signals, signals_of
from annotate.schemas import Annotation
from annotate.store import AnnotatedRows, Prediction, Store
from annotate.studio.order import Ranking


def item_counts(gold: Regions, predicted: Regions) -> Counts:
    """`annotate eval`'s counts of one prediction against one gold, each field once."""
    scores = ModelScores()
    scores.add(Evaluated(gold, [], {"": predicted}))
    counts = scores.as_json()[""]["counts"]
    total = Counts()
    for name in overall_fields(sorted(counts)):
        total.add(Counts(*counts[name]))
    return total


def errors_and_items(counts: Counts) -> tuple[float, float]:
    wrong = counts.false_positive + counts.false_negative
    return wrong, counts.true_positive + wrong


class _Run:
    """A prediction read once: its row, its annotation, and its regions when first needed.

    The regions are made only to compare (with the gold, or with another run): a
    document with one run and no gold is scored from its annotation alone (a 5 MB
    article's 100,000 regions cost push more memory than the push itself).
    """

    def __init__(self, prediction: Prediction) -> None:
        self.prediction = prediction
        self.shape = Shape.of_json(prediction.annotation)
        self._regions: Regions | None = None

    @property
    def regions(self) -> Regions:
        if self._regions is None:
            annotation = Annotation.model_validate_json(self.prediction.annotation)
            self._regions = regions_of(annotation)
        return self._regions


def _runs(store: Store, document_id: str) -> dict[str, _Run]:
    """The document's latest prediction of each model version, latest last."""
    return {v: _Run(p) for v, p in store.predictions.by_version(document_id).items()}


def runs_disagree(runs: Mapping[str, _Run], version: str) -> float | None:
    """1 - agreement of `version`'s run with the latest run of another version (None: none)."""
    others = [run for other, run in runs.items() if other != version]
    if not others:
        return None
    errors, items = errors_and_items(item_counts(others[-1].regions, runs[version].regions))
    return errors / items if items else 0.0


def _signals(run: _Run, text_length: int, runs: Mapping[str, _Run]) -> Signals:
    prediction = run.prediction
    return signals_of(
        run.shape,
        text_length,
        spans=prediction.spans,
        hallucinations=prediction.hallucinations,
        runs_disagree=runs_disagree(runs, prediction.model_version),
    )


def observed_on_gold(store: Store) -> Iterator[tuple[str, Observed]]:
    """(model version, its prediction observed) for every prediction of each kept gold document.

    ``past_error`` is left unset: it is the version's rate on the *other* documents.
    """
    for document_id, gold_json in store.gold.annotations():
        gold = regions_of(Annotation.model_validate_json(gold_json))
        runs = _runs(store, document_id)
        if not runs:
            continue
        length = len(store.documents.get(document_id).text)
        for version, run in runs.items():
            errors, items = errors_and_items(item_counts(gold, run.regions))
            yield version, Observed(_signals(run, length, runs), errors, items)


@dataclass
class _Rates:
    """Each model version's errors and items on the kept gold."""

    errors: dict[str, float]
    items: dict[str, float]

    def rate(self, version: str, less: Observed | None = None) -> float | None:
        """The version's error rate, leaving out `less` (the document being fitted)."""
        errors = self.errors.get(version, 0.0) - (less.errors if less else 0.0)
        items = self.items.get(version, 0.0) - (less.items if less else 0.0)
        return errors / items if items > 0 else None


def _rates(observed: list[tuple[str, Observed]]) -> _Rates:
    errors: dict[str, float] = defaultdict(float)
    items: dict[str, float] = defaultdict(float)
    for version, seen in observed:
        errors[version] += seen.errors
        items[version] += seen.items
    return _Rates(dict(errors), dict(items))


@dataclass
class Estimate:
    """What the scores are computed with: the calibration and each version's past error rate."""

    calibration: Calibration
    rates: _Rates

    def signals(self, signals: Signals, version: str) -> Signals:
        return replace(signals, past_error=self.rates.rate(version))


def calibrate(store: Store) -> Estimate:
    """Fit the estimate on every prediction of the kept gold documents."""
    observed = list(observed_on_gold(store))
    rates = _rates(observed)
    fitted = [
        replace(seen, signals=replace(seen.signals, past_error=rates.rate(version, seen)))
        for version, seen in observed
    ]
    return Estimate(Calibration.fit(fitted), rates)


def confidences(store: Store, estimate: Estimate | None = None) -> dict[str, tuple[str, float]]:
    """Document id -> (its latest prediction's model version, its score: P(no error)).

    Calibrated on the kept gold now unless `estimate` is given.
    """
    estimate = estimate or calibrate(store)
    scores = {}
    for document, prediction in store.predictions.with_documents():
        scored = _score(store, estimate, document.id) if prediction is not None else None
        if scored is not None:
            scores[document.id] = scored
    return scores


def _score(store: Store, estimate: Estimate, document_id: str) -> tuple[str, float] | None:
    """(model version, score) of the document's latest prediction; None without one."""
    runs = _runs(store, document_id)
    if not runs:
        return None
    # the latest prediction, read once (a 5 MB article's is 100 MB as a Python string)
    run = next(reversed(runs.values()))
    prediction = run.prediction
    length = len(store.documents.get(document_id).text)
    signals = estimate.signals(_signals(run, length, runs), prediction.model_version)
    return prediction.model_version, estimate.calibration.confidence(signals)


class Calibrated:
    """The estimate fitted on the kept gold, fitted again only when the gold changed.

    `annotate serve` scores the predictions of every request it answers; a fit reads
    every kept gold document (0.7 s for 300), so it is kept while the store's gold
    fingerprint (`store.gold.fingerprint`) stays the same. Shared by the server's threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fitted: tuple[tuple[int, int, int], Estimate] | None = None

    def __call__(self, store: Store) -> Estimate:
        with self._lock:
            key = store.gold.fingerprint()
            if self._fitted is None or self._fitted[0] != key:
                self._fitted = (key, calibrate(store))
            return self._fitted[1]


def ranking(store: Store, estimate: Estimate | None = None) -> Ranking:
    """What `annotate push` orders tasks by: each document's score, and its disagreement.

    The estimate is fitted now unless given; each document's values are computed when
    the push first asks for them, so a push of a few new documents into a large store
    scores only those (3 to 6 ms a document), and `--order` all of them.
    """
    estimate = estimate if estimate is not None else calibrate(store)
    documents = store.documents.listing
    return Ranking(
        _Lazy(lambda doc: _score(store, estimate, doc), lambda: (d.id for d in documents())),
        _Lazy(lambda doc: _disagreement(store, doc), lambda: (d.id for d in documents())),
    )


V = TypeVar("V")


class _Lazy(Mapping[str, V]):
    """Document id -> a value computed when first asked for (absent when it is None)."""

    def __init__(self, compute: Callable[[str], V | None], keys: Callable[[], Iterator[str]]):
        self._compute, self._keys = compute, keys
        self._known: dict[str, V | None] = {}

    def __getitem__(self, key: str) -> V:
        if key not in self._known:
            self._known[key] = self._compute(key)
        value = self._known[key]
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return (key for key in self._keys() if key in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def disagreements(store: Store) -> dict[str, float]:
    """Document id -> the share of its items its annotators drew differently (two or more)."""
    out = {}
    for rows in store.annotations.annotated(codec=codec_version()):
        value = _measured(rows)
        if value is not None:
            out[rows.document.id] = value
    return out


def _disagreement(store: Store, document_id: str) -> float | None:
    for rows in store.annotations.annotated([document_id], codec=codec_version()):
        return _measured(rows)
    return None


def _measured(rows: AnnotatedRows) -> float | None:
    found = {who: _annotator_regions(rows, who) for who in rows.annotations}
    value = disagreement(measure(found))
    return None if value is None else round(value, 4)


def _annotator_regions(rows: AnnotatedRows, who: str) -> Regions:
    kept = rows.regions.get(who)
    if kept is not None:
        return load_regions(kept)
    return regions_of(Annotation.model_validate_json(rows.annotations[who]))
