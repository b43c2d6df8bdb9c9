"""Random instances of a JSON schema: what a server that follows only the schema may answer.

Strict structured outputs guarantee an answer valid under the schema sent,
not the answer a prompt hopes for: any instance may come back. The fake LLM
server (`annotate.testing.llm_server`) answers with `random_instance` to test
that a client takes every one of them. It covers the subset strict mode
accepts (objects, arrays, strings, numbers, booleans, null, ``enum``,
``const``, ``anyOf``, ``$ref`` into ``$defs``); any other keyword that
constrains a value raises `UnsupportedSchema`, so a schema outside the subset
is noticed instead of half-followed.

``ignore_unions`` imitates a server (or a model in JSON mode) that does not
keep a union of objects apart: it answers one object with every variant's
properties, as the schema would be without its ``anyOf``.
"""

from __future__ import annotations

import random
import string
from typing import Any

#: Keywords that say nothing about which values are valid.
_ANNOTATIONS = frozenset({"description", "title", "$defs", "definitions", "default", "examples"})
_HANDLED = frozenset(
    {"type", "enum", "const", "anyOf", "$ref", "properties", "required",
     "additionalProperties", "items"}
)  # fmt: skip
#: Strings worth trying: empty, spaces, quotes, escapes, non-ASCII, long.
_AWKWARD_STRINGS = ("", " ", '"', "\\", "\n", "Zürich", "80", "naïve “quotes”", "中文", "🙂",
                    "x" * 300)  # fmt: skip
_MAX_DEPTH = 16


class UnsupportedSchema(ValueError):
    """The schema uses a keyword the generator does not follow."""


def random_instance(schema: dict[str, Any], rng: random.Random, *,
                    ignore_unions: bool = False) -> Any:  # fmt: skip
    """One instance valid under `schema` (unless `ignore_unions`), drawn with `rng`."""
    return _Draw(schema, rng, ignore_unions).value(schema, 0)


class _Draw:
    def __init__(self, root: dict[str, Any], rng: random.Random, ignore_unions: bool) -> None:
        self.root = root
        self.rng = rng
        self.ignore_unions = ignore_unions

    def value(self, node: dict[str, Any], depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise UnsupportedSchema("the schema nests deeper than the generator follows")
        unknown = set(node) - _HANDLED - _ANNOTATIONS
        if unknown:
            raise UnsupportedSchema(f"unsupported keywords: {', '.join(sorted(unknown))}")
        if "$ref" in node:
            return self.value(self.resolve(node["$ref"]), depth + 1)
        if "anyOf" in node:
            return self.one_of(node["anyOf"], depth)
        if "const" in node:
            return node["const"]
        if "enum" in node:
            return self.rng.choice(node["enum"])
        kind = node.get("type")
        if isinstance(kind, list):
            kind = self.rng.choice(kind)
        return self.typed(kind, node, depth)

    def one_of(self, variants: list[dict[str, Any]], depth: int) -> Any:
        resolved = [self.resolved(variant) for variant in variants]
        objects = [v for v in resolved if v.get("type") == "object" and "properties" in v]
        if self.ignore_unions and len(objects) > 1:
            return self.value(merged_object(objects), depth + 1)
        return self.value(self.rng.choice(variants), depth + 1)

    def typed(self, kind: Any, node: dict[str, Any], depth: int) -> Any:
        if kind == "object":
            return self.object(node, depth)
        if kind == "array":
            items = node.get("items", {})
            return [self.value(items, depth + 1) for _ in range(self.rng.randint(0, 3))]
        if kind == "string":
            return self.string()
        if kind == "integer":
            return self.rng.randint(-1000, 1000)
        if kind == "number":
            return self.rng.choice([0, -1.5, 3.25, 1e6])
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        raise UnsupportedSchema(f"a value without a type the generator knows: {node!r}")

    def object(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        if node.get("additionalProperties") is not False:
            raise UnsupportedSchema("objects must forbid additional properties")
        required = set(node.get("required", []))
        return {
            name: self.value(schema, depth + 1)
            for name, schema in node.get("properties", {}).items()
            if name in required or self.rng.random() < 0.5
        }

    def string(self) -> str:
        if self.rng.random() < 0.3:
            return self.rng.choice(_AWKWARD_STRINGS)
        alphabet = string.ascii_letters + string.digits + " ,.'-"
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(1, 40)))

    def resolved(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.resolve(node["$ref"])
        return node

    def resolve(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#/"):
            raise UnsupportedSchema(f"only local references are followed, not {ref!r}")
        node: Any = self.root
        for part in ref[2:].split("/"):
            node = node[part]
        return dict(node)


def merged_object(variants: list[dict[str, Any]]) -> dict[str, Any]:
    """One object with every variant's properties, all required: the union ignored."""
    properties: dict[str, list[dict[str, Any]]] = {}
    for variant in variants:
        for name, schema in variant["properties"].items():
            properties.setdefault(name, []).append(schema)
    merged = {name: s[0] if len(s) == 1 else {"anyOf": s} for name, s in properties.items()}
    return {"type": "object", "properties": merged, "required": list(merged),
            "additionalProperties": False}  # fmt: skip
