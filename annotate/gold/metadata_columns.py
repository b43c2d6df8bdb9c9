"""The export's ``metadata`` column: a struct of the documents' metadata fields, typed.

Researchers filter on ``metadata.outlet`` or ``metadata.date``; a JSON string in a
column cannot be filtered without parsing every row. So ``metadata`` is a struct:
the fields `schemas.DocumentMetadata` declares come first (every export has them),
then any other field the exported documents carry, in name order; a document
without a field has null there. A field's type is the one all its values share
(text, whole number, number, true/false); a field whose values disagree (a date
given as ``2024`` in one feed and ``"2024-05-01"`` in another) is written as text,
and so is a nested value (a list, an object), as its JSON.

The struct is known before the first row is written: one pass over the metadata of
the annotated documents (small, without their texts) collects the fields and the
kinds of their values.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterable, Mapping
from typing import Any, Union, get_args, get_origin

import pyarrow as pa

from annotate.schemas import DocumentMetadata

#: The Arrow type of a set of value kinds all values of a field share.
_TYPES: dict[frozenset[str], pa.DataType] = {
    frozenset({"str"}): pa.string(),
    frozenset({"json"}): pa.string(),
    frozenset({"bool"}): pa.bool_(),
    frozenset({"int"}): pa.int64(),
    frozenset({"float"}): pa.float64(),
    frozenset({"int", "float"}): pa.float64(),
}
_DECLARED: dict[type, str] = {str: "str", int: "int", float: "float", bool: "bool"}


def row_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A document's metadata as its exported row holds it: nested values as JSON text."""
    return {key: _json(value) if _kind(value) == "json" else value
            for key, value in sorted(metadata.items())}  # fmt: skip


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str" if isinstance(value, str) else "json"


def _declared_kind(annotation: Any) -> str:
    """``str | None`` -> ``str``: the kind a declared field has when no document gives it."""
    if get_origin(annotation) in (Union, types.UnionType):
        (annotation,) = [a for a in get_args(annotation) if a is not type(None)]
    return _DECLARED[annotation]


class MetadataFields:
    """The metadata fields of the exported documents, and the kinds of their values."""

    def __init__(self) -> None:
        self.kinds: dict[str, set[str]] = {name: set() for name in DocumentMetadata.model_fields}

    @classmethod
    def of(cls, metadatas: Iterable[Mapping[str, Any]]) -> MetadataFields:
        fields = cls()
        for metadata in metadatas:
            fields.add(metadata)
        return fields

    def add(self, metadata: Mapping[str, Any]) -> None:
        for key, value in metadata.items():
            kind = _kind(value)
            self.kinds.setdefault(key, set())
            if kind is not None:
                self.kinds[key].add(kind)

    def _names(self) -> list[str]:
        declared = list(DocumentMetadata.model_fields)
        return declared + sorted(set(self.kinds) - set(declared))

    def _kinds(self, name: str) -> frozenset[str]:
        kinds = self.kinds[name]
        if not kinds:  # declared, and no document gives it
            return frozenset({_declared_kind(DocumentMetadata.model_fields[name].annotation)})
        return frozenset(kinds)

    def arrow_type(self) -> pa.StructType:
        return pa.struct(
            [(name, _TYPES.get(self._kinds(name), pa.string())) for name in self._names()]
        )

    def as_text(self) -> frozenset[str]:
        """The fields written as text though some of their values are not text."""
        return frozenset(
            name for name in self._names()
            if self._kinds(name) not in _TYPES and self._kinds(name) - {"str", "json"}
        )  # fmt: skip


def as_text(row: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """`row` with the values of the metadata fields `names` written as text (JSON for non-text)."""
    metadata = row["metadata"]
    for name in names:
        value = metadata.get(name)
        if value is not None and not isinstance(value, str):
            metadata[name] = _json(value)
    return row
