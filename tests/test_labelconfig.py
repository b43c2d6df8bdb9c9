"""The labeling config is generated from the schema and matches what the converters emit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from annotate.codec import annotation_to_results
from annotate.codec import layout as L
from annotate.preannotate.grounding import ground_extraction
from annotate.preannotate.providers.rules import extract_rules
from annotate.schemas import ACTOR_TYPES, ATTRIBUTIONS, OVERALL_STANCE_SCALE, STANCE_LABELS
from annotate.studio.labelconfig import SHORTCUTS, config_version, labeling_config

from .conftest import ROOT, SEEDS

CONFIG = ET.fromstring(labeling_config())


def controls() -> dict[str, ET.Element]:
    return {e.get("name", ""): e for e in CONFIG.iter() if e.get("toName") == L.TEXT}


def values(name: str) -> list[str]:
    return [child.get("value", "") for child in controls()[name]]


def test_choice_lists_are_the_schema_literals_in_order() -> None:
    assert values(L.ACTOR) == list(ACTOR_TYPES)
    assert values(L.ATTRIBUTION) == list(ATTRIBUTIONS)
    assert values(L.STANCE) == list(STANCE_LABELS)
    assert values(L.OVERALL_STANCE) == list(OVERALL_STANCE_SCALE)
    relations = [r.get("value") for r in CONFIG.iter("Relation")]
    assert relations == list(L.RELATIONS)


def test_per_region_controls_show_for_their_region_kind() -> None:
    parents = {child: parent for parent in CONFIG.iter() for child in parent}
    for name in (L.ATTRIBUTION, L.CHECK_WORTHY, L.PROPOSITION, L.STANCE, L.CANONICAL_NAME):
        control = controls()[name]
        assert control.get("perRegion") == "true"
        assert parents[control].get("visibleWhen") == "region-selected"
    assert controls()[L.OVERALL_STANCE].get("perRegion") is None


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_every_result_refers_to_a_declared_control_and_value(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    results = annotation_to_results(ground_extraction(text, extract_rules(text)).annotation)
    declared = controls()
    relation_labels = {r.get("value") for r in CONFIG.iter("Relation")}
    for result in results:
        if result["type"] == "relation":
            assert set(result["labels"]) <= relation_labels
            continue
        control = declared[result["from_name"]]
        assert control.tag.lower() == result["type"]
        for value in result["value"].get("labels", []) + result["value"].get("choices", []):
            assert value in values(result["from_name"])


def test_config_version_is_a_content_hash() -> None:
    assert len(config_version()) == 12 and config_version() == config_version()


def test_relation_kinds_have_colours_of_their_own() -> None:
    colours = [r.get("background") for r in CONFIG.iter("Relation")]
    assert len(set(colours)) == len(L.RELATIONS) and None not in colours


def test_shortcuts_are_pinned_unique_and_documented() -> None:
    """Every span label and choice has its own key, and docs/annotators-day.md lists each."""
    keys = {
        (control.get("name"), child.get("value")): child.get("hotkey")
        for control in CONFIG.iter()
        if control.tag in ("Labels", "Choices") and control.get("toName") == L.TEXT
        for child in control
    }
    assert keys == SHORTCUTS and len(set(keys.values())) == len(keys)
    assert "r" not in keys.values()  # Label Studio keeps it (it skips it when numbering)
    page = (ROOT / "docs" / "annotators-day.md").read_text(encoding="utf-8")
    table = page.split("### Shortcuts", 1)[1].split("| control | keys |", 1)[1].split("\n\n")[0]
    rows = {line.split("|")[1].strip(" `"): line for line in table.splitlines()[2:]}
    for (control, value), key in SHORTCUTS.items():
        assert f"`{key}` {value}" in rows[control], (control, value, key)
