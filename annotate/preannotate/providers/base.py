"""What every pre-annotation provider offers the pipeline.

A provider turns the text of one document (or one chunk of a long document)
into an `Extraction`: quotes, never offsets. The pipeline owns everything
around that call (chunking, the cache, grounding, the store), so a provider is
small and a new backend is one module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from annotate.errors import ProviderError
from annotate.schemas import Extraction


@dataclass
class Usage:
    """Tokens and HTTP attempts spent on one extraction (all retries included)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.requests += other.requests


@dataclass
class ProviderResult:
    extraction: Extraction
    #: The raw JSON text the model produced: what the cache stores.
    raw: str
    usage: Usage = field(default_factory=Usage)
    #: Validation re-asks that were needed before the output validated.
    reasks: int = 0


class ExtractionFailed(Exception):
    """A document (or chunk) could not be extracted; `reason` is a short code.

    Reasons: ``truncated`` (finish_reason=length), ``invalid_output`` (no valid
    JSON after the re-asks), ``transport`` (HTTP errors after the retries),
    ``refused`` (the model refused), ``bad_request`` (4xx other than 429).
    The message never contains credentials.
    """

    def __init__(self, reason: str, detail: str, usage: Usage | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.usage = usage or Usage()


class EndpointFailed(ExtractionFailed, ProviderError):
    """The endpoint refuses the credentials or cannot be reached: no document can succeed.

    Still an `ExtractionFailed` (with its reason and detail) for code that
    handles one call, and a `ProviderError` whose message names what to fix:
    the pipeline stops the run at the first one rather than recording the same
    failure for every remaining document.
    """

    def __init__(self, failure: ExtractionFailed, message: str) -> None:
        super().__init__(failure.reason, failure.detail, failure.usage)
        self.message = message

    def __str__(self) -> str:
        return self.message


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

    async def extract(self, text: str) -> ProviderResult: ...

    async def aclose(self) -> None: ...
