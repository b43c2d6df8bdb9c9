"""The news attribution and stance schema: the single source of truth.

Two families of models live here, side by side so that a change to one is seen
next to the other:

* **Extraction models** (`Actor`, `Claim`, `Stance`, `DocumentStance`,
  `Extraction`) are what an annotator (an LLM or the rule-based provider)
  returns. They carry *verbatim quotes*, never character offsets: models are
  bad at counting characters and good at copying text, so offsets are computed
  afterwards by grounding each quote in the document.
* **Grounded models** (`Span`, `GroundedActor`, `GroundedClaim`,
  `GroundedStance`, `Annotation`) are the same facts after grounding, with
  Python code-point offsets such that ``text[span.start:span.end] == span.text``.
  Predictions, human annotations and gold records are all `Annotation`s.

Everything downstream derives from these classes: the LLM's JSON schema
(`annotate.schemas.jsonschema`), the Label Studio labeling config and
converters (`annotate.studio`), and the export columns. Label names and choice
lists are read from the `Literal` types below, so adding an actor type here
adds it everywhere.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

ActorType = Literal["person", "organization", "country", "group", "other"]
Attribution = Literal["direct", "indirect", "authorial"]
StanceLabel = Literal["favor", "against", "neutral"]
OverallStance = Literal["strongly_against", "against", "neutral", "favor", "strongly_favor"]

ACTOR_TYPES: tuple[str, ...] = get_args(ActorType)
ATTRIBUTIONS: tuple[str, ...] = get_args(Attribution)
STANCE_LABELS: tuple[str, ...] = get_args(StanceLabel)
#: The 5-point document stance scale, in ordinal order (index = rank).
OVERALL_STANCE_SCALE: tuple[str, ...] = get_args(OverallStance)

#: Speaker of an authorial claim: the outlet itself, speaking in its own voice.
OUTLET = "OUTLET"


class _Model(BaseModel):
    """Base: unknown keys are errors, so a model's typo is re-asked, not ignored."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------
# Extraction models: what an annotator returns (quotes, never offsets)
# --------------------------------------------------------------------------


class Actor(_Model):
    """A person, organization, state or group that acts or speaks in the article."""

    name: str = Field(
        description="The actor's name exactly as first written in the article (verbatim)."
    )
    canonical_name: str = Field(
        description="Full normalized name used to link mentions across documents, "
        "e.g. 'Vladimir Putin' for 'Putin' or 'Russia's President'."
    )
    type: ActorType = Field(description="Kind of actor.")
    mentions: list[str] = Field(
        description="Other verbatim surface forms the article uses for this actor "
        "(aliases, titles, pronoun-free descriptions such as 'the Kremlin')."
    )


class Claim(_Model):
    """A statement the article reports, made by an actor or by the outlet itself."""

    quote: str = Field(description="The claim copied verbatim from the article.")
    speaker: str = Field(
        description=f"canonical_name of the actor who makes the claim, or '{OUTLET}' "
        "when the article states it in its own voice (authorial claim)."
    )
    cue: str | None = Field(
        description="The reporting verb or phrase as written (e.g. 'said', 'stressed', "
        "'according to'), or null for authorial claims without a cue."
    )
    attribution: Attribution = Field(
        description="direct: quoted speech; indirect: reported speech; "
        "authorial: the outlet's own assertion."
    )
    check_worthy: bool = Field(
        description="True when the claim is a factual statement that could be verified."
    )
    proposition: str = Field(
        description="The claim restated as a short, self-contained normalized proposition "
        "(full names, no pronouns) so that claims can be compared across documents."
    )


class Stance(_Model):
    """An actor's position toward a target, supported by a quote."""

    holder: str = Field(description="canonical_name of the actor holding the stance.")
    target: str = Field(
        description="What the stance is about: an actor's canonical_name or a short topic "
        "such as 'NATO expansion'."
    )
    label: StanceLabel = Field(description="The holder's position toward the target.")
    evidence: str = Field(description="Verbatim quote from the article showing the stance.")


class DocumentStance(_Model):
    """The article's overall position toward its main target."""

    main_target: str = Field(description="The article's main target, e.g. 'NATO expansion'.")
    overall: OverallStance = Field(
        description="The article's overall stance toward main_target on a 5-point scale."
    )


class Extraction(_Model):
    """Everything an annotator extracts from one document (or one chunk of it)."""

    actors: list[Actor]
    claims: list[Claim]
    stances: list[Stance]
    document: DocumentStance


# --------------------------------------------------------------------------
# Grounded models: offsets into the document text (Python code points)
# --------------------------------------------------------------------------


class Span(_Model):
    """A region of the document: ``text[start:end] == self.text`` (code points)."""

    start: int = Field(ge=0, description="Offset of the first character (code points).")
    end: int = Field(ge=0, description="Offset just past the last character (code points).")
    text: str = Field(description="The document's text between start and end.")


class GroundedActor(_Model):
    canonical_name: str = Field(description=Actor.model_fields["canonical_name"].description)
    type: ActorType = Field(description=Actor.model_fields["type"].description)
    mentions: list[Span] = Field(description="Every grounded mention, first one first.")


class GroundedClaim(_Model):
    span: Span = Field(description="Where the claim is in the text.")
    speaker: str = Field(description=Claim.model_fields["speaker"].description)
    cue: Span | None = Field(description="Where the reporting verb is, or null.")
    attribution: Attribution = Field(description=Claim.model_fields["attribution"].description)
    check_worthy: bool = Field(description=Claim.model_fields["check_worthy"].description)
    proposition: str = Field(description=Claim.model_fields["proposition"].description)


class GroundedStance(_Model):
    holder: str = Field(description=Stance.model_fields["holder"].description)
    target: str = Field(description=Stance.model_fields["target"].description)
    label: StanceLabel = Field(description=Stance.model_fields["label"].description)
    evidence: Span = Field(description="Where the evidence quote is in the text.")


class Annotation(_Model):
    """A document's grounded annotation: a prediction, a human annotation or gold."""

    actors: list[GroundedActor] = Field(default_factory=list)
    claims: list[GroundedClaim] = Field(default_factory=list)
    stances: list[GroundedStance] = Field(default_factory=list)
    document: DocumentStance | None = None
