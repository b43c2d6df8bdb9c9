"""The verdict on a pair of claims from different documents: the comparison schema.

A judge (the offline rules or an LLM) reads two claims, A and B, and answers
with a `Verdict`. Like the news schema, it is the single source of truth: the
LLM's JSON schema, the Label Studio config for verifying comparisons and the
``pairs.jsonl`` columns derive from it.

The differing ``values`` are copied verbatim from each claim, like every quote
in this tool: a value that is not in its claim is dropped (and counted), never
shown as if the outlet had written it.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, model_validator

from .news import _Model

Relation = Literal["same", "contradicts", "elaborates", "unrelated"]
Detail = Literal["number", "date", "actor", "place", "polarity", "other"]

RELATIONS: tuple[str, ...] = get_args(Relation)
DETAILS: tuple[str, ...] = get_args(Detail)


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
