"""Which annotation of a document a comparison reads: the compare stage's rule, not the store's.

The store hands each document with its kept gold and its latest prediction
(`store.comparisons.documents`); `annotation_to_compare` chooses: gold where people
made one, else the latest prediction, or one origin only when asked.
"""

from __future__ import annotations

import pytest

from annotate.compare.claims import annotation_to_compare, read_documents
from annotate.store import JobKey, Prediction, RunSpec, Store, StoredGold

JOB = JobKey("mv-1", "pv", "sv", "ph")


def _predict(store: Store, run_id: int, document_id: str, annotation: str, version: str) -> None:
    job = JobKey(version, JOB.prompt_version, JOB.schema_version, JOB.params_hash)
    store.predictions.add(Prediction(document_id, run_id, "rules", "rules", job, annotation, 1, 0))


def _gold(document_id: str, annotation: str | None) -> StoredGold:
    return StoredGold(document_id, "inputs", "majority", ["ann@x", "bob@x"], False, [], [],
                      [1], annotation, "{}")  # fmt: skip


@pytest.fixture
def compared(store: Store) -> Store:
    """Four documents: gold and predictions; predictions only; unusable gold; nothing."""
    for number in range(4):
        store.documents.add(f"doc{number}", f"h{number}", f"text {number}", f"{number}.txt", {})
    run_id = store.runs.start(RunSpec("rules", "rules", "mv-1", "pv", "sv", {}, 1))
    _predict(store, run_id, "doc0", '{"p": 0}', "mv-1")
    _predict(store, run_id, "doc1", '{"p": "old"}', "mv-1")
    _predict(store, run_id, "doc1", '{"p": "new"}', "mv-2")
    store.gold.save([_gold("doc0", '{"g": 0}'), _gold("doc2", None)])
    return store


def _chosen(store: Store, origin: str) -> list[tuple[str, str, str, str]]:
    return [
        (chosen.document.id, chosen.origin, chosen.made_by, chosen.annotation)
        for row in store.comparisons.documents()
        if (chosen := annotation_to_compare(row, origin)) is not None
    ]


def test_gold_wins_over_the_latest_prediction_by_default(compared: Store) -> None:
    assert _chosen(compared, "auto") == [
        ("doc0", "gold", "majority", '{"g": 0}'),
        ("doc1", "prediction", "mv-2", '{"p": "new"}'),
    ]


def test_one_origin_reads_that_origin_only(compared: Store) -> None:
    assert _chosen(compared, "gold") == [("doc0", "gold", "majority", '{"g": 0}')]
    assert _chosen(compared, "predictions") == [
        ("doc0", "prediction", "mv-1", '{"p": 0}'),
        ("doc1", "prediction", "mv-2", '{"p": "new"}'),
    ]


def test_the_store_hands_both_annotations_and_decides_nothing(compared: Store) -> None:
    rows = {row.document.id: (row.gold, row.prediction) for row in compared.comparisons.documents()}
    assert rows == {
        "doc0": (("majority", '{"g": 0}'), ("mv-1", '{"p": 0}')),
        "doc1": (None, ("mv-2", '{"p": "new"}')),
        "doc2": (None, None),  # its vote made no valid annotation
        "doc3": (None, None),
    }


def test_an_unknown_origin_is_refused(compared: Store) -> None:
    with pytest.raises(ValueError, match="origin must be one of auto, gold, predictions"):
        next(read_documents(compared, "everything"))
