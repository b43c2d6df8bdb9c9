"""Persistence: one SQLite file evolved by numbered migrations, a repository per stage's tables.

`Store` opens the file; ``store.documents``, ``store.predictions``, ``store.gold``,
``store.comparisons`` ... read and write each stage's rows, typed by the dataclasses
re-exported here. Those of the comparison stage (`comparisons`, `verification`) load on
first use: they pull in its verdict schema, which no other command needs (issue 22).
"""

from typing import TYPE_CHECKING, Any

from .annotations import AnnotatedRows, AnnotationKey, PulledAnnotation
from .batches import BatchAnswer, BatchRequest, StoredBatch
from .calls import CallTotals, LLMCall
from .database import DB_ENV, DEFAULT_DB, Store, resolve_db_path
from .documents import Document, DocumentListing
from .evaluations import CallCost, StoredEvaluation
from .gold import StoredGold
from .jobs import JobKey
from .leases import Holder
from .predictions import Prediction
from .pulled import PulledRow
from .runs import Failure, Run, RunCounts, RunSpec

if TYPE_CHECKING:
    from .comparisons import (
        ClaimPair,
        ClaimRef,
        ComparableDocument,
        ComparisonRun,
        KeptVerdict,
        StoredFact,
        StoredVerdict,
    )
    from .verification import (
        WAITING_FOR_REVIEW,
        ComparisonTask,
        PulledVerdict,
        VerifiedVerdict,
    )

#: The names re-exported from a module loaded on first use, with that module.
_LAZY = {
    **dict.fromkeys(("ClaimPair", "ClaimRef", "ComparableDocument", "ComparisonRun",
                     "KeptVerdict", "StoredFact", "StoredVerdict"), "comparisons"),
    **dict.fromkeys(("WAITING_FOR_REVIEW", "ComparisonTask", "PulledVerdict",
                     "VerifiedVerdict"), "verification"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    """Load a comparison-stage name on first use (PEP 562), and keep it here."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DB_ENV",
    "DEFAULT_DB",
    "AnnotatedRows",
    "AnnotationKey",
    "BatchAnswer",
    "BatchRequest",
    "CallCost",
    "CallTotals",
    "ClaimPair",
    "ClaimRef",
    "ComparableDocument",
    "ComparisonRun",
    "ComparisonTask",
    "Document",
    "DocumentListing",
    "Failure",
    "Holder",
    "JobKey",
    "KeptVerdict",
    "LLMCall",
    "Prediction",
    "PulledAnnotation",
    "PulledRow",
    "PulledVerdict",
    "Run",
    "RunCounts",
    "RunSpec",
    "Store",
    "StoredBatch",
    "StoredEvaluation",
    "StoredFact",
    "StoredGold",
    "StoredVerdict",
    "VerifiedVerdict",
    "WAITING_FOR_REVIEW",
    "resolve_db_path",
]
