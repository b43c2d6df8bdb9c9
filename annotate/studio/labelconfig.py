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
    """The project's labeling config as an XML string.

    Two columns: the article on the left, scrolling; on the right a panel that
    stays in view (sticky) with the span labels, the selected region's
    controls and the document's fields, so choosing a claim's attributes never
    means scrolling away from the claim.
    """
    root = ET.Element("View")
    ET.SubElement(root, "Style").text = RELATION_LABELS_ON_HOVER
    _header(root, RELATIONS_LEGEND)
    relations = ET.SubElement(root, "Relations")
    for relation in L.RELATIONS:
        ET.SubElement(relations, "Relation", value=relation, background=RELATION_COLOURS[relation])
    columns = ET.SubElement(root, "View", style=COLUMNS)
    article = ET.SubElement(columns, "View", style=TEXT_COLUMN)
    ET.SubElement(article, "Text", name=L.TEXT, value=f"${L.TEXT}")
    panel = ET.SubElement(columns, "View", style=PANEL)
    for control, values in L.SPAN_LABELS.items():
        labels = ET.SubElement(panel, "Labels", name=control, toName=L.TEXT, showInline="true")
        for value in values:
            attributes = {"value": value, "background": L.COLOURS[value], **_hotkey(control, value)}
            ET.SubElement(labels, "Label", attributes)
    _actor_panel(panel)
    _claim_panel(panel)
    _document_panel(panel)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


#: The article and the controls side by side; the panel's top stays at the top of the
#: scrolling area while the article scrolls under it (Label Studio scrolls its main area,
#: so `sticky` holds there), and the panel scrolls on its own when it is taller.
COLUMNS = "display: flex; gap: 1em; align-items: flex-start"
TEXT_COLUMN = "flex: 1 1 58%; min-width: 0"
PANEL = (
    "flex: 0 0 40%; min-width: 0; position: sticky; top: 0; max-height: calc(100vh - 170px); "
    "overflow-y: auto; border-left: 1px solid #ddd; padding-left: 0.75em"
)
#: The verdict's controls above both claims, held at the top while long contexts scroll.
VERDICT_BAR = (
    "position: sticky; top: 0; z-index: 10; background: #fff; "
    "border-bottom: 1px solid #ddd; padding-bottom: 0.5em"
)
#: Each relation kind's colour (Paul Tol's colour-blind-safe light tones: Label Studio
#: writes the kind's name in dark grey on it), where Label Studio 1.23.2 uses it: the
#: kinds' chooser of a relation (Relations tab, "Show Relation Labels"). It draws every
#: arrow in one colour, fixed in its front end (``color:"#fa541c"`` in its 358.js), so on
#: the text a relation's kind shows by what its arrow joins, which the header says.
RELATION_COLOURS = {L.SPEAKER: "#77AADD", L.CUE_OF: "#EE8866", L.HOLDER: "#44BB99",
                    L.TARGET: "#FFAABB"}  # fmt: skip
RELATIONS_LEGEND = (
    "Select text, then a label. Arrows: claim → actor: speaker; claim → cue: cue; "
    "stance → actor: holder or target."
)
#: Label Studio's own order of shortcut keys (it keeps ``r`` for itself).
KEYS = "1234567890qwetasdfgzxcvbyuiophjklnm"


def _shortcuts() -> dict[tuple[str, str], str]:
    """A key per span label and choice, in the panel's order: the keys Label Studio would
    number them with, pinned in the config so that the documented keys are the config's."""
    values = [(control, value) for control, labels in L.SPAN_LABELS.items() for value in labels]
    values += [(control, value) for control in (*L.REGION_CHOICES, *L.DOCUMENT_CHOICES)
               for value in L.CHOICES[control]]  # fmt: skip
    return dict(zip(values, KEYS, strict=False))


#: (control, value) -> its keyboard shortcut (docs/annotators-day.md lists them).
SHORTCUTS = _shortcuts()


def _hotkey(control: str, value: str) -> dict[str, str]:
    """The ``hotkey`` attribute of a label or choice (none once the keys run out)."""
    key = SHORTCUTS.get((control, value))
    return {"hotkey": key} if key else {}


#: Relation labels ("speaker", "cue") drawn over the words hide the text they connect; they
#: show only on the relation the annotator points at (hovered in the Relations panel or
#: selected). Label Studio 1.23.2 draws each relation as a `g` whose class contains
#: `relationItem--`, its label as the `g` inside it, and marks the highlighted one
#: `_highlighted--`; an attribute match on the class stem survives its build hash.
RELATION_LABELS_ON_HOVER = (
    "[class*=relationItem--] g { display: none; } "
    "[class*=relationItem--][class*=_highlighted--] g { display: inline; }"
)


def comparison_config() -> str:
    """The comparisons project's labeling config: two claims side by side and the verdict.

    Generated from the verdict schema through `annotate.codec.verdicts`: the
    relation choices, the details (shown only for a contradiction) and a span
    label for the differing words in each claim.
    """
    root = ET.Element("View")
    _header(root, "How does claim B relate to claim A? For a contradiction, choose the detail "
                  "and mark the differing words in each claim.")  # fmt: skip
    verdict = ET.SubElement(root, "View", style=VERDICT_BAR)
    _control_header(verdict, "Relation of B to A")
    relation = ET.SubElement(verdict, "Choices", name=V.RELATION, toName=V.CLAIM_A,
                             choice="single-radio", required="true", showInline="true")  # fmt: skip
    for value in V.CHOICES[V.RELATION]:
        ET.SubElement(relation, "Choice", value=value)
    detail = ET.SubElement(verdict, "View", visibleWhen="choice-selected",
                           whenTagName=V.RELATION, whenChoiceValue="contradicts")  # fmt: skip
    _control_header(detail, "Detail that differs")
    choices = ET.SubElement(
        detail, "Choices", name=V.DETAIL, toName=V.CLAIM_A, choice="single-radio", required="true",
        showInline="true", visibleWhen="choice-selected", whenTagName=V.RELATION,
        whenChoiceValue="contradicts",
    )  # fmt: skip
    for value in V.CHOICES[V.DETAIL]:
        ET.SubElement(choices, "Choice", value=value)
    _control_header(verdict, "Rationale")
    ET.SubElement(verdict, "TextArea", name=V.RATIONALE, toName=V.CLAIM_A, editable="true",
                  maxSubmissions="1", rows="2",
                  placeholder="Why, in a sentence (optional)")  # fmt: skip
    sides = ET.SubElement(root, "View", style="display: flex; gap: 1.5em; align-items: flex-start")
    for side, claim, values in (("a", V.CLAIM_A, V.VALUE_A), ("b", V.CLAIM_B, V.VALUE_B)):
        _claim_side(sides, side, claim, values)
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
    ET.SubElement(parent, "Header", value=text, size="5")


def _control_header(parent: ET.Element, text: str) -> None:
    """The heading that names the control under it (an unlabelled box says nothing)."""
    ET.SubElement(parent, "Header", value=text, size="5", style="margin: 8px 0 2px")


def _when(parent: ET.Element, labels: tuple[str, ...]) -> ET.Element:
    return ET.SubElement(
        parent, "View", visibleWhen="region-selected", whenLabelValue=",".join(labels)
    )


def _choices(
    parent: ET.Element, name: str, title: str, *, per_region: bool, required: bool,
    labels: tuple[str, ...] = (),
) -> None:  # fmt: skip
    """Choices; per-region ones required of `labels`' regions say so on themselves: Label
    Studio's required check reads ``whenLabelValue`` on the control, not on its View, and
    without it asked an actor for a claim's attribution, so no task with actors could
    be submitted (seen in headless Chromium: tests/test_review_browser.py)."""
    _control_header(parent, title)
    attributes = {"name": name, "toName": L.TEXT, "choice": "single", "showInline": "true"}
    if per_region:
        attributes["perRegion"] = "true"
    if required:
        attributes["required"] = "true"
    if labels:
        attributes |= {"visibleWhen": "region-selected", "whenLabelValue": ",".join(labels)}
    choices = ET.SubElement(parent, "Choices", attributes)
    for value in L.CHOICES[name]:
        ET.SubElement(choices, "Choice", {"value": value, **_hotkey(name, value)})


def _text_area(
    parent: ET.Element, name: str, title: str, placeholder: str, *, per_region: bool
) -> None:
    _control_header(parent, title)
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
    view = _when(root, L.SPAN_LABELS[L.ACTOR])
    _text_area(view, L.CANONICAL_NAME, "Actor: canonical name",
               "e.g. Vladimir Putin", per_region=True)  # fmt: skip


def _claim_panel(root: ET.Element) -> None:
    """A claim's and a stance's controls, the choices first: they fit the screen together."""
    claim = _when(root, (L.CLAIM_LABEL,))
    _choices(claim, L.ATTRIBUTION, "Attribution", per_region=True, required=True,
             labels=(L.CLAIM_LABEL,))  # fmt: skip
    _choices(claim, L.CHECK_WORTHY, "Check-worthy", per_region=True, required=True,
             labels=(L.CLAIM_LABEL,))  # fmt: skip
    stance = _when(root, (L.CLAIM_LABEL, L.EVIDENCE_LABEL))
    _choices(stance, L.STANCE, "Stance of the holder", per_region=True, required=False)
    claim_text = _when(root, (L.CLAIM_LABEL,))
    _text_area(claim_text, L.PROPOSITION, "Proposition",
               "The claim as a short self-contained sentence", per_region=True)  # fmt: skip
    _text_area(claim_text, L.SPEAKER_NAME, "Speaker, when not linked to a mention",
               "e.g. a ministry spokesperson", per_region=True)  # fmt: skip
    stance_text = _when(root, (L.CLAIM_LABEL, L.EVIDENCE_LABEL))
    _text_area(stance_text, L.STANCE_TARGET, "Stance target, when not linked to an actor",
               "Target topic, e.g. NATO expansion", per_region=True)  # fmt: skip
    _text_area(stance_text, L.HOLDER_NAME, "Holder, when not the speaker or a mention",
               "e.g. the Kremlin", per_region=True)  # fmt: skip


def _document_panel(root: ET.Element) -> None:
    view = ET.SubElement(root, "View")
    _header(view, "Document")
    _text_area(view, L.MAIN_TARGET, "Main target", "e.g. NATO expansion", per_region=False)
    _choices(view, L.OVERALL_STANCE, "Overall stance toward it", per_region=False,
             required=False)  # fmt: skip
