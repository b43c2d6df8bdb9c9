"""Pydantic schemas for claims, actors and stance (see `news`)."""

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
