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

``collect --results FILE ...`` takes the output files an engine of one's own
(``vllm run-batch``) wrote for the request files of ``preannotate --batch
--out``: a file missing or not Batch output is one ``error:`` line, exit 1,
nothing stored; otherwise the statuses above, and 3 while requests of those
batches have no answer in the files given. Those batches are neither polled
by ``status`` nor collected without ``--results``, and do not change those
commands' exit statuses; ``cancel`` closes one at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from annotate.llm import EndpointSettings, Price
from annotate.llm.batch_client import ENDED
from annotate.llm.batch_files import ResultsFileError
from annotate.preannotate.batch import (
    Cancelled,
    Collected,
    ResultLines,
    batch_client,
    cancel,
    collect,
    collect_results,
    is_offline,
    refresh,
)
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.store import Store, StoredBatch

from .common import DbOption, console, fail, open_store, report_table
from .llm_options import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES,
    ENDPOINT_OPTIONS,
    MaxConsecutiveFailuresOption,
    endpoint_options,
)
from .preannotate import EXIT_DONE, EXIT_FAILURES, EXIT_STOPPED, exit_status, summary_table

#: custom_ids named in a message about lines no batch waited for; the rest are counted.
NAMED = 5
#: The settings that change a job's output: a batch's are its job's, not the command's.
JOB_SETTINGS = ("model", "temperature", "max_tokens", "response_format")

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
        shown = store.batches.all(open_only=not all_batches)
    if json_output:
        typer.echo(json.dumps([_batch_json(b) for b in shown], indent=2))
    else:
        console.print(_status_table(shown))
        _say_which(shown)
        _say_offline(shown)
    running = [b for b in shown
               if not b.collected and b.status not in ENDED and not is_offline(b)]  # fmt: skip
    raise typer.Exit(EXIT_STOPPED if running else EXIT_DONE)


def _say_offline(batches: list[StoredBatch]) -> None:
    """How to collect the open ``--out`` batches (`_say_which` names their files)."""
    waiting = [b for b in batches if is_offline(b) and not b.collected]
    if waiting:
        console.print(
            f"{len(waiting)} batch(es) written with --out wait for their answers: run the "
            "files (`vllm run-batch -i FILE -o OUTPUT.jsonl --model MODEL`), then `annotate "
            "batch collect --results OUTPUT.jsonl ...`",
            highlight=False, soft_wrap=True,
        )  # fmt: skip


async def _refresh_all(store: Store) -> None:
    providers: dict[str, OpenAIChatProvider] = {}
    try:
        for batch in store.batches.all(open_only=True):
            if is_offline(batch):  # no provider holds it: nothing to poll
                continue
            key = batch.job.params_hash
            providers[key] = providers.get(key) or _job_provider(batch)
            await refresh(store, batch_client(providers[key]), batch)
    finally:
        for provider in providers.values():
            await provider.aclose()


def _status_table(batches: list[StoredBatch]) -> Table:
    """Each batch's counts; its provider id (or file) and model follow on lines of their own,
    being too long for a column of an 80-column table."""
    table = report_table("batch", "status", "done", "failed", "requests", "documents",
                         title="batches" if batches else "no open batches")  # fmt: skip
    for b in batches:
        status = "collected" if b.collected else b.status
        table.add_row(str(b.id), status, str(b.completed), str(b.failed), str(b.requests),
                      str(b.documents))  # fmt: skip
    return table


def _say_which(batches: list[StoredBatch]) -> None:
    """Each batch's provider id, or the request file ``--out`` wrote, and its model."""
    for b in batches:
        where = b.input_file_id if is_offline(b) else b.batch_id or "not created at the provider"
        console.print(f"batch {b.id}: {where} ({b.model})", highlight=False, soft_wrap=True)


def _batch_json(b: StoredBatch) -> dict[str, Any]:
    return {
        "batch": b.id, "id": b.batch_id, "status": b.status, "collected": b.collected,
        "requests": b.requests, "completed": b.completed, "failed": b.failed,
        "documents": b.documents, "bytes": b.bytes, "model": b.model,
        "model_version": b.job.model_version, "submitted_at": b.submitted_at,
        "collected_at": b.collected_at,
        "file": b.input_file_id if is_offline(b) else None,
    }  # fmt: skip


# ---------------------------------------------------------------- collect


@batch_app.command("collect")
@endpoint_options(without=(*JOB_SETTINGS, "max_cost"))
def collect_command(
    settings: EndpointSettings = ENDPOINT_OPTIONS,
    max_consecutive_failures: MaxConsecutiveFailuresOption = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    wait: Annotated[
        bool, typer.Option("--wait", help="Poll until every open batch has ended and collect it.")
    ] = False,
    poll_interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds between polls with --wait.")
    ] = 60.0,
    results_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--results",
            metavar="FILE",
            help="Output files of the requests written with `preannotate --batch --out` "
            "(OpenAI Batch output format, as `vllm run-batch` writes it): ingest them.",
            show_default=False,
        ),
    ] = None,
    more_results: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE", help="More files for --results.", show_default=False),
    ] = None,
    db: DbOption = None,
) -> None:
    """Ingest the answers of every batch that ended, like the online route's.

    Invalid answers are re-asked online, and requests a batch failed or did
    not reach (expired) are sent online; the model and its parameters are the
    batch's. A killed collect resumes where it stopped and ingests nothing twice.
    With --results FILE ..., ingest the output files of the batches written
    with --out instead, the same way.
    """
    options: dict[str, Any] = {
        "concurrency": settings.concurrency,
        "price_for": partial(_price, settings),
        "max_consecutive_failures": max_consecutive_failures,
    }
    if results_file or more_results:
        files = _results_files(results_file, more_results, wait)
        raise typer.Exit(_collect_files(db, files, settings, options))
    results: list[Collected] = []
    with open_store(db) as store:
        if not store.batches.all(open_only=True):
            console.print("no open batches: nothing to collect")
            raise typer.Exit(EXIT_DONE)
        while True:
            collected = asyncio.run(
                collect(store, partial(_job_provider, settings=settings), **options)
            )
            results.append(collected)
            _report(collected, settings)
            if not (wait and collected.in_progress and collected.stopped is None):
                break
            time.sleep(poll_interval)
        _say_offline(store.batches.all(open_only=True))
    raise typer.Exit(_exit_status(results[-1], sum(c.failed for c in results)))


def _results_files(
    given: list[Path] | None, more: list[Path] | None, wait: bool
) -> list[Path]:  # fmt: skip
    if not given:
        raise fail(f"{more[0] if more else 'a file'}: give the output files with --results")
    if wait:
        raise fail("--wait polls a provider's batches: it does not go with --results")
    return [*given, *(more or [])]


def _collect_files(
    db: Path | None, files: list[Path], settings: EndpointSettings, options: dict[str, Any]
) -> int:
    """``collect --results``: every file read before anything is stored; 0, 1 or 3."""
    if not (os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY")):
        raise fail(
            "collect --results sends invalid answers and failed lines online: set "
            "OPENAI_BASE_URL to a server of the batch's model (`vllm serve MODEL`), or "
            "OPENAI_API_KEY"
        )
    with open_store(db) as store:
        try:
            collected, lines = asyncio.run(
                collect_results(store, files, partial(_job_provider, settings=settings), **options)
            )
        except ResultsFileError as exc:
            raise fail(str(exc)) from None
    _report_lines(lines)
    _report(collected, settings)
    if collected.stopped is None and collected.waiting:
        unanswered = sum(item.unanswered for item in collected.waiting)
        typer.echo(
            f"{unanswered} request(s) of {len(collected.waiting)} batch(es) written with --out "
            "have no answer in these files: their documents wait in the batch. To resume: run "
            "`annotate batch collect --results` with the files that answer them (or `annotate "
            "batch cancel BATCH` to give them back to `annotate preannotate`).",
            err=True,
        )
        return EXIT_STOPPED
    return _exit_status(collected, collected.failed)


def _report_lines(lines: ResultLines) -> None:
    """How many lines were taken, and name those no open batch waited for."""
    say = partial(console.print, highlight=False, soft_wrap=True)
    say(f"{lines.lines} result line(s) read: {lines.taken} for requests waiting in a batch "
        "written with --out")  # fmt: skip
    kinds = (
        (lines.collected_before, "of no open batch (collected or cancelled before): not taken"),
        (lines.unknown, "unknown to this store (another store's or job's file?): ignored"),
    )
    for ids, what in kinds:
        if ids:
            shown = ", ".join(ids[:NAMED]) + (f" and {len(ids) - NAMED} more"
                                              if len(ids) > NAMED else "")  # fmt: skip
            say(f"{len(ids)} line(s) for requests {what}: {shown}")


def _job_provider(
    batch: StoredBatch, settings: EndpointSettings = ENDPOINT_OPTIONS
) -> OpenAIChatProvider:
    """The provider of the batch's job: its model and output-changing parameters, this endpoint."""
    job = {name: batch.params[name] for name in JOB_SETTINGS if name in batch.params}
    return OpenAIChatProvider(replace(settings, **{**job, "model": batch.model}))


def _price(settings: EndpointSettings, batch: StoredBatch) -> Price | None:
    """What the batch's model costs (the batch route runs on the openai provider only)."""
    return settings.price_of(batch.model).price


def _report(collected: Collected, settings: EndpointSettings) -> None:
    for item in collected.batches:
        b = item.batch
        name = f"batch {b.id} ({b.batch_id or 'not created'})"
        status = item.state.status if item.state else b.status
        if is_offline(b):
            name, status = f"batch {b.id} ({Path(b.input_file_id).name})", "results read"
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
        if item.deferred and not is_offline(b):
            console.print(
                f"{name}: {item.deferred} document(s) it did not finish before it was "
                "cancelled are pending again: `annotate preannotate` (online or --batch) "
                "takes them", highlight=False, soft_wrap=True,
            )  # fmt: skip
        console.print(summary_table(item.summary, settings.price_of(b.model)))


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
        outcomes = asyncio.run(cancel(store, _job_provider, chosen))
    for outcome in outcomes:
        console.print(_cancelled_line(outcome), highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_DONE)


def _to_cancel(store: Store, ids: list[str], all_batches: bool) -> list[StoredBatch]:
    """The open batches named (by the provider's id or the store's number), or all with --all."""
    if all_batches == bool(ids):
        raise fail("name the batches to cancel (ids from `annotate batch status`) or give --all")
    if all_batches:
        return store.batches.all(open_only=True)
    known = store.batches.all()
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
    if outcome.offline:
        return (f"batch {b.id} (written with --out): closed, nothing was sent anywhere: its "
                f"{b.documents} document(s) are pending again")  # fmt: skip
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
