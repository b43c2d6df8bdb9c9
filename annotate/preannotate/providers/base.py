"""What every pre-annotation provider offers the pipeline.

A provider turns the text of one document (or one chunk of a long document)
into an `Extraction`: quotes, never offsets. The pipeline owns everything
around that call (chunking, the cache, grounding, the store), so a provider is
small and a new backend is one module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from annotate.llm import CallFailed, EndpointFailed, Usage
from annotate.schemas import Extraction

#: A document (or chunk) could not be extracted: the LLM layer's failure of one call,
#: with its `reason` (``truncated``, ``context_length``, ``invalid_output``, ``transport``,
#: ``refused``, ``bad_request``), detail and usage. `EndpointFailed` is the kind that holds for
#: every document, so the pipeline stops the run at the first one.
ExtractionFailed = CallFailed


class Deferred(Exception):
    """The provider leaves this document for later: neither predicted nor failed, still pending.

    A cancelled batch raises it for a chunk it never answered: the document goes
    back to the pending ones, for a later run (online or batch) to take.
    """


@dataclass
class ProviderResult:
    extraction: Extraction
    #: The raw JSON text the model produced: what the cache stores.
    raw: str
    usage: Usage = field(default_factory=Usage)
    #: Validation re-asks that were needed before the output validated.
    reasks: int = 0


class Provider(Protocol):
    #: ``rules`` or ``openai``.
    name: str
    #: The model name sent to the endpoint (or the rule set's name).
    model: str
    #: Whether outputs are worth caching in the store (costly calls: yes; rules: no).
    cacheable: bool
    #: Hash of the prompt the provider sends ("" for providers that use none).
    prompt_version: str

    @property
    def model_version(self) -> str:
        """The name recorded on each prediction and shown in Label Studio."""
        ...

    @property
    def cache_params(self) -> dict[str, Any]:
        """Parameters that change the output: part of the cache key."""
        ...

    @property
    def max_chunk_chars(self) -> int | None:
        """Longest text sent in one call, or None when any length fits."""
        ...

    @property
    def retries(self) -> int:
        """Transport re-sends so far, as they happen: what the progress line shows."""
        ...

    async def extract(self, text: str) -> ProviderResult: ...

    async def aclose(self) -> None: ...


__all__ = ["Deferred", "EndpointFailed", "ExtractionFailed", "Provider", "ProviderResult", "Usage"]
