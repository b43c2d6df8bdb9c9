"""An annotation seen as Label Studio sees it: regions, per-region choices, relations.

Agreement and model-vs-gold scores are reported per Label Studio control (the
FIELD names of the report), so annotations are compared in that shape. It is
derived with the same converter that builds Label Studio results
(`annotate.studio.convert`), so a field here is exactly what annotators edit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from annotate.schemas import Annotation
from annotate.studio import layout as L
from annotate.studio.convert import annotation_to_results

#: Span controls (Labels) and the per-region choices each carries.
SPAN_FIELDS = tuple(L.SPAN_LABELS)
REGION_CHOICES = (L.ATTRIBUTION, L.CHECK_WORTHY, L.STANCE)
DOCUMENT_CHOICES = (L.OVERALL_STANCE,)
RELATION_FIELDS = L.RELATIONS


@dataclass(frozen=True)
class Region:
    control: str
    label: str
    start: int
    end: int

    def overlaps(self, other: Region) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Relation:
    label: str
    source: Region
    target: Region


@dataclass
class Regions:
    spans: list[Region] = field(default_factory=list)
    #: Per-region choices: region -> {control: value}.
    choices: dict[Region, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    relations: list[Relation] = field(default_factory=list)
    #: Document-level choices and texts: {control: value}.
    document: dict[str, str] = field(default_factory=dict)

    def of(self, control: str) -> list[Region]:
        return [region for region in self.spans if region.control == control]


def regions_of(annotation: Annotation) -> Regions:
    """The annotation's regions, choices and relations, by Label Studio control."""
    out = Regions()
    by_id: dict[str, Region] = {}
    results = annotation_to_results(annotation)
    for result in results:
        if result["type"] == "labels":
            value = result["value"]
            region = Region(result["from_name"], value["labels"][0], value["start"], value["end"])
            by_id[result["id"]] = region
            out.spans.append(region)
    for result in results:
        kind = result["type"]
        if kind == "relation":
            source, target = by_id[result["from_id"]], by_id[result["to_id"]]
            out.relations.append(Relation(result["labels"][0], source, target))
        elif kind in ("choices", "textarea"):
            items = result["value"].get("choices") or result["value"].get("text") or [""]
            if result["id"] in by_id:
                out.choices[by_id[result["id"]]][result["from_name"]] = str(items[0])
            else:
                out.document[result["from_name"]] = str(items[0])
    return out


def clusters(found: Mapping[str, Regions], kinds: tuple[str, ...]) -> list[dict[str, Region]]:
    """Regions of `kinds` grouped across annotators by overlap, one per annotator each."""
    tagged = sorted(
        (
            (region, who)
            for who in sorted(found)
            for region in found[who].spans
            if region.control in kinds
        ),
        key=lambda item: (item[0].start, item[0].end, item[1]),
    )
    groups: list[dict[str, Region]] = []
    for region, who in tagged:
        home = next(
            (g for g in groups if who not in g and any(r.overlaps(region) for r in g.values())),
            None,
        )
        if home is None:
            groups.append({who: region})
        else:
            home[who] = region
    return groups
