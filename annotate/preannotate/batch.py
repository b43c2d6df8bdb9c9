"""The batch route: the job's requests sent through a Batch API, collected like online answers.

OpenAI's Batch API answers within 24 hours at half the price. `submit` walks
the pending documents as the online job would (same job key, chunking and
cache: a chunk answered before costs nothing), writes each chunk's request,
the exact body the online route would POST, as a line of a JSONL file whose
``custom_id`` is the cache key of that online call, cuts files within the
provider's limits (a document's chunks stay in one file), uploads each and
creates its batch. Every batch is recorded in the store *before* it is created
and its id right after, so a killed command never leaves a paid batch the
store does not know of (`ensure_created` adopts it by its input file).

`collect` polls the open batches; an ended one's output and error files are
saved in the store once, then its documents go through the online pipeline
(`pipeline.preannotate` over the batch's documents) with `BatchAnswered` as
the provider: for each chunk it hands over the batch's answer, validated like
an online one, and an invalid answer is re-asked online as the first re-ask;
a request the batch failed, expired or never ran is sent online. Grounding,
the call cache, predictions, failures, the run, the budget and the circuit
breaker are the pipeline's own, so batch and online predictions are the same,
and a killed collection resumes: documents with a prediction are skipped and
answers already in the cache are not taken again. A batch is closed
(``collected``) once every one of its documents went through.

Without OpenAI, `submit` with ``out`` writes the same request files to a
folder of the user's and keeps them, sending nothing: each is recorded as an
`OFFLINE` batch (no provider id; its file's path in place of the input file
id), whose documents the online route leaves to it. An engine of one's own
(``vllm run-batch``) answers it in the Batch output format, and
`collect_results` takes that file: its answers are kept with their requests
and the batch is collected as a provider's is, except that a request with no
answer yet leaves its document waiting (`Deferred`) and the batch open for a
later file.

`cancel` asks the provider to stop running batches. A cancelled batch keeps
the part it finished, paid for: `collect` ingests those answers as any
batch's, and leaves each document with a chunk the batch never answered
(`Deferred`: nothing is sent online for it) pending again, for a later run,
online or batch; the chunks it did answer are in the call cache by then.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.errors import ConfigurationError, ProviderError
from annotate.llm import CallFailed, Price
from annotate.llm.batch_client import BatchClient, BatchState
from annotate.llm.batch_files import (
    MAX_BYTES,
    MAX_REQUESTS,
    BatchResult,
    FileLimits,
    TooLarge,
    parse_results,
    read_results_file,
    request_line,
)
from annotate.store import BatchAnswer, BatchRequest, Document, Store, StoredBatch

from .budget import DEFAULT_MAX_CONSECUTIVE_FAILURES
from .chunking import split_text
from .pipeline import ProgressCallback, RunSummary, call_key, job_key, preannotate
from .providers.base import Deferred, ProviderResult
from .providers.openai_chat import OpenAIChatProvider

#: A batch recorded in the store but not created at the provider yet.
SUBMITTING = "submitting"
#: A batch written to files (``--out``) for an engine of one's own: no provider holds it.
OFFLINE = "offline"


def is_offline(batch: StoredBatch) -> bool:
    """Whether the batch was written with ``--out``: its answers come with ``--results``.

    Its ``input_file_id`` is the path of the request file written, and it has
    no provider id: it is never polled, created or cancelled at a provider.
    """
    return batch.status == OFFLINE and batch.batch_id is None


def batch_client(provider: OpenAIChatProvider) -> BatchClient:
    """The Files and Batches endpoints behind the provider's own client (same URL and key)."""
    chat = provider.chat
    return BatchClient(chat.client(), chat.secrets, chat.retry_policy)


# ---------------------------------------------------------------------------
# Submitting
# ---------------------------------------------------------------------------


@dataclass
class Submitted:
    """What `submit` did: the batches it created, and the documents it left to the online route."""

    batches: list[StoredBatch] = field(default_factory=list)
    documents: int = 0
    requests: int = 0
    #: Documents every chunk of which is in the cache: the online route predicts them free.
    cached: int = 0
    #: Documents too large for one batch file (or for the window): left to the online route.
    too_large: list[str] = field(default_factory=list)
    #: Batches recorded by an earlier, killed command and created (or adopted) now.
    resumed: int = 0


async def submit(
    store: Store,
    provider: OpenAIChatProvider,
    *,
    limit: int | None = None,
    max_requests: int = MAX_REQUESTS,
    max_bytes: int = MAX_BYTES,
    folder: Path | None = None,
    out: Path | None = None,
) -> Submitted:
    """Send the pending documents of the provider's job as batches; nothing is sent twice.

    Documents already in an open batch of the job are not sent again. The
    input files are written to a temporary folder (or `folder`) and deleted
    once uploaded: they hold the articles, and the provider keeps its copy.
    With `out`, the files are written there and kept, nothing is sent (no
    network at all), and each is recorded as an `OFFLINE` batch whose answers
    `collect_results` takes from the engine's output file.
    """
    api = None if out is not None else batch_client(provider)
    done = Submitted()
    for batch in store.batches.all(open_only=True):
        if api is not None and batch.batch_id is None and not is_offline(batch):
            await ensure_created(store, api, batch)
            done.resumed += 1
    limits = FileLimits(max_requests, max_bytes)
    with _files_folder(folder, out) as where:
        writer = _BatchWriter(store, api, provider, where)
        seen: set[str] = set()
        for count, document in enumerate(store.batches.iter_unbatched(job_key(provider))):
            if limit is not None and count >= limit:
                break
            try:
                requests, lines = _requests(store, provider, document, seen)
                fits = limits.fits(lines)
            except (TooLarge, CallFailed):
                done.too_large.append(document.id)
                continue
            if not lines:
                done.cached += 1
                continue
            if not fits:
                done.batches.append(await writer.send())
                limits.start()
            limits.add(lines)
            writer.write(document.id, requests, lines)
            seen.update(request.custom_id for request in requests)
            done.documents += 1
            done.requests += len(requests)
        if writer.requests:
            done.batches.append(await writer.send())
        writer.discard()  # the file begun after the last one sent, empty
    return done


@contextmanager
def _files_folder(folder: Path | None, out: Path | None) -> Iterator[Path]:
    """Where the request files go: `out`, kept; else a temporary folder, deleted."""
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        yield out
        return
    with tempfile.TemporaryDirectory(dir=folder, prefix="annotate-batch-") as tmp:
        yield Path(tmp)


def _requests(
    store: Store, provider: OpenAIChatProvider, document: Document, seen: set[str]
) -> tuple[list[BatchRequest], list[bytes]]:
    """The requests of a document's chunks not answered yet (cache) nor sent in this submission."""
    key = job_key(provider)
    requests: list[BatchRequest] = []
    lines: list[bytes] = []
    for chunk in split_text(document.text, provider.max_chunk_chars):
        text = chunk.of(document.text)
        custom_id = call_key(provider, key, text)
        if custom_id in seen or any(r.custom_id == custom_id for r in requests):
            continue
        if store.calls.cached(custom_id) is not None:
            continue
        requests.append(BatchRequest(custom_id, document.id, chunk.start, chunk.end))
        lines.append(request_line(custom_id, provider.request_body(text)))
    return requests, lines


class _BatchWriter:
    """One input file being written; `send` uploads it, records the batch and creates it.

    Without a client (`api` None: ``--out``), `send` only records the file
    written as an `OFFLINE` batch; files are numbered after those the folder
    holds already, so a second run never overwrites the first one's.
    """

    def __init__(
        self, store: Store, api: BatchClient | None, provider: OpenAIChatProvider, folder: Path
    ) -> None:
        self.store = store
        self.api = api
        self.provider = provider
        self.folder = folder
        self.files = 0
        self._start()

    def _start(self) -> None:
        """Begin the next file, as ``NAME.part`` until it is whole (a killed run leaves no
        request file that looks finished)."""
        while True:
            self.files += 1
            self.path = self.folder / f"batch-{self.files:05d}.jsonl"
            self.partial = self.path.with_name(self.path.name + ".part")
            if self.path.exists():
                continue
            try:
                self.handle = self.partial.open("xb")
            except FileExistsError:
                continue
            break
        self.partial.chmod(0o600)  # the articles' text: the owner's alone, like the store
        self.documents: list[str] = []
        self.pending: list[BatchRequest] = []
        self.requests = 0
        self.bytes = 0

    def write(self, document_id: str, requests: list[BatchRequest], lines: list[bytes]) -> None:
        for line in lines:
            self.handle.write(line)
            self.bytes += len(line)
        self.documents.append(document_id)
        self.pending.extend(requests)
        self.requests += len(requests)

    def discard(self) -> None:
        """Remove the file begun but never written to (no request was left to send)."""
        self.handle.close()
        self.partial.unlink()

    async def send(self) -> StoredBatch:
        self.handle.close()
        self.partial.rename(self.path)
        if self.api is None:
            file_id, status = str(self.path.resolve()), OFFLINE
        else:
            file_id, status = await self.api.upload(self.path), SUBMITTING
            self.path.unlink()
        provider = self.provider
        record = StoredBatch(
            id=0, batch_id=None, input_file_id=file_id, job=job_key(provider),
            model=provider.model, params=provider.cache_params,
            max_chunk_chars=provider.max_chunk_chars, requests=self.requests,
            documents=len(self.documents), bytes=self.bytes, status=status,
        )  # fmt: skip
        local = self.store.batches.add(record, self.documents, self.pending)
        if self.api is None:
            batch = self.store.batches.get(local)
        else:
            batch = await ensure_created(self.store, self.api, self.store.batches.get(local))
        self._start()
        return batch


async def ensure_created(store: Store, api: BatchClient, batch: StoredBatch) -> StoredBatch:
    """Create a recorded batch at the provider, or adopt the one a killed command created."""
    adopted = await adopt(store, api, batch)
    if adopted is not None:
        return adopted
    state = await api.create(batch.input_file_id, {"annotate_batch": str(batch.id)})
    store.batches.created(batch.id, state.id, state.status)
    return store.batches.get(batch.id)


async def adopt(store: Store, api: BatchClient, batch: StoredBatch) -> StoredBatch | None:
    """Record the batch a killed command created from this input file (None: there is none)."""
    state = await api.find(batch.input_file_id)
    if state is None:
        return None
    store.batches.created(batch.id, state.id, state.status)
    return store.batches.get(batch.id)


# ---------------------------------------------------------------------------
# Polling and collecting
# ---------------------------------------------------------------------------


async def refresh(store: Store, api: BatchClient, batch: StoredBatch) -> BatchState:
    """Poll one batch and record its status (creating it first if a killed submit did not)."""
    if batch.batch_id is None:
        batch = await ensure_created(store, api, batch)
    assert batch.batch_id is not None
    return _recorded(store, batch, await api.retrieve(batch.batch_id))


def _recorded(store: Store, batch: StoredBatch, state: BatchState) -> BatchState:
    """Keep the batch's status and counts as the provider just reported them."""
    store.batches.update(
        batch.id, state.status, state.completed, state.failed,
        state.output_file_id, state.error_file_id,
    )  # fmt: skip
    return state


# ---------------------------------------------------------------------------
# Cancelling
# ---------------------------------------------------------------------------

#: The provider's status of a batch asked to stop, before it is ``cancelled``.
CANCELLING = "cancelling"


@dataclass
class Cancelled:
    """One batch `cancel` was asked to stop, and where it stands now."""

    batch: StoredBatch
    #: ``cancelling`` or ``cancelled``, or the status it had already ended with.
    status: str
    #: Whether this command asked the provider to cancel it (no: it had ended, or was
    #: being cancelled already, or was never created and is closed here).
    asked: bool
    #: Recorded by a killed submit but never created: closed here, its documents pending.
    never_created: bool = False
    #: Written with ``--out`` (no provider holds it): closed here, its documents pending.
    offline: bool = False


async def cancel(
    store: Store, provider_for: ProviderFor, batches: list[StoredBatch]
) -> list[Cancelled]:
    """Ask the provider to cancel each of `batches` still running, and record their status.

    A batch that ended already is left to `collect`. One a killed submit
    recorded but never created is not created to be cancelled: it is closed at
    once, its documents pending again.
    """
    providers: dict[str, OpenAIChatProvider] = {}
    done: list[Cancelled] = []
    try:
        for batch in batches:
            if is_offline(batch):  # nothing runs it that annotate could stop: just close it
                store.batches.never_created(batch.id)
                done.append(
                    Cancelled(store.batches.get(batch.id), "cancelled", False, offline=True)
                )
                continue
            provider = providers.get(batch.job.params_hash) or provider_for(batch)
            providers[batch.job.params_hash] = provider
            done.append(await _cancel_one(store, batch_client(provider), batch))
    finally:
        for provider in providers.values():
            await provider.aclose()
    return done


async def _cancel_one(store: Store, api: BatchClient, batch: StoredBatch) -> Cancelled:
    if batch.batch_id is None:
        adopted = await adopt(store, api, batch)
        if adopted is None:
            store.batches.never_created(batch.id)
            return Cancelled(store.batches.get(batch.id), "cancelled", False, never_created=True)
        batch = adopted
    assert batch.batch_id is not None
    state = await refresh(store, api, batch)
    if not (state.ended or state.status == CANCELLING):
        try:
            state = _recorded(store, batch, await api.cancel(batch.batch_id))
        except ProviderError:  # it may have ended since it was polled: then nothing to stop
            state = await refresh(store, api, batch)
            if not state.ended:
                raise
            return Cancelled(store.batches.get(batch.id), state.status, False)
        return Cancelled(store.batches.get(batch.id), state.status, True)
    return Cancelled(store.batches.get(batch.id), state.status, False)


@dataclass
class BatchCollection:
    """One open batch as `collect` found it, and what became of it."""

    batch: StoredBatch
    state: BatchState | None = None
    #: The pre-annotation run that took its documents (None: not collected, still running).
    summary: RunSummary | None = None
    #: Its requests answered from the batch, re-asked online, and sent online instead.
    answered: int = 0
    reasked: int = 0
    online: int = 0

    @property
    def deferred(self) -> int:
        """Documents a cancelled batch did not finish: pending again, for a later run."""
        return self.summary.deferred if self.summary is not None else 0

    #: Its requests with no result yet (``--results`` files that lacked them): it stays open.
    unanswered: int = 0

    @property
    def in_progress(self) -> bool:
        return self.state is None or not self.state.ended


@dataclass
class Collected:
    """Every open batch `collect` looked at, oldest first; `stopped` ends it early."""

    batches: list[BatchCollection] = field(default_factory=list)

    @property
    def summaries(self) -> list[RunSummary]:
        return [b.summary for b in self.batches if b.summary is not None]

    @property
    def in_progress(self) -> list[BatchCollection]:
        return [b for b in self.batches if b.in_progress]

    @property
    def stopped(self) -> RunSummary | None:
        return next((s for s in self.summaries if s.stopped is not None), None)

    @property
    def failed(self) -> int:
        return sum(s.counters.failed for s in self.summaries)

    @property
    def waiting(self) -> list[BatchCollection]:
        """Batches written with ``--out`` that still wait for answers to some requests."""
        return [b for b in self.batches if b.unanswered]


@dataclass
class ResultLines:
    """What `collect_results` made of the lines of the result files it was given."""

    lines: int = 0
    #: Lines whose request waits in an open ``--out`` batch: their answers were kept.
    taken: int = 0
    #: custom_ids of requests collected before (a file given twice): nothing taken again.
    collected_before: list[str] = field(default_factory=list)
    #: custom_ids no batch of this store ever held (another store's file, another job).
    unknown: list[str] = field(default_factory=list)


#: Builds the provider of a batch's job (its model and output-changing parameters).
ProviderFor = Callable[[StoredBatch], OpenAIChatProvider]


async def collect(
    store: Store,
    provider_for: ProviderFor,
    *,
    concurrency: int = 8,
    price_for: Callable[[StoredBatch], Price | None] | None = None,
    on_progress: ProgressCallback | None = None,
    max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    folder: Path | None = None,
) -> Collected:
    """Collect every open batch that ended; report those still running.

    `price_for` prices a batch's model (None: unknown); its batch answers cost
    `pricing.BATCH_DISCOUNT` less. Collection stops at the first run that
    stops early (endpoint down for the online fallbacks, ...): that batch stays
    open, and the next `collect` resumes it.
    """
    collected = Collected()
    providers: dict[str, OpenAIChatProvider] = {}
    run = _Collector(store, concurrency, price_for, on_progress, max_consecutive_failures)
    try:
        for batch in store.batches.all(open_only=True):
            if is_offline(batch):  # its answers come with `collect_results`
                continue
            provider = providers.get(batch.job.params_hash) or provider_for(batch)
            providers[batch.job.params_hash] = provider
            _check_job(provider, batch)
            api = batch_client(provider)
            item = BatchCollection(batch)
            collected.batches.append(item)
            item.state = await refresh(store, api, batch)
            if not item.state.ended:
                continue
            if not store.batches.get(batch.id).results_saved:
                await _save_results(store, api, store.batches.get(batch.id), folder)
            if not await run.ingest(provider, item):
                break
    finally:
        for provider in providers.values():
            await provider.aclose()
    return collected


async def collect_results(
    store: Store,
    paths: list[Path],
    provider_for: ProviderFor,
    *,
    concurrency: int = 8,
    price_for: Callable[[StoredBatch], Price | None] | None = None,
    on_progress: ProgressCallback | None = None,
    max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
) -> tuple[Collected, ResultLines]:
    """Ingest output files an engine of one's own wrote for the ``--out`` batches.

    Every file is read whole first: one that is missing or not Batch output
    raises `ResultsFileError` before anything is stored. Its answers are then
    kept with their requests (lines for requests of no open batch are counted
    and named, not taken) and each open ``--out`` batch goes through the
    online pipeline as a provider's batch does: invalid answers re-asked
    online, failed lines sent online. A request still without an answer leaves
    its document waiting in the batch for a later file; the batch is closed
    once every request has a result.
    """
    lines = ResultLines(lines=sum(_count(read_results_file(path)) for path in paths))
    offline = [b for b in store.batches.all(open_only=True) if is_offline(b)]
    providers: dict[str, OpenAIChatProvider] = {}
    collected = Collected()
    try:
        for batch in offline:  # before anything is stored: a provider refused stores nothing
            provider = providers.get(batch.job.params_hash) or provider_for(batch)
            providers[batch.job.params_hash] = provider
            _check_job(provider, batch)
        _take_lines(store, paths, offline, lines)
        run = _Collector(store, concurrency, price_for, on_progress, max_consecutive_failures)
        for batch in offline:
            item = BatchCollection(batch, state=BatchState(batch.input_file_id, "completed"))
            collected.batches.append(item)
            if not await run.ingest(providers[batch.job.params_hash], item):
                break
    finally:
        for provider in providers.values():
            await provider.aclose()
    return collected, lines


def _take_lines(
    store: Store, paths: list[Path], offline: list[StoredBatch], lines: ResultLines
) -> None:
    """Keep the files' answers with the requests of the open `offline` batches; sort the rest."""
    answers = (_answer_of(result) for path in paths for result in read_results_file(path))
    if offline:
        unmatched = store.batches.save_answers_by_request([b.id for b in offline], answers)
    else:
        unmatched = [answer.custom_id for answer in answers]
    lines.taken = lines.lines - len(unmatched)
    known = store.batches.known_requests(unmatched)
    lines.collected_before = [c for c in unmatched if c in known]
    lines.unknown = [c for c in unmatched if c not in known]


def _count(results: Iterable[BatchResult]) -> int:
    return sum(1 for _ in results)


class _Collector:
    """Runs an ended batch's documents through the pipeline, then closes the batch if it can."""

    def __init__(
        self,
        store: Store,
        concurrency: int,
        price_for: Callable[[StoredBatch], Price | None] | None,
        on_progress: ProgressCallback | None,
        max_consecutive_failures: int,
    ) -> None:
        self.store = store
        self.concurrency = concurrency
        self.price_for = price_for
        self.on_progress = on_progress
        self.max_consecutive_failures = max_consecutive_failures

    async def ingest(self, provider: OpenAIChatProvider, item: BatchCollection) -> bool:
        """Collect `item`'s batch; False when the run stopped early (the batch stays open).

        The batch is closed once every document went through, except an
        ``--out`` batch with requests still unanswered: it waits for them.
        """
        store, batch = self.store, item.batch
        answered = BatchAnswered(provider, store, store.batches.get(batch.id))
        job = batch.job
        selection = (
            store.batches.count_pending(batch.id, job),
            store.batches.iter_pending(batch.id, job),
        )
        item.summary = await preannotate(
            store, answered, concurrency=self.concurrency,
            price=self.price_for(batch) if self.price_for else None,
            on_progress=self.on_progress,
            max_consecutive_failures=self.max_consecutive_failures, selection=selection,
        )  # fmt: skip
        item.answered, item.reasked, item.online = (
            answered.answered, answered.reasked, answered.online,
        )  # fmt: skip
        store.batches.collecting(batch.id, item.summary.run_id)
        if item.summary.stopped is not None:
            return False
        item.unanswered = store.batches.count_unanswered(batch.id) if is_offline(batch) else 0
        if not item.unanswered:
            store.batches.collected(batch.id)
        return True


def _check_job(provider: OpenAIChatProvider, batch: StoredBatch) -> None:
    """Refuse to collect answers to another prompt or schema than this annotate's."""
    if job_key(provider) != batch.job:
        raise ConfigurationError(
            f"batch {batch.batch_id or batch.id} was submitted for {batch.job.model_version} "
            f"(parameters {batch.job.params_hash}), but this annotate's prompt or schema make "
            f"{job_key(provider).model_version}: collect it with the annotate that submitted it"
        )


async def _save_results(
    store: Store, api: BatchClient, batch: StoredBatch, folder: Path | None
) -> None:
    """Download the batch's output and error files to disk and keep their answers, once."""
    with tempfile.TemporaryDirectory(dir=folder, prefix="annotate-results-") as tmp:
        paths = []
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                path = Path(tmp) / f"{file_id}.jsonl"
                await api.download(file_id, path)
                paths.append(path)
        store.batches.save_answers(batch.id, _answers(paths))


def _answers(paths: list[Path]) -> Any:
    for path in paths:
        with path.open("rb") as lines:
            for result in parse_results(lines):
                yield _answer_of(result)


def _answer_of(result: BatchResult) -> BatchAnswer:
    body = json.dumps(result.body, ensure_ascii=False) if result.body else None
    return BatchAnswer(result.custom_id, result.status, body or "", result.error)


class BatchAnswered:
    """A provider that answers from a batch's results, and online where the batch did not.

    It stands for `provider` in the pipeline: the same name, model, job key and
    cache parameters, so the calls and predictions it makes are the online
    route's. Chunks are cut at the size the batch was submitted with, so each
    chunk finds its request; a chunk split again after a truncation has none
    and goes online. A cancelled batch sends nothing online instead: a chunk it
    did not answer leaves its document for later (`Deferred`).
    """

    cacheable = True

    def __init__(self, provider: OpenAIChatProvider, store: Store, batch: StoredBatch) -> None:
        self.provider = provider
        self.store = store
        self.batch = batch
        self.name = provider.name
        self.model = provider.model
        self.prompt_version = provider.prompt_version
        self.key = batch.job
        #: A cancelled batch: what it did not answer is left for later, not sent online.
        self.deferring = batch.status == "cancelled"
        #: An ``--out`` batch: a request with no result yet waits for a later file.
        self.offline = is_offline(batch)
        self.answered = 0
        self.reasked = 0
        self.online = 0

    @property
    def model_version(self) -> str:
        return self.provider.model_version

    @property
    def cache_params(self) -> dict[str, Any]:
        return self.provider.cache_params

    @property
    def max_chunk_chars(self) -> int | None:
        return self.batch.max_chunk_chars

    @property
    def retries(self) -> int:
        return self.provider.retries

    async def extract(self, text: str) -> ProviderResult:
        """The batch's answer for `text`, validated (and re-asked online); else an online call."""
        custom_id = call_key(self.provider, self.key, text)
        stored = self.store.batches.answer(self.batch.id, custom_id)
        if (
            stored is not None
            and self.offline
            and not self.store.batches.request_answered(self.batch.id, custom_id)
        ):
            raise Deferred("no answer for it in the result files given so far")  # fmt: skip
        if stored is None or stored.status != 200 or stored.error is not None:
            if self.deferring:
                raise Deferred(f"batch {self.batch.batch_id} was cancelled before answering it")
            self.online += 1
            return await self.provider.extract(text)
        result = BatchResult(stored.custom_id, stored.status, json.loads(stored.body or "{}"))
        content, usage = result.answer()  # truncated or refused: raised as online
        try:
            got = await self.provider.extract_answered(text, content or "")
        except CallFailed as exc:
            self.reasked += 1
            exc.usage.add(usage)
            raise
        got.usage.add(usage)
        if got.reasks:
            self.reasked += 1
        else:
            self.answered += 1
        return got

    async def aclose(self) -> None:
        """Nothing: `collect` closes the provider it lent once every batch is done."""
