"""The metadata fields every exported document has (the export's ``metadata`` struct).

Ingest writes ``file`` (and ``line`` for a JSON Lines feed); ``outlet`` and ``date``
name the columns and order the claims of `annotate compare`; ``title`` and ``url``
are what feeds usually carry. Any other field a feed or a folder's manifest gives
follows these in the export, in name order (`annotate.gold.metadata_columns`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DocumentMetadata(BaseModel):
    """Where a document came from, as ingested."""

    model_config = ConfigDict(extra="allow")

    file: str | None = Field(None, description="The file it was read from.")
    line: int | None = Field(None, description="Its line number in a JSON Lines feed.")
    outlet: str | None = Field(None, description="Who published it.")
    date: str | None = Field(None, description="When it was published (YYYY-MM-DD...).")
    title: str | None = Field(None, description="Its headline.")
    url: str | None = Field(None, description="Where it was published.")
