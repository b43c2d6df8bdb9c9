"""The Label Studio codec: the one translation between schema annotations and results.

Three shapes, one way between any two of them::

    Annotation --regions_of--> Regions --render--> Label Studio results
    Annotation <--regions_to_annotation-- Regions <--parse_results-- results

`stored` keeps regions as the store holds them (made at pull, read by the gold
pass). `layout` says how each schema field appears as a Label Studio control; the
labeling config (`annotate.studio.labelconfig`), push and pull
(`annotate.studio`), and agreement, adjudication and model-vs-gold
(`annotate.gold`) all read annotations through this package, so a field is
exactly what annotators edit, and neither stage reaches into the other.
"""

from .decode import (
    ConversionError,
    canonical_order,
    parse_results,
    regions_to_annotation,
    results_to_annotation,
)
from .encode import annotation_to_results, prediction_payload, regions_of
from .regions import Region, Regions, Relation, Result, render
from .stored import codec_version, dump_regions, load_regions

__all__ = [
    "ConversionError",
    "Region",
    "Regions",
    "Relation",
    "Result",
    "annotation_to_results",
    "canonical_order",
    "codec_version",
    "dump_regions",
    "load_regions",
    "parse_results",
    "prediction_payload",
    "regions_of",
    "regions_to_annotation",
    "render",
    "results_to_annotation",
]
