"""How likely a prediction is wrong, from signals of the prediction, calibrated on kept gold.

A prediction's **error rate** is the share of its items (the regions, choices and
relations `annotate eval` matches, predicted or in the gold) that are wrong: not
matched, so ``(fp + fn) / (tp + fp + fn)``. It is the probability that an item
drawn from the prediction and its gold together is an error, and annotators
spend their corrections on exactly those items.

The estimate is a binomial logistic regression of that rate on the `Signals`
of a prediction (each one readable without gold), fitted on the documents with
kept gold (`Calibration.fit`): a document's errors out of its items. With fewer
than `MIN_DOCUMENTS` gold documents there is nothing to calibrate on and the
estimate is the signals' own say (`Calibration.uncalibrated`): the larger of
the ungrounded share and the disagreement between runs.

A prediction's **score** (what Label Studio receives, `confidence`) is
``1 - P(wrong)`` for the document: the estimated probability that its
extraction needs no correction at all. Its errors are counted as a Poisson
number with mean ``P(item wrong) x its items`` (`expected_errors`; the items
are its quotes times the gold's items per predicted quote, fitted with the
rate), so the score is ``exp(-expected errors)``. Label Studio's "Uncertainty
sampling" serves the lowest score first: the documents where annotators will
find the most errors come first. (Ordering by the rate alone would put short
documents with a few errors first: on PolNeAR dev it found 21% of the errors
in the first 20% of tasks, random order's share; see docs/benchmarks.md.)
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from annotate.schemas import OUTLET, Annotation

#: Gold documents needed before the estimate is fitted on them.
MIN_DOCUMENTS = 20
#: Ridge penalty of the fit (on standardised signals; the intercept is not penalised).
PENALTY = 1.0
#: Newton steps of the fit, at most; it converges in a handful.
STEPS = 50
#: The estimate is kept inside these bounds (a score of exactly 0 or 1 claims too much).
FLOOR, CEILING = 0.001, 0.999


@dataclass(frozen=True)
class Signals:
    """What a prediction says about its own reliability, without gold.

    ``runs_disagree`` is None when the document has no second run to compare
    with; ``past_error`` is None when this model version has no kept gold yet.
    """

    #: quotes the model returned that could not be found in the text, as a share of all
    ungrounded: float
    #: 1 - agreement with another run on the same document (another model, or the rules)
    runs_disagree: float | None = None
    #: this model version's error rate on the other documents with kept gold
    past_error: float | None = None
    #: claims per 1,000 characters of text
    claim_density: float = 0.0
    #: share of the claims whose speaker is named but has no mention in the text
    unlinked_speakers: float = 0.0
    #: share of the claims that are direct quotations (quotation marks bound them)
    direct_claims: float = 0.0
    #: log10 of the text's length in characters
    log_length: float = 0.0
    #: the quotes the model returned (grounded or not): what annotators review
    quotes: int = 0


#: The fitted features, in order: each signal, with an indicator where a signal may be missing.
FEATURES = (
    "ungrounded",
    "runs_disagree",
    "has_second_run",
    "past_error",
    "has_past_error",
    "claim_density",
    "unlinked_speakers",
    "direct_claims",
    "log_length",
)


def features(signals: Signals) -> list[float]:
    """`signals` as the fit's numbers (a missing signal is 0 with its indicator 0)."""
    return [
        signals.ungrounded,
        signals.runs_disagree or 0.0,
        float(signals.runs_disagree is not None),
        signals.past_error or 0.0,
        float(signals.past_error is not None),
        signals.claim_density,
        signals.unlinked_speakers,
        signals.direct_claims,
        signals.log_length,
    ]


@dataclass(frozen=True)
class Shape:
    """What the signals read of a prediction: the actors with a mention, and each claim's
    speaker and attribution."""

    mentioned: frozenset[str]
    #: (speaker, attribution) of each claim
    claims: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, annotation: Annotation) -> Shape:
        mentioned = frozenset(a.canonical_name for a in annotation.actors if a.mentions)
        return cls(mentioned, tuple((c.speaker, c.attribution) for c in annotation.claims))

    @classmethod
    def of_json(cls, stored: str) -> Shape:
        """The shape of a stored prediction, read as plain JSON: a 5 MB article's
        100,000 mentions cost the validated model about 250 MiB and plain JSON about 40,
        and `annotate push` scores each document while it builds the task."""
        data = json.loads(stored)
        mentioned = frozenset(a["canonical_name"] for a in data["actors"] if a["mentions"])
        return cls(mentioned, tuple((c["speaker"], c["attribution"]) for c in data["claims"]))


def signals_of(
    annotation: Annotation | Shape,
    text_length: int,
    *,
    spans: int,
    hallucinations: int,
    runs_disagree: float | None = None,
    past_error: float | None = None,
) -> Signals:
    """The signals of one prediction of a text of `text_length` characters."""
    shape = annotation if isinstance(annotation, Shape) else Shape.of(annotation)
    quotes = spans + hallucinations
    named = [c for c in shape.claims if c[0] != OUTLET]
    unlinked = sum(speaker not in shape.mentioned for speaker, _ in named)
    direct = sum(attribution == "direct" for _, attribution in shape.claims)
    claims = len(shape.claims)
    return Signals(
        ungrounded=hallucinations / quotes if quotes else 0.0,
        runs_disagree=runs_disagree,
        past_error=past_error,
        claim_density=1000 * claims / max(text_length, 1),
        unlinked_speakers=unlinked / len(named) if named else 0.0,
        direct_claims=direct / claims if claims else 0.0,
        log_length=math.log10(max(text_length, 1)),
        quotes=quotes,
    )


@dataclass(frozen=True)
class Observed:
    """One gold document for the fit: its prediction's signals, errors and items."""

    signals: Signals
    errors: float
    items: float

    @property
    def rate(self) -> float:
        return self.errors / self.items if self.items else 0.0


@dataclass
class Calibration:
    """The fitted estimate: P(wrong) of a prediction from its signals.

    ``weights`` is empty when uncalibrated (fewer than `MIN_DOCUMENTS` gold
    documents); ``mean`` and ``scale`` standardise the features before the
    weights apply; the intercept is ``weights[0]``.
    """

    documents: int = 0
    weights: list[float] = field(default_factory=list)
    mean: list[float] = field(default_factory=list)
    scale: list[float] = field(default_factory=list)
    #: the gold documents' overall error rate (errors / items)
    base_rate: float | None = None
    #: the gold's items per quote of the model (1 until fitted)
    items_per_quote: float = 1.0

    @property
    def calibrated(self) -> bool:
        return bool(self.weights)

    @classmethod
    def uncalibrated(cls, documents: int = 0, base_rate: float | None = None) -> Calibration:
        return cls(documents=documents, base_rate=base_rate)

    @classmethod
    def fit(cls, observed: Sequence[Observed], min_documents: int = MIN_DOCUMENTS) -> Calibration:
        """Fit on gold documents (those with no item at all carry nothing and are left out)."""
        kept = [o for o in observed if o.items > 0]
        errors = sum(o.errors for o in kept)
        items = sum(o.items for o in kept)
        base = errors / items if items else None
        if len(kept) < min_documents:
            return cls.uncalibrated(len(kept), base)
        x = np.array([features(o.signals) for o in kept], dtype=float)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        design = np.hstack([np.ones((len(kept), 1)), (x - mean) / scale])
        weights = _logistic(
            design,
            np.array([o.errors for o in kept], dtype=float),
            np.array([o.items for o in kept], dtype=float),
        )
        quotes = sum(o.signals.quotes for o in kept)
        ratio = items / quotes if quotes else 1.0
        return cls(len(kept), weights.tolist(), mean.tolist(), scale.tolist(), base, ratio)

    def p_wrong(self, signals: Signals) -> float:
        """The estimated share of the prediction's items that are wrong."""
        if not self.calibrated:
            said = max(signals.ungrounded, signals.runs_disagree or 0.0)
            return _bounded(said)
        x = (np.array(features(signals)) - np.array(self.mean)) / np.array(self.scale)
        z = self.weights[0] + float(np.dot(self.weights[1:], x))
        return _bounded(1 / (1 + math.exp(-max(min(z, 40.0), -40.0))))

    def expected_errors(self, signals: Signals) -> float:
        """The errors annotators are expected to find in the prediction."""
        return self.p_wrong(signals) * self.items_per_quote * signals.quotes

    def confidence(self, signals: Signals) -> float:
        """The score Label Studio receives: P(no error) = exp(-expected errors), 6 digits."""
        return float(f"{math.exp(-self.expected_errors(signals)):.6g}")

    def as_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "calibrated": self.calibrated,
            "base_rate": None if self.base_rate is None else round(self.base_rate, 4),
            "items_per_quote": round(self.items_per_quote, 4),
            "weights": dict(zip(("intercept", *FEATURES), self.weights, strict=False)),
        }


def _bounded(p: float) -> float:
    return min(max(p, FLOOR), CEILING)


def _logistic(design: np.ndarray, errors: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Weights of a binomial logistic regression with a ridge penalty, by Newton's method."""
    weights = np.zeros(design.shape[1])
    rate = errors.sum() / items.sum()
    weights[0] = math.log(max(rate, 1e-6) / max(1 - rate, 1e-6))
    penalty = np.full(design.shape[1], PENALTY)
    penalty[0] = 0.0
    for _ in range(STEPS):
        p = 1 / (1 + np.exp(-np.clip(design @ weights, -40, 40)))
        gradient = design.T @ (errors - items * p) - penalty * weights
        hessian = (design.T * (items * p * (1 - p))) @ design + np.diag(penalty)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(len(weights)), gradient)
        weights = weights + step
        if np.abs(step).max() < 1e-8:
            break
    return weights
