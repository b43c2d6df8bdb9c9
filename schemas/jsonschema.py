"""Derive the LLM-facing JSON schema from the Pydantic models.

OpenAI's strict structured outputs accept a subset of JSON Schema: the root
is an object (never ``anyOf``), every object lists all its properties as
required and forbids additional ones, unions are ``anyOf`` (``oneOf`` is
refused) and keywords such as ``default`` are rejected. Pydantic's own schema
is close; this module closes the gap so the same model drives both strict mode
and the JSON-mode fallback, and so that its content hash versions the schema.
A discriminated union (Pydantic's ``oneOf`` with a ``discriminator``) becomes
``anyOf``: its variants exclude each other by their tag, so nothing is lost;
a one-value ``const`` tag becomes a one-value ``enum``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from typing import Any

from pydantic import BaseModel

from .news import Extraction

_UNSUPPORTED_KEYWORDS = ("default", "title", "minimum", "maximum", "format")


def strict_json_schema(model: type[BaseModel] = Extraction) -> dict[str, Any]:
    """Return `model`'s JSON schema in the form strict structured outputs accept (a copy:
    the caller may change it)."""
    return copy.deepcopy(_strict_schema(model))


@cache
def _strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Generated once per model class (a class's schema is fixed once it is built):
    Pydantic builds the whole schema at each call, ~5 ms for `Extraction`."""
    schema = copy.deepcopy(model.model_json_schema())
    _make_strict(schema)
    return schema


def _make_strict(node: Any) -> None:
    if isinstance(node, dict):
        for keyword in _UNSUPPORTED_KEYWORDS:
            if keyword in node and not isinstance(node[keyword], dict):
                node.pop(keyword)
        if isinstance(node.get("oneOf"), list):
            node["anyOf"] = node.pop("oneOf")
            node.pop("discriminator", None)
        if "const" in node and not isinstance(node["const"], dict):
            node["enum"] = [node.pop("const")]
        if node.get("type") == "object" and "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node["properties"])
        for value in node.values():
            _make_strict(value)
    elif isinstance(node, list):
        for item in node:
            _make_strict(item)


@cache
def schema_version(model: type[BaseModel] = Extraction) -> str:
    """A short content hash of the schema: changes whenever the schema does.

    Kept per model class: a job asks for it in its model version, its job key and its
    cache keys, and an idle pre-annotation run generated the schema 7 times for it.
    """
    canonical = json.dumps(_strict_schema(model), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
