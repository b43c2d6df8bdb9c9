"""`annotate batch status|collect|cancel` (``--batch`` is in `batch_submit`).

The batch route sends the job's requests through OpenAI's Batch API (half
price, answered within 24 hours) and ingests the answers through the online
route's validation, re-asks, grounding, cache and store
(`annotate.preannotate.batch`).

Exit statuses, as `annotate preannotate`'s: ``collect`` exits 0 when every
document of the batches it collected got a prediction, 1 when some failed
(they stay pending for the next run), 3 when a batch is still in progress or
collection stopped early (endpoint down for the online fallbacks): run it
again later, it resumes. ``status`` exits 3 while a batch is still running
and 0 once every open batch can be collected, so a script can wait with
``until annotate batch status; do sleep 600; done``. ``cancel`` exits 0 once
no batch it was given still runs (cancelling, cancelled, or ended already);
``collect`` then ingests what a cancelled batch finished and leaves its other
documents pending, which does not change its exit status.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from annotate.llm import PriceChoice
from annotate.llm.batch_client import ENDED
from annotate.preannotate.batch import (
    Cancelled,
    Collected,
    batch_client,
    cancel,
    collect,
    refresh,
)
from annotate.preannotate.budget import DEFAULT_MAX_CONSECUTIVE_FAILURES
from annotate.preannotate.providers import make_provider
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.store import Store, StoredBatch

from .common import DbOption, console, fail, open_store
from .llm_options import (
    ConcurrencyOption,
    ContextWindowOption,
    MaxRetriesOption,
    PriceInputOption,
    PriceOutputOption,
    PricesOption,
    RpmOption,
    TpmOption,
    job_price,
)
from .preannotate import EXIT_DONE, EXIT_FAILURES, EXIT_STOPPED, exit_status, summary_table

batch_app = typer.Typer(
    help="The batch route: poll and collect what `annotate preannotate --batch` submitted.",
    no_args_is_help=True,
)


# ---------------------------------------------------------------- status


@batch_app.command("status")
def status_command(
    json_output: Annotated[bool, typer.Option("--json", help="Print the batches as JSON.")] = False,
    all_batches: Annotated[
        bool, typer.Option("--all", help="Show collected batches too (not polled again).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Poll the open batches and show how far each got; exit 3 while any is still running."""
    with open_store(db) as store:
        asyncio.run(_refresh_all(store))
        shown = store.batches(open_only=not all_batches)
    if json_output:
        typer.echo(json.dumps([_batch_json(b) for b in shown], indent=2))
    else:
        console.print(_status_table(shown))
    running = [b for b in shown if not b.collected and b.status not in ENDED]
    raise typer.Exit(EXIT_STOPPED if running else EXIT_DONE)


async def _refresh_all(store: Store) -> None:
    providers: dict[str, OpenAIChatProvider] = {}
    try:
        for batch in store.batches(open_only=True):
            key = batch.job.params_hash
            providers[key] = providers.get(key) or _job_provider(batch, {})
            await refresh(store, batch_client(providers[key]), batch)
    finally:
        for provider in providers.values():
            await provider.aclose()


def _status_table(batches: list[StoredBatch]) -> Table:
    table = Table(title="batches" if batches else "no open batches")
    for column in ("batch", "id", "status", "done", "failed", "requests", "documents", "model"):
        table.add_column(column)
    for b in batches:
        status = "collected" if b.collected else b.status
        table.add_row(str(b.id), b.batch_id or "-", status, str(b.completed), str(b.failed),
                      str(b.requests), str(b.documents), b.model)  # fmt: skip
    return table


def _batch_json(b: StoredBatch) -> dict[str, Any]:
    return {
        "batch": b.id, "id": b.batch_id, "status": b.status, "collected": b.collected,
        "requests": b.requests, "completed": b.completed, "failed": b.failed,
        "documents": b.documents, "bytes": b.bytes, "model": b.model,
        "model_version": b.job.model_version, "submitted_at": b.submitted_at,
        "collected_at": b.collected_at,
    }  # fmt: skip


# ---------------------------------------------------------------- collect


@batch_app.command("collect")
def collect_command(
    concurrency: ConcurrencyOption = 8,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    context_window: ContextWindowOption = 16000,
    max_retries: MaxRetriesOption = 6,
    price_input: PriceInputOption = None,
    price_output: PriceOutputOption = None,
    prices: PricesOption = None,
    max_consecutive_failures: Annotated[
        int,
        typer.Option(
            min=1, help="Stop after this many documents in a row fail to reach the endpoint."
        ),
    ] = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    wait: Annotated[
        bool, typer.Option("--wait", help="Poll until every open batch has ended and collect it.")
    ] = False,
    poll_interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds between polls with --wait.")
    ] = 60.0,
    db: DbOption = None,
) -> None:
    """Ingest the answers of every batch that ended, like the online route's.

    Invalid answers are re-asked online, and requests a batch failed or did
    not reach (expired) are sent online; the model and its parameters are the
    batch's. A killed collect resumes where it stopped and ingests nothing twice.
    """
    endpoint = {"context_window_tokens": context_window, "max_retries": max_retries,
                "rpm": rpm, "tpm": tpm}  # fmt: skip
    prices_given = (price_input, price_output, prices)
    results: list[Collected] = []
    with open_store(db) as store:
        if not store.batches(open_only=True):
            console.print("no open batches: nothing to collect")
            raise typer.Exit(EXIT_DONE)
        while True:
            collected = asyncio.run(
                collect(
                    store, lambda batch: _job_provider(batch, endpoint),
                    concurrency=concurrency,
                    price_for=lambda batch: _price(batch, *prices_given).price,
                    max_consecutive_failures=max_consecutive_failures,
                )
            )  # fmt: skip
            results.append(collected)
            _report(collected, prices_given)
            if not (wait and collected.in_progress and collected.stopped is None):
                break
            time.sleep(poll_interval)
    raise typer.Exit(_exit_status(results[-1], sum(c.failed for c in results)))


def _job_provider(batch: StoredBatch, endpoint: dict[str, Any]) -> OpenAIChatProvider:
    """The provider of the batch's job: its model and output-changing parameters, this endpoint."""
    params = batch.params
    provider = make_provider(
        "openai", model=batch.model, temperature=params.get("temperature", 0.0),
        max_tokens=params.get("max_tokens", 4096),
        response_format=params.get("response_format", "auto"), **endpoint,
    )  # fmt: skip
    assert isinstance(provider, OpenAIChatProvider)
    return provider


def _price(
    batch: StoredBatch, price_input: float | None, price_output: float | None,
    prices: Path | None,
) -> PriceChoice:  # fmt: skip
    """What the batch's model costs: the batch route runs on the openai provider only."""
    return job_price("openai", batch.model, price_input, price_output, prices)


def _report(collected: Collected, prices: tuple[Any, ...]) -> None:
    for item in collected.batches:
        b = item.batch
        name = f"batch {b.id} ({b.batch_id or 'not created'})"
        status = item.state.status if item.state else b.status
        if item.summary is None:
            console.print(f"{name}: {status}, {item.state.completed if item.state else 0} of "
                          f"{b.requests} requests done: not collected yet")  # fmt: skip
            continue
        console.print(
            f"{name}: {status}; {item.answered} answer(s) taken from the batch, "
            f"{item.reasked} re-asked online, {item.online} sent online instead "
            "(failed, expired or split)",
            highlight=False,
        )
        if item.deferred:
            console.print(
                f"{name}: {item.deferred} document(s) it did not finish before it was "
                "cancelled are pending again: `annotate preannotate` (online or --batch) "
                "takes them", highlight=False, soft_wrap=True,
            )  # fmt: skip
        console.print(summary_table(item.summary, _price(b, *prices)))


def _exit_status(collected: Collected, failed: int) -> int:
    """0, 1 or 3 as `annotate preannotate`'s, saying why on stderr when it is 3."""
    stopped = collected.stopped
    if stopped is not None:
        return exit_status(stopped)
    if collected.in_progress:
        typer.echo(
            f"{len(collected.in_progress)} batch(es) still in progress: their documents stay "
            "pending. To resume: run `annotate batch collect` again later (or with --wait).",
            err=True,
        )
        return EXIT_STOPPED
    for summary in collected.summaries:
        if summary.counters.failed:
            exit_status(summary)
    return EXIT_FAILURES if failed else EXIT_DONE


# ---------------------------------------------------------------- cancel


@batch_app.command("cancel")
def cancel_command(
    batch_ids: Annotated[
        list[str] | None,
        typer.Argument(
            help="Batches to cancel: the provider's id or the store's number, as "
            "`annotate batch status` shows them.",
            show_default=False,
        ),
    ] = None,
    all_batches: Annotated[bool, typer.Option("--all", help="Cancel every open batch.")] = False,
    db: DbOption = None,
) -> None:
    """Stop open batches at the provider; `annotate batch collect` then ingests what they finished.

    The documents a cancelled batch did not answer go back to the pending ones,
    for a later `annotate preannotate`, online or with --batch.
    """
    with open_store(db) as store:
        chosen = _to_cancel(store, batch_ids or [], all_batches)
        if not chosen:
            console.print("no open batches: nothing to cancel")
            raise typer.Exit(EXIT_DONE)
        outcomes = asyncio.run(cancel(store, lambda batch: _job_provider(batch, {}), chosen))
    for outcome in outcomes:
        console.print(_cancelled_line(outcome), highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_DONE)


def _to_cancel(store: Store, ids: list[str], all_batches: bool) -> list[StoredBatch]:
    """The open batches named (by the provider's id or the store's number), or all with --all."""
    if all_batches == bool(ids):
        raise fail("name the batches to cancel (ids from `annotate batch status`) or give --all")
    if all_batches:
        return store.batches(open_only=True)
    known = store.batches()
    chosen: list[StoredBatch] = []
    for given in ids:
        found = next((b for b in known if given in (b.batch_id, str(b.id))), None)
        if found is None:
            raise fail(f"no batch {given} in the store: see `annotate batch status --all`")
        if found.collected:
            raise fail(f"batch {given} is collected already: nothing to cancel")
        chosen.append(found)
    return chosen


def _cancelled_line(outcome: Cancelled) -> str:
    b = outcome.batch
    name = f"batch {b.id} ({b.batch_id or 'not created'})"
    if outcome.never_created:
        return (f"{name}: never created at the provider, so closed here: its {b.documents} "
                "document(s) are pending again")  # fmt: skip
    if outcome.status in ENDED and outcome.status != "cancelled":
        return (f"{name}: {outcome.status} already, nothing to cancel: `annotate batch "
                "collect` ingests it")  # fmt: skip
    already = "" if outcome.asked else " already"
    return (f"{name}: {outcome.status}{already}; run `annotate batch collect` once it is "
            "cancelled: what it finished is ingested, its other documents go back to "
            "pending")  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(batch_app, name="batch")
