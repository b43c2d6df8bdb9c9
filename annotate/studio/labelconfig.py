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
from annotate.codec import verdicts as V


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


def comparison_config() -> str:
    """The comparisons project's labeling config: two claims side by side and the verdict.

    Generated from the verdict schema through `annotate.codec.verdicts`: the
    relation choices, the details (shown only for a contradiction) and a span
    label for the differing words in each claim.
    """
    root = ET.Element("View")
    _header(root, "How does claim B relate to claim A? For a contradiction, choose the detail "
                  "and mark the differing words in each claim.")  # fmt: skip
    sides = ET.SubElement(root, "View", style="display: flex; gap: 1.5em; align-items: flex-start")
    for side, claim, values in (("a", V.CLAIM_A, V.VALUE_A), ("b", V.CLAIM_B, V.VALUE_B)):
        _claim_side(sides, side, claim, values)
    relation = ET.SubElement(root, "Choices", name=V.RELATION, toName=V.CLAIM_A,
                             choice="single-radio", required="true", showInline="true")  # fmt: skip
    for value in V.CHOICES[V.RELATION]:
        ET.SubElement(relation, "Choice", value=value)
    detail = ET.SubElement(
        root, "Choices", name=V.DETAIL, toName=V.CLAIM_A, choice="single-radio", required="true",
        showInline="true", visibleWhen="choice-selected", whenTagName=V.RELATION,
        whenChoiceValue="contradicts",
    )  # fmt: skip
    for value in V.CHOICES[V.DETAIL]:
        ET.SubElement(detail, "Choice", value=value)
    ET.SubElement(root, "TextArea", name=V.RATIONALE, toName=V.CLAIM_A, editable="true",
                  maxSubmissions="1", rows="2",
                  placeholder="Why, in a sentence (optional)")  # fmt: skip
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def _claim_side(parent: ET.Element, side: str, claim: str, values: str) -> None:
    """One claim: its outlet and date, the sentences around it, and its differing-words label."""
    view = ET.SubElement(parent, "View", style="flex: 1; min-width: 0")
    ET.SubElement(view, "Header", value=f"Claim {side.upper()}: ${V.source_key(side)}", size="5")
    ET.SubElement(view, "Text", name=f"before_{side}", value=f"$before_{side}",
                  selectionEnabled="false")  # fmt: skip
    labels = ET.SubElement(view, "Labels", name=values, toName=claim, showInline="true")
    ET.SubElement(labels, "Label", value=V.VALUE_LABEL, background=L.COLOURS[L.CUE_LABEL])
    box = ET.SubElement(view, "View", style="border-left: 4px solid #F0E442; padding-left: 0.5em")
    ET.SubElement(box, "Text", name=claim, value=f"${claim}")
    ET.SubElement(view, "Text", name=f"after_{side}", value=f"$after_{side}",
                  selectionEnabled="false")  # fmt: skip


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
