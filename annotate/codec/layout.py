"""How the schema appears in Label Studio: control names, label values, relations.

This is the one place that decides how each field of `annotate.schemas` becomes
a Label Studio control; the labeling config (`labelconfig`) and both
converters (`convert`) read it, so they cannot drift apart. Choice lists are
the schema's own `Literal` values, in the schema's order (the 5-point stance
scale stays ordinal).

The control names are also the FIELD names of the agreement report and the
export, so they are a contract: rename one only with a migration of the data
that carries it.

Regions (spans of the article):

* ``actor``: one region per mention, labelled with the actor's type; its
  per-region ``canonical_name`` groups mentions into actors;
* ``claim``: the claim's text; per-region ``attribution``, ``check_worthy``,
  ``proposition``; a ``speaker`` relation to an actor mention (none for the
  outlet's own claims) and a ``cue`` relation to its reporting verb;
* ``cue``: the reporting verb ("said", "stressed");
* ``stance_evidence``: a stance whose evidence is not one of the holder's
  claims (otherwise the stance sits on the claim region itself).

A stance is a per-region ``stance`` choice on a claim or evidence region. Its
holder is the claim's speaker, or the actor its ``holder`` relation points to;
its target is the actor its ``target`` relation points to, or else the topic
typed in ``stance_target``. When a speaker or holder has no mention in the
text, its name is kept in ``speaker_name`` / ``holder_name``.

Document level: ``overall_stance`` (5-point, in scale order) and ``main_target``.
"""

from __future__ import annotations

from annotate.schemas import ACTOR_TYPES, ATTRIBUTIONS, OVERALL_STANCE_SCALE, STANCE_LABELS

#: The Text object every control labels, and the task data key it shows.
TEXT = "text"

# -- span controls (Labels) and their label values
ACTOR = "actor"
CLAIM = "claim"
CUE = "cue"
STANCE_EVIDENCE = "stance_evidence"
CLAIM_LABEL = "claim"
CUE_LABEL = "cue"
EVIDENCE_LABEL = "stance evidence"
SPAN_LABELS: dict[str, tuple[str, ...]] = {
    ACTOR: ACTOR_TYPES,
    CLAIM: (CLAIM_LABEL,),
    CUE: (CUE_LABEL,),
    STANCE_EVIDENCE: (EVIDENCE_LABEL,),
}

# -- per-region controls
CANONICAL_NAME = "canonical_name"
ATTRIBUTION = "attribution"
CHECK_WORTHY = "check_worthy"
PROPOSITION = "proposition"
SPEAKER_NAME = "speaker_name"
STANCE = "stance"
STANCE_TARGET = "stance_target"
HOLDER_NAME = "holder_name"
CHECK_WORTHY_CHOICES = ("yes", "no")

# -- document-level controls
OVERALL_STANCE = "overall_stance"
MAIN_TARGET = "main_target"

#: The span controls, the per-region and document-level choices, and the relation labels
#: of the agreement report and the model-vs-gold scores.
SPAN_FIELDS = tuple(SPAN_LABELS)
REGION_CHOICES = (ATTRIBUTION, CHECK_WORTHY, STANCE)
DOCUMENT_CHOICES = (OVERALL_STANCE,)

#: Categorical controls and their choices (the agreement report's categorical fields).
CHOICES: dict[str, tuple[str, ...]] = {
    ATTRIBUTION: ATTRIBUTIONS,
    CHECK_WORTHY: CHECK_WORTHY_CHOICES,
    STANCE: STANCE_LABELS,
    OVERALL_STANCE: OVERALL_STANCE_SCALE,
}
#: Choice fields whose values are ordered (Krippendorff's ordinal alpha applies).
ORDINAL = frozenset({OVERALL_STANCE})

# -- relation labels
SPEAKER = "speaker"
CUE_OF = "cue"
HOLDER = "holder"
TARGET = "target"
RELATIONS = (SPEAKER, CUE_OF, HOLDER, TARGET)

#: Highlight colours per span label (colour-blind-safe palette, Okabe-Ito).
COLOURS = {
    "person": "#E69F00",
    "organization": "#56B4E9",
    "country": "#009E73",
    "group": "#CC79A7",
    "other": "#999999",
    CLAIM_LABEL: "#F0E442",
    CUE_LABEL: "#D55E00",
    EVIDENCE_LABEL: "#0072B2",
}
