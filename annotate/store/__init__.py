"""Persistence: one SQLite file evolved by numbered migrations, read and written as typed rows."""

from .database import DB_ENV, DEFAULT_DB, Store, resolve_db_path
from .rows import (
    AnnotatedRows,
    AnnotationToCompare,
    ClaimRef,
    ComparisonRun,
    Document,
    DocumentListing,
    Failure,
    JobKey,
    LLMCall,
    Prediction,
    PulledAnnotation,
    Run,
    RunCounts,
    RunSpec,
    StoredGold,
    StoredVerdict,
)

__all__ = [
    "DB_ENV",
    "DEFAULT_DB",
    "AnnotatedRows",
    "AnnotationToCompare",
    "ClaimRef",
    "ComparisonRun",
    "Document",
    "DocumentListing",
    "Failure",
    "JobKey",
    "LLMCall",
    "Prediction",
    "PulledAnnotation",
    "Run",
    "RunCounts",
    "RunSpec",
    "Store",
    "StoredGold",
    "StoredVerdict",
    "resolve_db_path",
]
