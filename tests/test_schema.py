"""Schema derivation: the strict JSON schema and the versions follow the Pydantic models."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import BaseModel, ValidationError

from annotate.prompts import load_prompt, prompt_version
from annotate.schemas import (
    OVERALL_STANCE_SCALE,
    Extraction,
    schema_version,
    strict_json_schema,
)


def _objects(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_objects(item))
    return found


def test_strict_schema_meets_structured_output_rules() -> None:
    schema = strict_json_schema()
    objects = _objects(schema)
    assert len(objects) >= 5  # Extraction, Actor, Claim, Stance, DocumentStance
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    text = str(schema)
    assert "'default'" not in text and "'title'" not in text


def test_schema_carries_the_enums_in_order() -> None:
    defs = strict_json_schema()["$defs"]
    assert tuple(defs["DocumentStance"]["properties"]["overall"]["enum"]) == OVERALL_STANCE_SCALE
    assert defs["Claim"]["properties"]["cue"]["anyOf"][1] == {"type": "null"}


def test_schema_version_changes_with_the_model() -> None:
    class Other(BaseModel):
        label: Literal["a", "b"]

    class Another(BaseModel):
        label: Literal["a", "b", "c"]

    assert schema_version(Other) != schema_version(Another)
    assert schema_version() == schema_version(Extraction)
    assert len(schema_version()) == 12


def test_prompt_is_versioned_by_content() -> None:
    assert "verbatim" in load_prompt()
    assert len(prompt_version()) == 12


def test_extraction_rejects_unknown_keys_and_bad_labels() -> None:
    good = {
        "actors": [],
        "claims": [],
        "stances": [],
        "document": {"main_target": "NATO", "overall": "against"},
    }
    Extraction.model_validate(good)
    with pytest.raises(ValidationError):
        Extraction.model_validate({**good, "extra": 1})
    with pytest.raises(ValidationError):
        Extraction.model_validate({**good, "document": {"main_target": "x", "overall": "meh"}})
