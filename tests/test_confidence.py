"""A prediction's score estimates how likely it is wrong, calibrated on kept gold.

The fit is checked on planted data (the error rate depends on a signal: the fitted
estimate must find it, and agree with the observed rate by bins), and the whole
path on a store: predictions, pulled annotations, kept gold, `annotate eval`'s
matching, scores.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from annotate.gold.report import keep_gold
from annotate.ingest import content_hash
from annotate.preannotate.confidence import (
    MIN_DOCUMENTS,
    Calibration,
    Observed,
    Signals,
    signals_of,
)
from annotate.schemas import Annotation
from annotate.store import JobKey, Prediction, RunSpec, Store
from annotate.studio.order import DISAGREEMENT, SCORE
from annotate.testing.gold_corpus import fill, seed_bases
from annotate.workflows.confidence import (
    Calibrated,
    calibrate,
    confidences,
    disagreements,
    item_counts,
    ranking,
)

from .conftest import pulled


def _planted(n: int, seed: int) -> list[Observed]:
    """Documents whose true error rate rises with the ungrounded share and the density."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        signals = Signals(
            ungrounded=float(rng.uniform(0, 0.5)),
            claim_density=float(rng.uniform(0, 4)),
            log_length=float(rng.uniform(2.5, 4)),
        )
        z = -2.0 + 5.0 * signals.ungrounded + 0.4 * signals.claim_density
        rate = 1 / (1 + np.exp(-z))
        items = int(rng.integers(10, 60))
        signals = replace(signals, quotes=items)
        out.append(Observed(signals, float(rng.binomial(items, rate)), float(items)))
    return out


def test_the_fit_is_calibrated_and_orders_held_out_documents() -> None:
    calibration = Calibration.fit(_planted(400, seed=1))
    assert calibration.calibrated
    held_out = _planted(400, seed=2)
    estimates = np.array([calibration.p_wrong(o.signals) for o in held_out])
    observed = np.array([o.rate for o in held_out])
    # by quartile of the estimate, the estimate agrees with the observed rate
    order = np.argsort(estimates)
    for part in np.array_split(order, 4):
        assert abs(estimates[part].mean() - observed[part].mean()) < 0.05
    # and the least confident quarter holds far more errors than the most confident one
    assert observed[order[-100:]].mean() > 2 * observed[order[:100]].mean()
    # the score is P(no error): exp(-expected errors), the lowest where most errors are expected
    expected = np.array([calibration.expected_errors(o.signals) for o in held_out])
    errors = np.array([o.errors for o in held_out])
    by_expected = np.argsort(expected)
    for part in np.array_split(by_expected, 4):
        assert expected[part].sum() == pytest.approx(errors[part].sum(), rel=0.1)
    scores = [calibration.confidence(o.signals) for o in held_out]
    assert np.argmin(scores) == np.argmax(expected)
    assert scores[0] == pytest.approx(np.exp(-expected[0]), rel=1e-5)


def test_too_little_gold_is_not_calibrated_and_says_what_the_signals_say() -> None:
    few = _planted(MIN_DOCUMENTS - 1, seed=3)
    calibration = Calibration.fit(few)
    assert not calibration.calibrated
    assert calibration.as_json()["calibrated"] is False
    assert calibration.p_wrong(Signals(ungrounded=0.3, runs_disagree=0.5)) == 0.5
    assert calibration.p_wrong(Signals(ungrounded=0.3)) == 0.3
    # never a certainty: an item is wrong with probability 0.001 at least
    assert calibration.confidence(Signals(ungrounded=0.0, quotes=10)) == round(np.exp(-0.01), 6)


def test_signals_of_a_prediction() -> None:
    base = seed_bases()[0]
    signals = signals_of(base.annotation, len(base.text), spans=30, hallucinations=10)
    assert signals.ungrounded == 0.25
    assert signals.claim_density == pytest.approx(
        1000 * len(base.annotation.claims) / len(base.text)
    )
    assert 0 <= signals.unlinked_speakers <= 1
    assert signals.runs_disagree is None and signals.past_error is None


def _wrong(annotation: Annotation) -> Annotation:
    """A gold that corrects most of a prediction: half its claims and all its actors gone."""
    copy = annotation.model_copy(deep=True)
    copy.claims = copy.claims[::2]
    copy.actors = []
    copy.stances = []
    return copy


def _store_with_planted_gold(store: Store, documents: int) -> dict[str, bool]:
    """Documents whose rules prediction is wrong (and says so by ungrounded quotes) or right.

    Returns document id -> whether its prediction was made wrong.
    """
    version = seed_bases()[0].model_version
    job = JobKey(version, "-", "-", "-")
    run = store.runs.start(RunSpec("rules", "rules", version, "-", "-", {}, 1))
    wrong = {}
    for index in range(documents):
        base = seed_bases()[index % len(seed_bases())]
        text = f"{base.text.rstrip()}\n\n[copy {index}]\n"
        doc = content_hash(text)[:16]
        store.documents.add(doc, content_hash(text), text, f"copy {index}", {})
        bad = index % 2 == 1
        store.predictions.add(Prediction(doc, run, "rules", "rules", job,
                                         base.annotation.model_dump_json(), spans=20,
                                         hallucinations=12 if bad else 1))  # fmt: skip
        pulled(store, doc, "ann@x", _wrong(base.annotation) if bad else base.annotation, index)
        wrong[doc] = bad
    return wrong


def test_scores_from_a_store_put_the_wrong_predictions_lowest(store: Store) -> None:
    wrong = _store_with_planted_gold(store, 2 * MIN_DOCUMENTS)
    assert keep_gold(store)
    estimate = calibrate(store)
    assert estimate.calibration.calibrated
    assert estimate.calibration.documents == 2 * MIN_DOCUMENTS
    scores = {doc: score for doc, (_, score) in confidences(store, estimate).items()}
    assert set(scores) == set(wrong)
    assert all(0 < score < 1 for score in scores.values())
    assert max(scores[d] for d, bad in wrong.items() if bad) < min(
        scores[d] for d, bad in wrong.items() if not bad
    )


def test_without_gold_the_score_counts_the_ungrounded_quotes(store: Store) -> None:
    wrong = _store_with_planted_gold(store, 4)  # pulled, but no gold kept
    scores = {doc: score for doc, (_, score) in confidences(store).items()}
    for doc, bad in wrong.items():  # exp(-ungrounded share x quotes): exp(-ungrounded quotes)
        assert scores[doc] == pytest.approx(np.exp(-12) if bad else np.exp(-1), rel=1e-5)


def test_a_second_run_that_disagrees_lowers_the_score(store: Store) -> None:
    """Without gold the estimate is the larger of ungrounded and the two runs' disagreement."""
    _store_with_planted_gold(store, 2)
    doc = next(iter(_docs(store)))
    before = confidences(store)[doc][1]
    latest = store.predictions.latest(doc)
    assert latest is not None
    other = JobKey("llm-v1", "-", "-", "-")
    annotation = Annotation.model_validate_json(latest.annotation)
    store.predictions.add(Prediction(doc, latest.run_id, "openai", "m", other,
                                     _wrong(annotation).model_dump_json(), spans=20,
                                     hallucinations=0))  # fmt: skip
    after = confidences(store)[doc][1]
    assert after < before
    from annotate.codec import regions_of

    counts = item_counts(regions_of(annotation), regions_of(_wrong(annotation)))
    share = (counts.false_positive + counts.false_negative) / (
        counts.true_positive + counts.false_positive + counts.false_negative
    )
    assert after == pytest.approx(np.exp(-share * 20), rel=1e-5)  # the second run has 20 quotes


def _docs(store: Store) -> list[str]:
    return [document.id for document, _ in store.predictions.with_documents()]


def test_disagreement_of_annotators_from_pulled_annotations(store: Store) -> None:
    fill(store, 6, seed=11)  # three annotators, each a perturbed copy of the prediction
    measured = disagreements(store)
    assert set(measured) == set(_docs(store))
    assert all(0 <= value <= 1 for value in measured.values())
    assert any(value > 0 for value in measured.values())


def test_annotators_who_agree_disagree_by_nothing(store: Store) -> None:
    _store_with_planted_gold(store, 2)
    doc = _docs(store)[0]
    latest = store.predictions.latest(doc)
    assert latest is not None
    same = Annotation.model_validate_json(latest.annotation)
    pulled(store, doc, "bob@x", same, 50)
    pulled(store, doc, "cat@x", same, 51)
    measured = disagreements(store)
    assert measured == {doc: 0.0}  # the other document has one annotator: no disagreement


def test_the_ranking_push_reads_is_the_same_computed_when_asked(store: Store) -> None:
    """`ranking` computes a document's values when push asks for them: the same values."""
    fill(store, 4, seed=3)
    ranked = ranking(store)
    scores = confidences(store)
    measured = disagreements(store)
    for doc in _docs(store):
        assert ranked.score(doc) == scores[doc][1]
        assert ranked.columns(doc) == {SCORE: scores[doc][1], DISAGREEMENT: measured[doc]}
    assert dict(ranked.scores) == scores and dict(ranked.disagreements) == measured
    assert ranked.score("no such document") is None


def test_the_fit_is_kept_until_the_kept_gold_changes(store: Store) -> None:
    """`annotate serve` scores every request: the fit is made again only when the gold,
    or a prediction of a gold document, changed, and is then the fit `calibrate` makes."""
    wrong = _store_with_planted_gold(store, 2 * MIN_DOCUMENTS)
    calibrated = Calibrated()
    assert not calibrated(store).calibration.calibrated  # no gold kept yet
    assert keep_gold(store)
    first = calibrated(store)
    assert first.calibration.calibrated and calibrated(store) is first
    assert first.calibration.as_json() == calibrate(store).calibration.as_json()
    doc = next(iter(wrong))
    store.gold.save([store.gold.of(doc)])  # the gold pass rewrote one document's gold
    assert calibrated(store) is not first
