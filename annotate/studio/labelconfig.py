"""The Label Studio labeling config, generated from the schema through `layout`.

Never written by hand: adding an actor type or a stance label to
`schemas/news.py` adds it here, in the converters and in the export at once.
Per-region controls sit in views shown only when a region of the right kind
is selected, so an annotator sees the claim's attributes when a claim is
selected and the actor's canonical name when a mention is.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

from annotate.codec import layout as L


def labeling_config() -> str:
    """The project's labeling config as an XML string."""
    root = ET.Element("View")
    _header(
        root,
        "Select text, then a label. Relations: claim → speaker, claim → cue, "
        "stance → holder/target.",
    )
    for control, values in L.SPAN_LABELS.items():
        labels = ET.SubElement(root, "Labels", name=control, toName=L.TEXT, showInline="true")
        for value in values:
            ET.SubElement(labels, "Label", value=value, background=L.COLOURS[value])
    relations = ET.SubElement(root, "Relations")
    for relation in L.RELATIONS:
        ET.SubElement(relations, "Relation", value=relation)
    ET.SubElement(root, "Text", name=L.TEXT, value=f"${L.TEXT}")
    _actor_panel(root)
    _claim_panel(root)
    _stance_panel(root)
    _document_panel(root)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def config_version() -> str:
    """A short hash of the config: shows when a project's config is out of date."""
    return hashlib.sha256(labeling_config().encode()).hexdigest()[:12]


def _header(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "Header", value=text, size="6")


def _when(parent: ET.Element, labels: tuple[str, ...], title: str) -> ET.Element:
    view = ET.SubElement(
        parent, "View", visibleWhen="region-selected", whenLabelValue=",".join(labels)
    )
    _header(view, title)
    return view


def _choices(parent: ET.Element, name: str, *, per_region: bool, required: bool) -> None:
    attributes = {"name": name, "toName": L.TEXT, "choice": "single", "showInline": "true"}
    if per_region:
        attributes["perRegion"] = "true"
    if required:
        attributes["required"] = "true"
    choices = ET.SubElement(parent, "Choices", attributes)
    for value in L.CHOICES[name]:
        ET.SubElement(choices, "Choice", value=value)


def _text_area(parent: ET.Element, name: str, placeholder: str, *, per_region: bool) -> None:
    attributes = {
        "name": name,
        "toName": L.TEXT,
        "editable": "true",
        "maxSubmissions": "1",
        "rows": "1",
        "placeholder": placeholder,
    }
    if per_region:
        attributes["perRegion"] = "true"
    ET.SubElement(parent, "TextArea", attributes)


def _actor_panel(root: ET.Element) -> None:
    view = _when(root, L.SPAN_LABELS[L.ACTOR], "Actor")
    _text_area(view, L.CANONICAL_NAME, "Canonical name, e.g. Vladimir Putin", per_region=True)


def _claim_panel(root: ET.Element) -> None:
    view = _when(root, (L.CLAIM_LABEL,), "Claim: attribution, check-worthy, proposition")
    _choices(view, L.ATTRIBUTION, per_region=True, required=True)
    _choices(view, L.CHECK_WORTHY, per_region=True, required=True)
    _text_area(view, L.PROPOSITION, "The claim as a short self-contained sentence", per_region=True)
    _text_area(view, L.SPEAKER_NAME, "Speaker, when not linked to a mention", per_region=True)


def _stance_panel(root: ET.Element) -> None:
    view = _when(root, (L.CLAIM_LABEL, L.EVIDENCE_LABEL), "Stance of the holder")
    _choices(view, L.STANCE, per_region=True, required=False)
    _text_area(view, L.STANCE_TARGET, "Target topic, when not linked to an actor", per_region=True)
    _text_area(
        view, L.HOLDER_NAME, "Holder, when not the claim's speaker or a mention", per_region=True
    )


def _document_panel(root: ET.Element) -> None:
    view = ET.SubElement(root, "View")
    _header(view, "Document: main target and overall stance toward it")
    _text_area(view, L.MAIN_TARGET, "Main target, e.g. NATO expansion", per_region=False)
    _choices(view, L.OVERALL_STANCE, per_region=False, required=False)
