"""Label Studio tasks from the store: one task per document with its latest prediction.

The output is a Label Studio import file (a JSON list of ``{"data", "predictions"}``)
that the import dialog of the Label Studio UI accepts as is, for a project
using `labelconfig.labeling_config()`. Offsets are Python code points, the
convention Label Studio 1.23's UI uses.

A prediction carries at most `MAX_REGIONS` span regions: those of the text's
beginning (`capped`). The rules find about 100,000 regions in a 5 MB article;
nobody can review that many in Label Studio's editor, and Label Studio's own
check of an imported prediction takes time quadratic in its results (each
labelled region scans the whole result list, each relation re-indexes every
region: 2 s for 5,000 results, hours for 300,000). The whole extraction stays in
the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate.codec import prediction_payload, regions_of
from annotate.schemas import Annotation, Span
from annotate.store import Document, Prediction, Store

from .order import Ranking


def task_data(document: Document) -> dict[str, Any]:
    return {
        "text": document.text,
        "doc_id": document.id,
        "source": document.source,
        "meta": document.metadata,
    }


#: Span regions a task's prediction carries at most (see the module's docstring).
MAX_REGIONS = 1_000


@dataclass(frozen=True)
class Cap:
    """A prediction cut to its first regions: what was predicted and what a task carries."""

    document_id: str
    regions: int
    kept: int
    #: Kept are the regions that end before this code point offset.
    until: int


def capped(
    annotation: Annotation, limit: int = MAX_REGIONS
) -> tuple[Annotation, int, int | None]:
    """`annotation` cut to at most `limit` span regions, the earliest; (it, regions, cut).

    Kept is every item whose spans all end before the cut (None when the
    annotation is within the limit and kept whole): an actor keeps its mentions there
    (and goes when none is left, its name then typed where a claim or stance
    names it), a claim with its cue, a stance with its evidence; the document's
    stance stays.
    """
    spans = regions_of(annotation).spans
    if len(spans) <= limit:
        return annotation, len(spans), None
    cut = sorted(region.end for region in spans)[limit]

    def before(span: Span | None) -> bool:
        return span is None or span.end < cut

    actors = [actor.model_copy(update={"mentions": [m for m in actor.mentions if before(m)]})
              for actor in annotation.actors]  # fmt: skip
    kept = annotation.model_copy(
        update={
            "actors": [actor for actor in actors if actor.mentions],
            "claims": [c for c in annotation.claims if before(c.span) and before(c.cue)],
            "stances": [s for s in annotation.stances if before(s.evidence)],
        }
    )
    return kept, len(spans), cut


def prediction_for(prediction: Prediction, limit: int = MAX_REGIONS) -> dict[str, Any]:
    """A stored prediction as a Label Studio prediction (results, version, score)."""
    return capped_prediction(prediction, limit)[0]


def capped_prediction(
    prediction: Prediction, limit: int = MAX_REGIONS, score: float | None = None
) -> tuple[dict[str, Any], Cap | None]:
    """The Label Studio prediction, and how it was cut when it had more than `limit` regions.

    Its score is `score`, 1 - the estimated P(wrong) of the prediction
    (`workflows.confidence`: the chance it needs no correction); without one (a
    caller that does not rank), the share of its quotes that were grounded.
    """
    whole = Annotation.model_validate_json(prediction.annotation)
    annotation, regions, cut = capped(whole, limit)
    score = prediction.grounded_share if score is None else score
    payload = prediction_payload(annotation, prediction.model_version, score=score)
    if cut is None:
        return payload, None
    kept = sum(result["type"] == "labels" for result in payload["result"])
    return payload, Cap(prediction.document_id, regions, kept, cut)


def task_for(document: Document, prediction: Prediction | None) -> dict[str, Any]:
    """One Label Studio task; bare (no predictions) when the document has none."""
    return capped_task(document, prediction)[0]


def capped_task(
    document: Document,
    prediction: Prediction | None,
    limit: int = MAX_REGIONS,
    *,
    score: float | None = None,
    columns: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], Cap | None]:
    """One Label Studio task, and how its prediction was cut (None when it was not).

    `columns` are added to its data (`order.Ranking.columns`), `score` is its prediction's.
    """
    data = {**task_data(document), **(columns or {})}
    if prediction is None:
        return {"data": data, "predictions": []}, None
    payload, cap = capped_prediction(prediction, limit, score)
    return {"data": data, "predictions": [payload]}, cap


def iter_tasks(store: Store) -> Iterator[dict[str, Any]]:
    for document, prediction in store.predictions.with_documents():
        yield task_for(document, prediction)


def write_tasks(
    store: Store, out: Path, caps: list[Cap] | None = None, ranking: Ranking | None = None
) -> int:
    """Stream every task into `out` as a JSON list; return how many were written.

    Each prediction cut to its first regions is added to `caps`; each task carries
    the score and columns of `ranking` (as `annotate push` sends them).
    """
    ranking = ranking or Ranking()
    count = 0
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for document, prediction in store.predictions.with_documents():
            task, cap = capped_task(document, prediction, score=ranking.score(document.id),
                                    columns=ranking.columns(document.id))  # fmt: skip
            if cap is not None and caps is not None:
                caps.append(cap)
            handle.write(",\n" if count else "\n")
            handle.write(json.dumps(task, ensure_ascii=False))
            count += 1
        handle.write("\n]\n")
    tmp.replace(out)
    return count
