"""The verdict on a pair of claims from different documents: the comparison schema.

A judge (the offline rules or an LLM) reads two claims, A and B, and answers
with a `Verdict`. Like the news schema, it is the single source of truth: the
LLM's JSON schema (`VerdictAnswer`, a union made of the same types), the
Label Studio config for verifying comparisons and the ``pairs.jsonl`` columns
derive from it.

The differing ``values`` are copied verbatim from each claim, like every quote
in this tool: a value that is not in its claim is dropped (and counted), never
shown as if the outlet had written it.

An LLM answers a `VerdictAnswer`, not a `Verdict`: its JSON schema is a union
on the relation (a `Contradiction` names its detail and values, a `Compatible`
verdict has neither), so that strict structured outputs cannot produce what
`Verdict`'s validator refuses. Fields an answer fills that its relation does
not use (JSON mode, or a server that ignores the union) are dropped and
counted, never a failed answer; `VerdictAnswer.to_verdict` gives the one
`Verdict` shape the rest of the tool reads.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field, ModelWrapValidatorHandler, PrivateAttr, model_validator

from .news import _Model

Relation = Literal["same", "contradicts", "elaborates", "unrelated"]
Detail = Literal["number", "date", "actor", "place", "polarity", "other"]

RELATIONS: tuple[str, ...] = get_args(Relation)
DETAILS: tuple[str, ...] = get_args(Detail)
#: The relations under which both claims can be true: they name no detail and no values.
CompatibleRelation = Literal["same", "elaborates", "unrelated"]
COMPATIBLE_RELATIONS: tuple[str, ...] = get_args(CompatibleRelation)
#: The fields only a contradiction has.
CONTRADICTION_FIELDS = ("detail", "values")


class DifferingValues(_Model):
    """The words on which two claims differ, each copied from its own claim."""

    a: str = Field(description="The differing words copied verbatim from claim A.")
    b: str = Field(description="The differing words copied verbatim from claim B.")


class Verdict(_Model):
    """How claim B relates to claim A."""

    relation: Relation = Field(
        description="same: both state the same fact; contradicts: they are about the same "
        "thing and cannot both be true; elaborates: one states the other's fact and adds "
        "detail; unrelated: they are about different things."
    )
    detail: Detail | None = Field(
        description="For a contradiction, the kind of detail on which the claims differ "
        "(number, date, actor, place, polarity, other); null otherwise."
    )
    values: DifferingValues | None = Field(
        description="For a contradiction, the differing words copied verbatim from each "
        "claim (e.g. '80' and '90'); null otherwise."
    )
    rationale: str = Field(description="One short sentence saying why.")

    @model_validator(mode="after")
    def _detail_only_for_contradictions(self) -> Verdict:
        """A detail names what two claims disagree on: it needs a contradiction."""
        if self.relation == "contradicts" and self.detail is None:
            raise ValueError("a contradiction needs its detail (number, date, actor, ...)")
        if self.relation != "contradicts" and (self.detail or self.values):
            raise ValueError("detail and values are only for relation 'contradicts'")
        return self


# --------------------------------------------------------------------------
# What an LLM answers: the verdict as a union on its relation
# --------------------------------------------------------------------------


# The answer's schema goes with every request, and into the system prompt in
# JSON mode, beside the prompt that already explains every field
# (prompts/compare.md): its fields carry no descriptions of their own, so that
# a small local window keeps its room for the claims. The docstrings (each
# model's description) say what the union means.
class Contradiction(_Model):
    """A and B are about the same thing and cannot both be true."""

    relation: Literal["contradicts"]
    detail: Detail
    values: DifferingValues | None
    rationale: str


class Compatible(_Model):
    """A and B can both be true."""

    relation: CompatibleRelation
    rationale: str


# The union sits under one property because strict structured outputs want an
# object at the root, never ``anyOf``; each variant's first key, ``relation``,
# tells the variants apart, as strict mode requires. The class docstring is the
# schema's description, read by the model: it stays short.
class VerdictAnswer(_Model):
    """The verdict on claims A and B."""

    verdict: Contradiction | Compatible = Field(discriminator="relation")
    _unused_fields: int = PrivateAttr(default=0)

    @model_validator(mode="wrap")
    @classmethod
    def _drop_unused_fields(
        cls, data: Any, handler: ModelWrapValidatorHandler[VerdictAnswer]
    ) -> VerdictAnswer:
        """Drop (and count) what the answer's relation does not use, then validate.

        An answer is read leniently where nothing is lost, so that neither costs
        a re-ask: fields its relation does not use are dropped and counted, and a
        verdict given without the wrapper is read as if wrapped. Anything else the
        variant does not allow (a contradiction without its detail, an unknown
        key) is refused as before.
        """
        data, unused = drop_unused_fields(data)
        answer = handler(data)
        answer._unused_fields = unused
        return answer

    @property
    def unused_fields(self) -> int:
        """How many filled fields the answer's relation does not use were dropped."""
        return self._unused_fields

    def to_verdict(self) -> Verdict:
        """The `Verdict` this answer gives: the one shape the rest of the tool reads."""
        answer = self.verdict
        if isinstance(answer, Contradiction):
            return Verdict(relation=answer.relation, detail=answer.detail,
                           values=answer.values, rationale=answer.rationale)  # fmt: skip
        return Verdict(relation=answer.relation, detail=None, values=None,
                       rationale=answer.rationale)  # fmt: skip


def drop_unused_fields(data: Any) -> tuple[Any, int]:
    """`data` without the fields its relation does not use; how many were filled (not null).

    A bare verdict (``relation`` at the top, no ``verdict``) is wrapped first.
    Anything that is not an answer's shape is returned as it is, for the
    validator to refuse with its own message.
    """
    if isinstance(data, dict) and "verdict" not in data and "relation" in data:
        data = {"verdict": data}
    inner = data.get("verdict") if isinstance(data, dict) else None
    if not isinstance(inner, dict) or inner.get("relation") not in COMPATIBLE_RELATIONS:
        return data, 0
    unused = [name for name in CONTRADICTION_FIELDS if name in inner]
    filled = sum(inner[name] is not None for name in unused)
    kept = {name: value for name, value in inner.items() if name not in unused}
    return {**data, "verdict": kept}, filled
