"""OpenAI's Files and Batches endpoints, as the batch route uses them.

Upload an input file (``purpose="batch"``), create a batch on
``/v1/chat/completions`` with a 24-hour window, poll it, cancel it, find a
batch by its input file (to adopt one a killed command created but did not
record), and download its output and error files to disk. Every call goes
through the same transport retries as chat requests (`annotate.llm.retry`),
and an error that outlives them is a `ProviderError` whose message never
shows the key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from annotate.errors import ProviderError

from .redaction import short_error
from .retry import RetryPolicy, call_with_retries

if TYPE_CHECKING:  # the client is made elsewhere (`annotate.llm.client`), which loads the SDK
    import openai

T = TypeVar("T")

#: The only completion window OpenAI offers (what the half price is for) is ``24h``.
#: Statuses after which a batch changes no more: its files can be read.
ENDED = frozenset({"completed", "failed", "expired", "cancelled"})
#: Batches listed when looking for one created from a given input file.
FIND_LIMIT = 100


@dataclass(frozen=True)
class BatchState:
    """A batch as the provider reports it."""

    id: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    input_file_id: str = ""
    #: Why the batch failed as a whole (validation errors of its input file).
    errors: list[str] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.status in ENDED


class BatchClient:
    """The Files and Batches endpoints of one OpenAI-compatible client."""

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        secrets: tuple[str, ...] = (),
        policy: RetryPolicy | None = None,
    ) -> None:
        self.client = client
        self.secrets = secrets
        self.policy = policy or RetryPolicy()

    async def upload(self, path: Path) -> str:
        """Upload a JSONL input file; its file id."""

        async def send() -> Any:
            with path.open("rb") as handle:
                return await self.client.files.create(file=(path.name, handle), purpose="batch")

        uploaded = await self._call("uploading the batch file", send)
        return str(uploaded.id)

    async def create(self, input_file_id: str, metadata: dict[str, str]) -> BatchState:
        async def send() -> Any:
            return await self.client.batches.create(
                input_file_id=input_file_id,
                endpoint="/v1/chat/completions",  # CHAT_URL, spelt as the SDK's Literal
                completion_window="24h",
                metadata=metadata,
            )

        return _state(await self._call("creating the batch", send))

    async def retrieve(self, batch_id: str) -> BatchState:
        async def send() -> Any:
            return await self.client.batches.retrieve(batch_id)

        return _state(await self._call(f"reading batch {batch_id}", send))

    async def cancel(self, batch_id: str) -> BatchState:
        """Ask the provider to stop a running batch: ``cancelling``, then ``cancelled``.

        What it finished before stopping stays in its output file, paid for.
        """

        async def send() -> Any:
            return await self.client.batches.cancel(batch_id)

        return _state(await self._call(f"cancelling batch {batch_id}", send))

    async def find(self, input_file_id: str) -> BatchState | None:
        """The newest batch created from `input_file_id`, among the last `FIND_LIMIT` batches."""

        async def send() -> Any:
            return await self.client.batches.list(limit=FIND_LIMIT)

        page = await self._call("listing batches", send)
        found = [batch for batch in page.data if batch.input_file_id == input_file_id]
        return _state(max(found, key=lambda batch: batch.created_at)) if found else None

    async def download(self, file_id: str, path: Path) -> None:
        """Stream file `file_id` to `path` (result files can be as large as the input)."""

        async def send() -> None:
            content = self.client.files.with_streaming_response.content(file_id)
            async with content as response:
                with path.open("wb") as out:
                    async for block in response.iter_bytes():
                        out.write(block)

        await self._call(f"downloading file {file_id}", send)

    async def _call(self, doing: str, send: Callable[[], Awaitable[T]]) -> T:
        import openai

        try:
            return await call_with_retries(self.policy, send)
        except openai.OpenAIError as exc:
            raise ProviderError(
                f"the LLM endpoint failed while {doing}: {short_error(exc, self.secrets)}"
            ) from None


def _state(batch: Any) -> BatchState:
    counts = batch.request_counts
    errors = batch.errors.data if batch.errors and batch.errors.data else []
    return BatchState(
        id=batch.id,
        status=batch.status,
        total=counts.total if counts else 0,
        completed=counts.completed if counts else 0,
        failed=counts.failed if counts else 0,
        output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id,
        input_file_id=batch.input_file_id,
        errors=[f"{e.code or 'error'}: {e.message or ''}"[:300] for e in errors],
    )
