"""Pydantic schemas for claims, actors and stance (`news`) and for comparing claims (`compare`).

`compare`'s names load on first use: building its models costs every command that never
compares claims (pre-annotation, ingest, push) 13 ms of start-up (issue 22).
"""

from typing import TYPE_CHECKING, Any

from .dataset import DocumentMetadata
from .jsonschema import schema_version, strict_json_schema
from .news import (
    ACTOR_TYPES,
    ATTRIBUTIONS,
    OUTLET,
    OVERALL_STANCE_SCALE,
    STANCE_LABELS,
    Actor,
    Annotation,
    Claim,
    DocumentStance,
    Extraction,
    GroundedActor,
    GroundedClaim,
    GroundedStance,
    Span,
    Stance,
)

if TYPE_CHECKING:
    from .compare import DETAILS, RELATIONS, Detail, DifferingValues, Relation, Verdict

#: The names re-exported from `compare`, loaded on first use.
_FROM_COMPARE = ("DETAILS", "RELATIONS", "Detail", "DifferingValues", "Relation", "Verdict")


def __getattr__(name: str) -> Any:
    """Load a name of `compare` on first use (PEP 562), and keep it here."""
    if name not in _FROM_COMPARE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import compare

    value = getattr(compare, name)
    globals()[name] = value
    return value


__all__ = [
    "DETAILS",
    "RELATIONS",
    "Detail",
    "DifferingValues",
    "Relation",
    "Verdict",
    "DocumentMetadata",
    "ACTOR_TYPES",
    "ATTRIBUTIONS",
    "OUTLET",
    "OVERALL_STANCE_SCALE",
    "STANCE_LABELS",
    "Actor",
    "Annotation",
    "Claim",
    "DocumentStance",
    "Extraction",
    "GroundedActor",
    "GroundedClaim",
    "GroundedStance",
    "Span",
    "Stance",
    "schema_version",
    "strict_json_schema",
]
