"""Run a provider over every pending document: the pre-annotation job.

The pipeline owns what is common to every provider: streaming documents out of
the store, a bounded pool of concurrent workers, chunking long texts, the LLM
call cache, grounding quotes into spans, and recording exactly one prediction
or one failure per document per run. Documents stream through a small queue,
so memory stays flat however large the corpus is.

Some conditions stop the run early instead (`budget`): an error that holds
for every document (a refused API key, an endpoint that cannot be reached), a
run of consecutive transport failures (the circuit breaker), or a spending
budget that the next call would pass. Then the documents in flight finish,
nothing more is sent, the documents not reached stay pending (they are not
failures), the run is marked ``stopped`` with the reason, and the summary's
`stopped` says why, so a wrong key costs one request, not one failure per
document, and the same call later resumes the job.

Several processes may run the same job on one store: each document is claimed
in the store before its first call (`Store.claim_documents`), so each is paid
for once; the claims go back as documents are recorded or when the run ends,
and the claims of a process that died are taken over by the next run.

Documents of the job that wait in an open batch (`annotate preannotate
--batch`, not collected yet) are left to it: their requests are paid for
already, and `annotate batch collect` ingests them. The summary counts them
(`RunSummary.in_batches`). A provider may also leave a document for later
(`Deferred`: a cancelled batch's unanswered chunk): it stays pending, neither
failed nor attempted, its finished chunks' calls kept (`RunSummary.deferred`).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from annotate.errors import AnnotateError
from annotate.llm import Price
from annotate.schemas import Annotation, Extraction, schema_version
from annotate.store import (
    Document,
    Failure,
    JobKey,
    LLMCall,
    Prediction,
    RunCounts,
    RunSpec,
    Store,
)

from .budget import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES,
    Budget,
    BudgetReached,
    CircuitBreaker,
    Reservation,
    Stop,
    budget_price,
)
from .chunking import split_chunk, split_text
from .estimate import TokenModel, token_model
from .grounding import (
    Hallucination,
    ground_extraction,
    merge_annotations,
    quote_key,
    quotes_of,
    shift_annotation,
)
from .providers.base import Deferred, EndpointFailed, ExtractionFailed, Provider, Usage
from .textrange import TextRange

#: Each chunk of a document with what the provider extracted from it.
Parts = list[tuple[TextRange, Extraction]]
#: A chunk shorter than this is not split further when its output is truncated.
MIN_SPLIT_CHARS = 400
#: Failures of a chunk that a shorter chunk may not have: it is split and retried.
SPLIT_REASONS = frozenset({"truncated", "context_length"})
#: What to do after the endpoint stopped a run (its message names what to check).
ENDPOINT_ADVICE = "fix what the message names, then run the same command"
#: Most finished documents committed in one transaction (those finished together).
MAX_GROUP = 16
#: Documents claimed per transaction (`Store.claim_documents`).
CLAIM_BLOCK = 16


@dataclass
class RunSummary:
    run_id: int
    model_version: str
    pending: int
    seconds: float
    counters: RunCounts
    failures: list[Failure] = field(default_factory=list)
    #: Why the run stopped before every pending document was tried (None: it did not).
    stopped: Stop | None = None
    #: Pending documents left to another process that had claimed them (see `Store.claim_document`).
    elsewhere: int = 0
    #: Documents with no prediction left to the open batch they wait in (not in `pending`).
    in_batches: int = 0
    #: Documents the provider left for later (`Deferred`): pending, neither failed nor predicted.
    deferred: int = 0

    @property
    def documents_per_second(self) -> float:
        return self.counters.documents / self.seconds if self.seconds else 0.0

    @property
    def not_attempted(self) -> int:
        """Documents of this run's share that it never tried: still pending, not failed."""
        return max(self.pending - self.counters.documents - self.elsewhere - self.deferred, 0)


ProgressCallback = Callable[[RunCounts], None]
#: The documents a run takes when not every pending one (batch collection): how many, and them.
Selection = tuple[int, Iterable[Document]]


def job_key(provider: Provider) -> JobKey:
    """Identify a job: the same key on a re-run means the work is already done."""
    return JobKey(
        model_version=provider.model_version,
        prompt_version=provider.prompt_version,
        schema_version=schema_version(),
        params_hash=_hash(provider.cache_params)[:12],
    )


def call_key(provider: Provider, key: JobKey, text: str) -> str:
    """The cache key of the call that sends `text` for job `key`."""
    return CallKeys(provider, key)(text)


class CallKeys:
    """`call_key` for one provider and job, the part every call shares encoded and hashed once.

    A key is the SHA-256 of the canonical JSON of the model, the prompt and schema
    versions, the parameters and the text's own SHA-256. ``"text"`` sorts last, so
    the canonical JSON is a shared head, then the text's digest: a call hashes
    only its text and 66 bytes more (3.4 µs a seed-sized text, not 7.4).
    """

    def __init__(self, provider: Provider, key: JobKey) -> None:
        shared = {
            "model": provider.model,
            "prompt": key.prompt_version,
            "schema": key.schema_version,
            "params": provider.cache_params,
        }
        if max(shared) >= "text":
            raise AssertionError("the text's digest must come last in a call's canonical JSON")
        head = _canonical(shared)[:-1] + ',"text":"'
        self._head = hashlib.sha256(head.encode())

    def __call__(self, text: str) -> str:
        digest = self._head.copy()
        digest.update(hashlib.sha256(text.encode()).hexdigest().encode() + b'"}')
        return digest.hexdigest()


def count_to_annotate(store: Store, provider: Provider, limit: int | None = None) -> int:
    """Documents the job takes: no prediction yet, and not waiting in an open batch of the job."""
    pending = store.batches.count_unbatched(job_key(provider))
    return pending if limit is None else min(pending, limit)


async def preannotate(
    store: Store,
    provider: Provider,
    *,
    concurrency: int = 8,
    limit: int | None = None,
    price: Price | None = None,
    on_progress: ProgressCallback | None = None,
    max_cost: float | None = None,
    max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    tokens: TokenModel | None = None,
    selection: Selection | None = None,
) -> RunSummary:
    """Pre-annotate every document with no prediction for this job yet (or `selection`'s).

    `price` None means the cost is unknown (counted as 0 and recorded as
    unpriced). `max_cost` (USD) stops the run before a call would pass it,
    estimating calls with `tokens` (default: calibrated on the store's past
    calls of this model); `max_consecutive_failures` transport failures in a row
    stop it too. A stopped run returns normally: see `RunSummary.stopped`.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    budget = None
    if max_cost is not None:
        budget_price(price, provider.model)  # an unknown price is refused, not counted as 0
        budget = Budget(max_cost, price or Price(0.0, 0.0), tokens or token_model(store, provider))
    breaker = CircuitBreaker(max_consecutive_failures)
    job = _Job(store, provider, price, on_progress, budget, breaker)
    job.selection = selection
    return await job.run(concurrency, limit)


class _Job:
    def __init__(
        self,
        store: Store,
        provider: Provider,
        price: Price | None,
        on_progress: ProgressCallback | None,
        budget: Budget | None,
        breaker: CircuitBreaker,
    ) -> None:
        self.store = store
        self.provider = provider
        self.priced = price
        self.price = price or Price(0.0, 0.0)
        self.on_progress = on_progress
        self.budget = budget
        self.breaker = breaker
        self.key = job_key(provider)
        self.call_keys = CallKeys(provider, self.key)
        self.counters = RunCounts()
        self.run_id = 0
        #: An unexpected error that ends the run as ``failed`` (set by a worker; raised at the end).
        self.fatal: AnnotateError | None = None
        #: Why the run stops early (set once by a worker; the others then send nothing more).
        self.stopped: Stop | None = None
        #: The documents to take instead of every pending one (None: every pending one).
        self.selection: Selection | None = None
        #: This run's holder of document claims, and the documents another process had claimed.
        self.holder = 0
        self.elsewhere = 0
        #: Documents the provider left for later (`Deferred`).
        self.deferred = 0

    async def run(self, concurrency: int, limit: int | None) -> RunSummary:
        if self.selection is None:
            pending = count_to_annotate(self.store, self.provider, limit)
        else:
            pending = self.selection[0] if limit is None else min(self.selection[0], limit)
        in_batches = self.store.batches.count_in_open(self.key) if self.selection is None else 0
        started = time.perf_counter()
        if pending and self.selection is None:
            await self._prepare()
        status = "interrupted"
        # Claims are held for the run: whatever it did not finish goes back at its end. The
        # run records its holder, so a run killed before it records its end reads "killed".
        with self.store.holding("annotate preannotate") as self.holder:
            self.run_id = self.store.runs.start(self._run_record(concurrency), self.holder)
            try:
                await _unwrapped(self._work(concurrency, limit))
                status = "failed" if self.fatal else "stopped" if self.stopped else "finished"
            finally:
                reason = str(self.stopped) if self.stopped else None
                self.store.runs.finish(self.run_id, self.counters, status, reason)
        if self.fatal is not None:
            raise self.fatal
        return RunSummary(
            run_id=self.run_id,
            model_version=self.key.model_version,
            pending=pending,
            seconds=time.perf_counter() - started,
            counters=self.counters,
            failures=self.store.runs.failures(self.run_id),
            stopped=self.stopped,
            elsewhere=self.elsewhere,
            in_batches=in_batches,
            deferred=self.deferred,
        )

    async def _prepare(self) -> None:
        """Let the provider check its endpoint before the first document (`prepare`).

        A wrong model or a window too small for the prompt raises before the run
        is recorded: one ``error:`` line, nothing sent, no document failed. An
        endpoint that cannot be reached stops the run before it takes a document:
        every one stays pending.
        """
        prepare = getattr(self.provider, "prepare", None)
        if prepare is None:
            return
        try:
            await prepare()
        except EndpointFailed as exc:
            if exc.reason != "transport":
                raise
            self._stop(Stop("endpoint", str(exc), ENDPOINT_ADVICE))

    def _run_record(self, concurrency: int) -> RunSpec:
        return RunSpec(
            provider=self.provider.name,
            model=self.provider.model,
            model_version=self.key.model_version,
            prompt_version=self.key.prompt_version,
            schema_version=self.key.schema_version,
            params=self.provider.cache_params,
            concurrency=concurrency,
            price_input=self.priced.input_per_million if self.priced else None,
            price_output=self.priced.output_per_million if self.priced else None,
        )

    async def _work(self, concurrency: int, limit: int | None) -> None:
        documents: asyncio.Queue[Document | None] = asyncio.Queue(maxsize=concurrency * 2)
        extracted: asyncio.Queue[_Extracted | None] = asyncio.Queue(maxsize=concurrency)
        async with asyncio.TaskGroup() as group:
            fetchers = [
                group.create_task(self._fetcher(documents, extracted)) for _ in range(concurrency)
            ]
            group.create_task(self._finisher(extracted))
            await self._feed(documents, limit)
            for _ in fetchers:
                await documents.put(None)
            await asyncio.gather(*fetchers)
            await extracted.put(None)

    async def _feed(self, queue: asyncio.Queue[Document | None], limit: int | None) -> None:
        selected = self.selection
        documents = self.store.batches.iter_unbatched(self.key) if selected is None else selected[1]
        pending = iter(documents)
        count = 0
        while not (self.fatal or self.stopped):
            wanted = CLAIM_BLOCK if limit is None else min(CLAIM_BLOCK, limit - count)
            block = list(itertools.islice(pending, wanted)) if wanted > 0 else []
            if not block:
                return
            # Claimed before any call, a block per commit: another process on this store
            # skips them. Those not sent when the run stops go back at its end.
            claimed = self.store.claim_documents(self.key, [d.id for d in block], self.holder)
            for document in block:
                if self.fatal or self.stopped:
                    return
                if document.id not in claimed:
                    self.elsewhere += 1
                    continue
                count += 1
                await queue.put(document)

    async def _fetcher(
        self,
        documents: asyncio.Queue[Document | None],
        extracted: asyncio.Queue[_Extracted | None],
    ) -> None:
        """Make a document's calls, hand the answers on, and go straight to the next one.

        Grounding and storing happen in `_finisher`, after this worker's next
        request is on the wire: CPU work overlaps the wait for the model instead
        of delaying every request queued behind it.
        """
        while (document := await documents.get()) is not None:
            if self.fatal or self.stopped:
                continue  # the run is stopping: drain the queue, send nothing more
            calls: list[LLMCall] = []
            try:
                parts: Parts | ExtractionFailed = await self._extract_all(document, calls)
            except EndpointFailed as exc:  # holds for every document: not this one's failure
                self._save_calls(calls)
                self._stop(Stop("endpoint", str(exc), ENDPOINT_ADVICE))
                continue
            except BudgetReached as exc:  # not sent: the document stays pending
                self._save_calls(calls)
                self._stop(exc.stop)
                continue
            except Deferred:  # left for later: pending, its finished chunks' calls kept
                self._save_calls(calls)
                self.store.release_document(self.key, document.id, self.holder)
                self.deferred += 1
                continue
            except AnnotateError as exc:
                self._save_calls(calls)
                self.fatal = self.fatal or exc
                continue
            except ExtractionFailed as exc:
                parts = exc
                self._stop(self.breaker.failed(exc))
            else:
                self.breaker.succeeded()
            await extracted.put(_Extracted(document, parts, calls))

    def _stop(self, stop: Stop | None) -> None:
        """Stop the run for `stop` (the first reason given is the one kept)."""
        self.stopped = self.stopped or stop

    async def _finisher(self, extracted: asyncio.Queue[_Extracted | None]) -> None:
        """Ground and commit each finished document: one prediction or one failure.

        Predictions are committed when no finished document waits behind them (or
        `MAX_GROUP` are grounded): the documents that finish together, in bursts or
        while the loop was busy, share one transaction, and none waits for one that
        has not finished, so a kill loses what it lost before: the documents not
        committed yet, at most a group more than the queue holds.
        """
        grounded: list[_Grounded] = []
        try:
            while (item := await extracted.get()) is not None:
                if isinstance(item.parts, ExtractionFailed):
                    self._record_failure(item.document, item.parts)
                else:
                    grounded.append((item, _grounded(item.document, item.parts)))
                self.counters.documents += 1
                if extracted.empty() or len(grounded) >= MAX_GROUP:
                    self._record_predictions(grounded)
                    if self.on_progress:
                        self.on_progress(self.counters)
                # A non-empty queue hands out items without suspending: yield, so that
                # answers that arrived meanwhile are read and the next requests sent.
                await asyncio.sleep(0)
            # The end marker may have waited behind the last documents: count them too.
            self._record_predictions(grounded)
            if self.on_progress:
                self.on_progress(self.counters)
        finally:  # the end, Ctrl-C or an error elsewhere: what is grounded is kept
            self._record_predictions(grounded)

    def _record_failure(self, document: Document, failure: ExtractionFailed) -> None:
        self.store.runs.add_failure(
            Failure(self.run_id, document.id, failure.reason, failure.detail)
        )
        self.counters.failed += 1
        self.store.release_document(self.key, document.id, self.holder, failed=True)

    def _record_predictions(self, grounded: list[_Grounded]) -> None:
        """Commit the grounded documents in one transaction (each claim goes back in it)."""
        group = grounded[:]
        grounded.clear()  # tried once: an error here is not retried by the finisher's end
        if not group:
            return
        with self.store.predictions.together():
            for item, stored in group:
                self._record_prediction(item.document, stored, item.calls)

    async def _extract_all(self, document: Document, calls: list[LLMCall]) -> Parts:
        """Every chunk's extraction; a chunk too long for the model is split in two and retried.

        Too long is either an answer cut short (``truncated``) or a prompt the
        context window cannot hold (``context_length``, refused by the server
        or not sent because the calibrated estimate says so): both shrink with
        the chunk.

        Paid calls are collected in `calls`. A one-call document's call is
        committed with its prediction, in the same transaction; the calls of a
        document that needs several are committed as each one returns, so a
        killed job never pays twice for the finished parts of a long document.
        """
        pending = split_text(document.text, self.provider.max_chunk_chars)
        parts: Parts = []
        while pending:
            chunk = pending.pop(0)
            try:
                parts.append((chunk, await self._extract(document, chunk, calls)))
            except ExtractionFailed as exc:
                self._save_calls(calls)
                too_long = exc.reason in SPLIT_REASONS
                if not too_long or chunk.end - chunk.start < MIN_SPLIT_CHARS:
                    raise
                pending[0:0] = split_chunk(chunk, document.text)
            if pending or len(parts) > 1:
                self._save_calls(calls)
        return parts

    def _save_calls(self, calls: list[LLMCall]) -> None:
        self.store.calls.record(calls)
        calls.clear()

    async def _extract(
        self, document: Document, chunk: TextRange, calls: list[LLMCall]
    ) -> Extraction:
        """One chunk's extraction: from the cache when this exact call was made before."""
        text = chunk.of(document.text)
        key = self.call_keys(text)
        cached = self.store.calls.cached(key) if self.provider.cacheable else None
        if cached is not None:
            self.counters.cached_calls += 1
            return Extraction.model_validate_json(cached)
        reservation = self.budget.reserve(len(text)) if self.budget else None
        started = time.perf_counter()
        try:
            result = await self.provider.extract(text)
        except ExtractionFailed as exc:
            self._settle(reservation, self._count_usage(exc.usage))
            raise
        cost = self._count_usage(result.usage)
        self._settle(reservation, cost)
        self.counters.llm_calls += 1
        if self.provider.cacheable:
            calls.append(
                self._call_record(
                    key,
                    document,
                    chunk,
                    result.raw,
                    result.usage,
                    result.reasks,
                    cost,
                    time.perf_counter() - started,
                )
            )
        return result.extraction

    def _settle(self, reservation: Reservation | None, cost: float) -> None:
        if self.budget is not None and reservation is not None:
            self.budget.settle(reservation, cost)

    def _count_usage(self, usage: Usage) -> float:
        cost = self.price.cost_of(usage)  # a batch's answers at the batch discount
        self.counters.requests += usage.requests
        self.counters.prompt_tokens += usage.prompt_tokens
        self.counters.completion_tokens += usage.completion_tokens
        self.counters.cost_usd += cost
        return cost

    def _call_record(
        self,
        key: str,
        document: Document,
        chunk: TextRange,
        raw: str,
        usage: Usage,
        reasks: int,
        cost: float,
        seconds: float,
    ) -> LLMCall:
        """The cache row of one paid call (committed by `_save_calls` or with the prediction)."""
        return LLMCall(
            key=key,
            run_id=self.run_id,
            document_id=document.id,
            model=self.provider.model,
            prompt_version=self.key.prompt_version,
            schema_version=self.key.schema_version,
            params_hash=self.key.params_hash,
            chunk_start=chunk.start,
            chunk_end=chunk.end,
            response=raw,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            requests=usage.requests,
            reasks=reasks,
            cost_usd=cost,
            duration_ms=int(seconds * 1000),
        )

    def _record_prediction(
        self, document: Document, stored: _Annotated, calls: list[LLMCall]
    ) -> None:
        spans, hallucinated = stored.spans, stored.hallucinated
        self.store.predictions.add(
            Prediction(
                document_id=document.id,
                run_id=self.run_id,
                provider=self.provider.name,
                model=self.provider.model,
                job=self.key,
                annotation=stored.annotation,
                spans=spans,
                hallucinations=len(hallucinated),
                hallucinated=json.dumps([asdict(h) for h in hallucinated], ensure_ascii=False),
            ),
            calls,
            claimed_by=self.holder,
        )
        self.counters.predicted += 1
        self.counters.spans += spans
        self.counters.hallucinations += len(hallucinated)


@dataclass
class _Extracted:
    """A document whose calls are done: its chunks' extractions, or why it failed."""

    document: Document
    parts: Parts | ExtractionFailed
    #: Paid calls not committed yet: they go in with the prediction.
    calls: list[LLMCall]


@dataclass(frozen=True)
class _Annotated:
    """A document's grounded annotation as the store takes it."""

    #: The `Annotation` as JSON (``model_dump_json``).
    annotation: str
    #: Its regions (`count_spans`).
    spans: int
    hallucinated: list[Hallucination]


#: A finished document with its grounded annotation and hallucinations, not committed yet.
_Grounded = tuple[_Extracted, _Annotated]


def _grounded(document: Document, parts: Parts) -> _Annotated:
    """Ground each chunk's quotes in its text, move them into the document, merge.

    A document's hallucinations are counted once each: a quote missing from
    one chunk but grounded in another (chunks overlap, and a model may finish a
    sentence cut at its chunk's edge) is not one, and a made-up quote that
    several chunks return, as whatever kind and however spaced or cased
    (`quote_key`), is one.

    A document read in one piece (most are) is stored as grounding built it
    (`GroundingResult.annotation_json`): no model is built only to be
    serialised.
    """
    results = [
        ground_extraction(chunk.of(document.text), extraction) for chunk, extraction in parts
    ]
    missing = [grounded.hallucinations for grounded in results]
    found: set[str] = set()
    if len(parts) > 1:
        for (_, extraction), misses in zip(parts, missing, strict=True):
            missed = {quote_key(miss.quote) for miss in misses}
            found |= {quote_key(quote) for quote in quotes_of(extraction)} - missed
    hallucinated: dict[str, Hallucination] = {}
    for misses in missing:
        for miss in misses:
            key = quote_key(miss.quote)
            if key not in found:
                hallucinated.setdefault(key, miss)
    if len(parts) == 1 and parts[0][0].start == 0:
        (only,) = results
        return _Annotated(only.annotation_json(), only.spans, list(hallucinated.values()))
    shifted = [
        shift_annotation(grounded.annotation, chunk.start, document.text)
        for (chunk, _), grounded in zip(parts, results, strict=True)
    ]
    annotation = merge_annotations(shifted)
    return _Annotated(
        annotation.model_dump_json(), count_spans(annotation), list(hallucinated.values())
    )


async def _unwrapped(work: Awaitable[None]) -> None:
    """Await `work`; an error of one task leaves the task group as itself, not as a group.

    The caller (and the CLI's single error handler) then sees a `StoreError` or
    a `KeyboardInterrupt` as it was raised.
    """
    try:
        await work
    except BaseExceptionGroup as group:
        leaves = _leaves(group)
        if len(leaves) == 1:
            raise leaves[0] from None
        raise


def _leaves(group: BaseExceptionGroup[Any]) -> list[BaseException]:
    found: list[BaseException] = []
    for exc in group.exceptions:
        found.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return found


def count_spans(annotation: Annotation) -> int:
    """Regions an annotator will see: mentions, claims, cues and stance evidence."""
    return (
        sum(len(actor.mentions) for actor in annotation.actors)
        + len(annotation.claims)
        + sum(1 for claim in annotation.claims if claim.cue is not None)
        + len(annotation.stances)
    )


def _hash(value: Any) -> str:
    return hashlib.sha256(_canonical(value).encode()).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
