"""Label Studio tasks from the store: one task per document with its latest prediction.

The output is a Label Studio import file (a JSON list of ``{"data", "predictions"}``)
that the import dialog of the Label Studio UI accepts as is, for a project
using `labelconfig.labeling_config()`. Offsets are Python code points, the
convention Label Studio 1.23's UI uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotate.codec import prediction_payload
from annotate.schemas import Annotation
from annotate.store import Document, Prediction, Store


def task_data(document: Document) -> dict[str, Any]:
    return {
        "text": document.text,
        "doc_id": document.id,
        "source": document.source,
        "meta": document.metadata,
    }


def prediction_for(prediction: Prediction) -> dict[str, Any]:
    """A stored prediction as a Label Studio prediction (results, version, score)."""
    annotation = Annotation.model_validate_json(prediction.annotation)
    return prediction_payload(
        annotation, prediction.model_version, score=prediction.grounded_share
    )


def task_for(document: Document, prediction: Prediction | None) -> dict[str, Any]:
    """One Label Studio task; bare (no predictions) when the document has none."""
    predictions = [] if prediction is None else [prediction_for(prediction)]
    return {"data": task_data(document), "predictions": predictions}


def iter_tasks(store: Store) -> Iterator[dict[str, Any]]:
    for document, prediction in store.iter_documents_with_predictions():
        yield task_for(document, prediction)


def write_tasks(store: Store, out: Path) -> int:
    """Stream every task into `out` as a JSON list; return how many were written."""
    count = 0
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for task in iter_tasks(store):
            handle.write(",\n" if count else "\n")
            handle.write(json.dumps(task, ensure_ascii=False))
            count += 1
        handle.write("\n]\n")
    tmp.replace(out)
    return count
