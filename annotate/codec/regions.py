"""The parsed form of Label Studio results: regions, their attributes, relations.

This is the one shape in which an annotation is compared, voted on and scored:
a region per span an annotator draws (with its control and label), the
per-region choices and text areas annotators fill in, the relations they draw,
and the document-level choices. `encode.regions_of` makes it from a schema
`Annotation`, `decode.parse_results` from Label Studio's result list;
`render` turns it into results and `decode.regions_to_annotation` back into an
`Annotation`, so there is exactly one way between any two of the three shapes.

Two regions are equal when their control, label and offsets are: that is how
the same region drawn by two annotators (or predicted and then kept) is
recognised. Their ids, text and attributes do not take part in equality. A
region is hashable and treated as immutable once made (it is not frozen only
because a frozen dataclass is several times slower to make, and a corpus has
millions of regions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import layout as L

Result = dict[str, Any]


@dataclass(unsafe_hash=True, slots=True)
class Region:
    control: str
    label: str
    start: int
    end: int
    id: str = field(default="", compare=False)
    text: str = field(default="", compare=False)
    #: Per-region choices and text areas: {control: value}, never empty strings.
    attributes: dict[str, str] = field(default_factory=dict, compare=False)

    def overlaps(self, other: Region) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Relation:
    label: str
    source: Region
    target: Region


@dataclass
class Regions:
    """One annotation as Label Studio controls see it; built once, then only read."""

    spans: list[Region] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    #: Document-level choices and texts: {control: value}.
    document: dict[str, str] = field(default_factory=dict)

    def of(self, control: str) -> list[Region]:
        """The regions of one control, in the order they were drawn."""
        return self._by_control.get(control, [])

    def labelled(self, control: str, label: str) -> list[Region]:
        """The regions of one control with one label, in the order they were drawn."""
        return self._by_label.get((control, label), [])

    def linked(self, region: Region, relation: str, control: str) -> Region | None:
        """The first region of `control` related to `region` by `relation`, either direction."""
        for label, other in self._neighbours.get(id(region), ()):
            if label == relation and other.control == control:
                return other
        return None

    @cached_property
    def _by_control(self) -> dict[str, list[Region]]:
        index: dict[str, list[Region]] = {}
        for region in self.spans:
            index.setdefault(region.control, []).append(region)
        return index

    @cached_property
    def _by_label(self) -> dict[tuple[str, str], list[Region]]:
        index: dict[tuple[str, str], list[Region]] = {}
        for region in self.spans:
            index.setdefault((region.control, region.label), []).append(region)
        return index

    @cached_property
    def _neighbours(self) -> dict[int, list[tuple[str, Region]]]:
        index: dict[int, list[tuple[str, Region]]] = {}
        for relation in self.relations:
            index.setdefault(id(relation.source), []).append((relation.label, relation.target))
            index.setdefault(id(relation.target), []).append((relation.label, relation.source))
        return index


def render(regions: Regions, origin: str | None = "prediction") -> list[Result]:
    """Label Studio results: each region with its attributes, then relations, then the document.

    Per-region attributes share their region's id and offsets (that is how Label
    Studio ties a per-region control to its region); document-level ones get
    ids of their own.
    """
    results = [result for region in regions.spans for result in _region_results(region, origin)]
    results.extend(_relation_result(relation) for relation in regions.relations)
    for control in (L.MAIN_TARGET, L.OVERALL_STANCE):
        if control in regions.document:
            value = _attribute_value(control, regions.document[control])
            results.append(_result(f"document-{control}", control, value, origin))
    return results


def _region_results(region: Region, origin: str | None) -> Iterator[Result]:
    offsets = {"start": region.start, "end": region.end}
    labels = {**offsets, "text": region.text, "labels": [region.label]}
    yield _result(region.id, region.control, labels, origin, kind="labels")
    for control, value in region.attributes.items():
        yield _result(region.id, control, {**offsets, **_attribute_value(control, value)}, origin)


def _attribute_value(control: str, value: str) -> dict[str, list[str]]:
    return {"choices": [value]} if control in L.CHOICES else {"text": [value]}


def _result(
    region_id: str, control: str, value: dict[str, Any], origin: str | None, kind: str = ""
) -> Result:
    kind = kind or ("choices" if "choices" in value else "textarea")
    result: Result = {"id": region_id, "from_name": control, "to_name": L.TEXT, "type": kind}
    if origin:
        result["origin"] = origin
    result["value"] = value
    return result


def _relation_result(relation: Relation) -> Result:
    return {
        "from_id": relation.source.id,
        "to_id": relation.target.id,
        "type": "relation",
        "direction": "right",
        "labels": [relation.label],
    }
