"""Regions as the store keeps them: made when an annotation is pulled, read by every gold pass.

`regions_of` an annotation gives the same regions until the codec or the schema
changes, and validating an annotation's JSON and encoding it again is most of
what the gold pass spends on each annotator. So pull keeps each annotation's
regions beside it (`dump_regions`), stamped with `codec_version`, and the gold
pass reads them back (`load_regions`); regions stamped with another version are
not read (the annotation is encoded afresh).

The stored form is JSON: each region as ``[control, label, start, end, id,
text, attributes]`` in order, each relation as ``[label, source, target]`` with
its ends as positions in that list, and the document-level choices. Reading it
back gives regions equal to the ones dumped, field by field and in the same
order, so nothing computed from them can differ.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from pydantic_core import from_json

from annotate.schemas import Annotation, schema_version

from .regions import Region, Regions, Relation


@lru_cache(maxsize=1)
def codec_version() -> str:
    """The version of what `regions_of` makes: the codec's source and the annotation schema."""
    digest = hashlib.sha256(schema_version(Annotation).encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def dump_regions(regions: Regions) -> str:
    """The regions as the store keeps them."""
    position = {id(region): number for number, region in enumerate(regions.spans)}
    return json.dumps(
        {
            "spans": [[r.control, r.label, r.start, r.end, r.id, r.text, r.attributes]
                      for r in regions.spans],
            "relations": [[r.label, position[id(r.source)], position[id(r.target)]]
                          for r in regions.relations],
            "document": regions.document,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )  # fmt: skip


def load_regions(stored: str) -> Regions:
    """Regions from their stored form: equal to the ones dumped, in the same order."""
    data = from_json(stored)
    spans = [Region(*fields) for fields in data["spans"]]
    relations = [Relation(label, spans[source], spans[target])
                 for label, source, target in data["relations"]]  # fmt: skip
    return Regions(spans, relations, data["document"])
