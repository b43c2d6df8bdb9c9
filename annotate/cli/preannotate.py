"""`annotate preannotate`: run a provider over the pending documents."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from annotate.llm import price_for
from annotate.preannotate.pipeline import (
    ProgressCallback,
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
from annotate.store import RunCounts, Store

from .common import DbOption, console, open_store
from .llm_options import (
    ConcurrencyOption,
    ContextWindowOption,
    MaxRetriesOption,
    MaxTokensOption,
    ModelOption,
    PriceInputOption,
    PriceOutputOption,
    ResponseFormatOption,
    RpmOption,
    TemperatureOption,
    TpmOption,
    endpoint_options,
)


def preannotate_command(
    provider: Annotated[
        str | None,
        typer.Option(
            help=f"One of {', '.join(PROVIDERS)}. Default: openai when OPENAI_BASE_URL or "
            "OPENAI_API_KEY is set, else rules (offline, deterministic).",
            show_default=False,
        ),
    ] = None,
    model: ModelOption = None,
    concurrency: ConcurrencyOption = 8,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Annotate at most N pending documents.")
    ] = None,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    max_tokens: MaxTokensOption = 4096,
    context_window: ContextWindowOption = 16000,
    temperature: TemperatureOption = 0.0,
    response_format: ResponseFormatOption = "auto",
    max_retries: MaxRetriesOption = 6,
    price_input: PriceInputOption = None,
    price_output: PriceOutputOption = None,
    db: DbOption = None,
) -> None:
    """Pre-annotate every document that has no prediction for this model, prompt and schema.

    Finished documents are committed one by one: an interrupted job resumes where
    it stopped, and re-running a finished job makes no LLM calls.
    """
    name = provider or default_provider_name()
    chosen = make_provider(name, model=model, **_openai_options(name, locals()))
    price = price_for(chosen.model, price_input, price_output) if name == "openai" else None
    console.print(f"provider [bold]{name}[/], model_version [bold]{chosen.model_version}[/]")
    with open_store(db) as store:
        total = count_to_annotate(store, chosen, limit)
        with _progress_bar(total, lambda: chosen.retries) as update:
            summary = asyncio.run(
                _run(
                    store,
                    chosen,
                    concurrency=concurrency,
                    limit=limit,
                    price=price,
                    on_progress=update,
                )
            )
    console.print(summary_table(summary))
    if summary.counters.failed:
        console.print(f"{summary.counters.failed} document(s) failed: see `annotate runs`")


def _openai_options(name: str, given: dict[str, object]) -> dict[str, object]:
    return endpoint_options(given) if name == "openai" else {}


async def _run(store: Store, provider: Provider, **kwargs: Any) -> RunSummary:
    """Run the job and close the provider's connections on the same event loop."""
    try:
        return await preannotate(store, provider, **kwargs)
    finally:
        await provider.aclose()


@contextmanager
def _progress_bar(total: int, retries: Callable[[], int]) -> Iterator[ProgressCallback]:
    """A rich progress bar with documents/s, tokens, cost and transport retries so far."""
    progress = Progress(
        TextColumn("[bold]pre-annotating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} docs/s"),
        TextColumn("{task.fields[tokens]} tokens"),
        TextColumn("${task.fields[cost]}"),
        TextColumn("{task.fields[failed]} failed"),
        RetriesColumn(retries),
        TimeElapsedColumn(),
        console=console,
    )
    task = progress.add_task("docs", total=total, rate="0.0", tokens=0, cost="0.0000", failed=0)

    def update(counters: RunCounts) -> None:
        elapsed = progress.tasks[0].elapsed or 0.0
        progress.update(
            task,
            completed=counters.documents,
            rate=f"{counters.documents / elapsed:.1f}" if elapsed else "0.0",
            tokens=counters.prompt_tokens + counters.completion_tokens,
            cost=f"{counters.cost_usd:.4f}",
            failed=counters.failed,
        )

    with progress:
        yield update


class RetriesColumn(ProgressColumn):
    """Transport re-sends so far, read from the provider at each refresh.

    Not a task field: those change when a document finishes, and an endpoint
    answering 503s for minutes finishes none, so the line would sit still while
    the retry layer keeps waiting and re-sending.
    """

    def __init__(self, retries: Callable[[], int]) -> None:
        super().__init__()
        self.retries = retries

    def render(self, task: Task) -> Text:
        return Text(f"{self.retries()} retries")


def summary_table(summary: RunSummary) -> Table:
    """The end-of-run table: what was done, what it cost, what went wrong."""
    c = summary.counters
    table = Table(title=f"run {summary.run_id}: {summary.model_version}", show_header=False)
    rows = [
        ("documents", f"{c.documents} ({c.predicted} predicted, {c.failed} failed)"),
        ("time", f"{summary.seconds:.1f} s ({summary.documents_per_second:.1f} docs/s)"),
        ("LLM calls", f"{c.llm_calls} ({c.requests} HTTP requests, {c.cached_calls} cached)"),
        ("tokens", f"{c.prompt_tokens} in, {c.completion_tokens} out"),
        ("cost", f"${c.cost_usd:.4f}"),
        ("spans", str(c.spans)),
        ("hallucinated quotes", f"{c.hallucinations} (dropped, not emitted as spans)"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def register(app: typer.Typer) -> None:
    app.command("preannotate")(preannotate_command)
