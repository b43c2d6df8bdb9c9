"""`annotate preannotate`: run a provider over the pending documents.

Exit status: 0 when every document asked for got a prediction, 1 when some
failed (each recorded with its reason), 3 when the job stopped early (budget
reached, endpoint down or refusing the key): the documents it did not reach
stay pending and the same command resumes. Errors before the job starts
(configuration, store) are ``error:`` lines with status 1, as everywhere.
Documents that wait in an open batch of the job (``--batch``, not collected
yet) are left to it, said in one line, and do not change the status: the
batch is paid for, and `annotate batch collect` ingests it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Annotated, Any

import typer
from rich.table import Table

from annotate.collector import collector_settled
from annotate.llm import EndpointSettings, PriceChoice
from annotate.llm.batch_files import MAX_BYTES, MAX_REQUESTS
from annotate.preannotate.dry_run import JobEstimate, estimate_job
from annotate.preannotate.pipeline import (
    RunSummary,
    count_to_annotate,
    preannotate,
)
from annotate.preannotate.providers import (
    PROVIDERS,
    Provider,
    default_provider_name,
    make_provider,
)
from annotate.store import Store

from .batch_submit import (
    BatchMaxBytesOption,
    BatchMaxRequestsOption,
    BatchOption,
    BatchOutOption,
    offline_settings,
    report_waiting,
    submit_batches,
)
from .common import DbOption, console, counted, open_store, styled
from .job_progress import progress_bar
from .llm_options import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES,
    ENDPOINT_OPTIONS,
    MaxConsecutiveFailuresOption,
    endpoint_options,
    job_price,
)

#: The provider option, shared with `annotate serve`.
ProviderOption = Annotated[
    str | None,
    typer.Option(
        help=f"One of {', '.join(PROVIDERS)}. Default: openai when OPENAI_BASE_URL or "
        "OPENAI_API_KEY is set, else rules (offline, deterministic).",
        show_default=False,
    ),
]


@endpoint_options(after={"concurrency": ("limit",)})
def preannotate_command(
    provider: ProviderOption = None,
    settings: EndpointSettings = ENDPOINT_OPTIONS,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Annotate at most N pending documents.")
    ] = None,
    max_consecutive_failures: MaxConsecutiveFailuresOption = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Estimate requests, tokens and cost of the pending documents; send nothing.",
        ),
    ] = False,
    batch: BatchOption = False,
    batch_max_requests: BatchMaxRequestsOption = MAX_REQUESTS,
    batch_max_bytes: BatchMaxBytesOption = MAX_BYTES,
    out: BatchOutOption = None,
    db: DbOption = None,
) -> None:
    """Pre-annotate every document that has no prediction for this model, prompt and schema.

    Finished documents are committed one by one: an interrupted job resumes where
    it stopped, and re-running a finished job makes no LLM calls. Documents in an
    open batch of the job are left to it. Exit status 0: every document predicted
    (or waiting in an open batch); 1: some failed; 3: stopped early (see the message).
    """
    name = provider or ("openai" if batch else default_provider_name())
    settings = offline_settings(settings, batch, out)  # --batch --out: nothing sent, no key
    chosen = make_provider(name, settings)
    price = job_price(name, chosen.model, settings, spending=not dry_run)
    console.print(styled("provider [bold]{}[/], model_version [bold]{}[/]", name,
                         chosen.model_version))  # fmt: skip
    if batch and not dry_run:  # the batch route (annotate/cli/batch.py)
        submit_batches(chosen, db, limit, batch_max_requests, batch_max_bytes, out)
        return
    if dry_run:
        with open_store(db) as store:
            estimate = estimate_job(store, chosen, price, limit)
        asyncio.run(chosen.aclose())
        console.print(estimate_table(estimate))
        report_waiting(estimate.in_batches, estimate=True)
        return
    with open_store(db, create=True) as store:
        total = count_to_annotate(store, chosen, limit)
        progress = progress_bar(total, lambda: chosen.retries, priced=price.known)
        with progress as update, collector_settled():
            summary = asyncio.run(
                _run(
                    store,
                    chosen,
                    concurrency=settings.concurrency,
                    limit=limit,
                    price=price.price,
                    on_progress=update,
                    max_cost=settings.max_cost,
                    max_consecutive_failures=max_consecutive_failures,
                )
            )
    console.print(summary_table(summary, price))
    report_waiting(summary.in_batches)
    raise typer.Exit(exit_status(summary))


#: Exit statuses: every document predicted, some failed, the job stopped early.
EXIT_DONE, EXIT_FAILURES, EXIT_STOPPED = 0, 1, 3


def exit_status(summary: RunSummary) -> int:
    """Say how the run ended (on stderr when it stopped) and return the exit status."""
    if summary.stopped is not None:
        stop = summary.stopped
        typer.echo(f"stopped: {stop.reason}", err=True)
        failed = summary.counters.failed
        also = f"; {failed} failed and will be tried again too" if failed else ""
        typer.echo(
            f"{summary.not_attempted} document(s) stay pending, not failed{also}. "
            f"To resume: {stop.advice}.",
            err=True,
        )
        return EXIT_STOPPED
    if summary.counters.failed:
        reasons = Counter(failure.reason for failure in summary.failures)
        listed = counted(dict(reasons.most_common()))
        console.print(
            f"{summary.counters.failed} document(s) failed ({listed}): see `annotate runs`",
            highlight=False,
        )
        return EXIT_FAILURES
    return EXIT_DONE


async def _run(store: Store, provider: Provider, **kwargs: Any) -> RunSummary:
    """Run the job and close the provider's connections on the same event loop."""
    try:
        return await preannotate(store, provider, **kwargs)
    finally:
        await provider.aclose()


def summary_table(summary: RunSummary, price: PriceChoice | None = None) -> Table:
    """The end-of-run table: what was done, what it cost, what went wrong."""
    c = summary.counters
    cost = f"${c.cost_usd:.4f}"
    if price is not None and not price.known:
        cost = f"unknown ({price.source}: give --price-input/--price-output or --prices)"
    elif c.documents:
        cost += f" (${c.cost_usd / c.documents * 1000:.2f} per 1,000 documents)"
    table = Table(title=f"run {summary.run_id}: {summary.model_version}", show_header=False)
    rows = [
        (
            "documents",
            f"{c.documents} ({c.predicted} predicted, {c.failed} failed)"
            + (f", {summary.elsewhere} done by another process" if summary.elsewhere else ""),
        ),
        ("time", f"{summary.seconds:.1f} s ({summary.documents_per_second:.1f} docs/s)"),
        ("LLM calls", f"{c.llm_calls} ({c.requests} HTTP requests, {c.cached_calls} cached)"),
        ("tokens", f"{c.prompt_tokens} in, {c.completion_tokens} out"),
        ("cost", cost),
        ("spans", str(c.spans)),
        ("hallucinated quotes", f"{c.hallucinations} (dropped, not emitted as spans)"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def estimate_table(estimate: JobEstimate) -> Table:
    """The ``--dry-run`` report: what the job would send and cost, and how that was estimated."""
    table = Table(title="dry run: nothing was sent", show_header=False)
    e = estimate
    price = e.price.price
    rows = [
        ("documents", f"{e.documents} pending"),
        ("requests", f"{e.requests} ({e.cached_calls} cached; re-asks and retries not foreseen)"),
        ("input tokens", f"{e.prompt_tokens:,.0f}: {e.tokens.input_method}"),
        ("output tokens", f"{e.completion_tokens:,.0f}: {e.tokens.output_method}"),
    ]
    if price is None or e.cost is None:
        rows.append(("cost", f"unknown ({e.price.source}: give --price-input/--price-output "
                             "or --prices)"))  # fmt: skip
    else:
        per_document = e.per_document() or 0.0
        rows += [
            ("price", f"${price.input_per_million:g} in, ${price.output_per_million:g} out per 1M "
                      f"tokens ({e.price.source})"),  # fmt: skip
            ("cost", f"${e.cost:.4f} (${per_document * 1000:.2f} per 1,000 documents)"),
        ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def register(app: typer.Typer) -> None:
    app.command("preannotate")(preannotate_command)
