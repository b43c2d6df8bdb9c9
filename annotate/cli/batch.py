"""`annotate batch status` and `annotate batch collect` (``--batch`` is in `batch_submit`).

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
``until annotate batch status; do sleep 600; done``.
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
from annotate.preannotate.batch import Collected, batch_client, collect, refresh
from annotate.preannotate.budget import DEFAULT_MAX_CONSECUTIVE_FAILURES
from annotate.preannotate.providers import make_provider
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.store import Store, StoredBatch

from .common import DbOption, console, open_store
from .llm_options import (
    ConcurrencyOption,
    ContextWindowOption,
    MaxRetriesOption,
    PriceInputOption,
    PriceOutputOption,
    PricesOption,
    RpmOption,
    TpmOption,
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
    running = [b for b in shown if not b.collected and not _ended(b.status)]
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


def _ended(status: str) -> bool:
    return status in ("completed", "failed", "expired", "cancelled")


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
    from annotate.llm import choose_price

    return choose_price(
        batch.model, input_override=price_input, output_override=price_output,
        prices_file=prices,
    )  # fmt: skip


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


def register(app: typer.Typer) -> None:
    app.add_typer(batch_app, name="batch")
