"""Pydantic schemas for claims, actors and stance (`news`) and for comparing claims (`compare`)."""

from .compare import DETAILS, RELATIONS, Detail, DifferingValues, Relation, Verdict
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
