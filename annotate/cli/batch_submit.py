"""`annotate preannotate --batch`: write, upload and create the batches of the pending job.

Kept apart from `annotate batch status|collect|cancel` (`annotate.cli.batch`), which
read `annotate preannotate`'s exit statuses and tables, so that
`annotate.cli.preannotate` can import this module without a cycle.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from annotate.llm import EndpointSettings
from annotate.llm.batch_files import MAX_BYTES, MAX_REQUESTS
from annotate.llm.client import MODEL_ENV, PLACEHOLDER_KEY
from annotate.preannotate.providers import Provider
from annotate.preannotate.providers.openai_chat import OpenAIChatProvider
from annotate.store import Store

from .common import console, fail, open_store

if TYPE_CHECKING:  # the batch route's modules load when it runs: 12 ms of every online start
    from annotate.preannotate.batch import Submitted

BatchOption = Annotated[
    bool,
    typer.Option(
        "--batch",
        help="Send the requests through OpenAI's Batch API (half price, answered within 24 h) "
        "instead of online; then `annotate batch status` and `annotate batch collect`.",
    ),
]
BatchOutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="With --batch: write the request files (OpenAI Batch format) to this folder and "
        "send nothing, for an engine of your own (`vllm run-batch`); then "
        "`annotate batch collect --results OUTPUT.jsonl`.",
        show_default=False,
    ),
]
BatchMaxRequestsOption = Annotated[
    int, typer.Option(min=1, help="Requests per batch file (OpenAI's limit: 50,000).")
]
BatchMaxBytesOption = Annotated[
    int, typer.Option(min=1, help="Bytes per batch file (OpenAI's limit: 200 MB).")
]


def report_waiting(documents: int, *, estimate: bool = False) -> None:
    """Say in one line how many documents the online route left to open batches, and what to run.

    They are not failures nor pending work of this command: their batch is paid
    for, and `annotate batch collect` ingests it, so the exit status ignores them.
    """
    if documents:
        left = "not counted above" if estimate else "left to it, not sent online"
        console.print(
            f"{documents} document(s) wait in an open batch of this job: {left}; "
            "run `annotate batch collect` to ingest them (with --results OUTPUT.jsonl for "
            "files written with --out)",
            soft_wrap=True, highlight=False,
        )  # fmt: skip


def offline_settings(settings: EndpointSettings, batch: bool, out: Path | None) -> EndpointSettings:
    """The provider's settings for ``--batch --out``: no key needed, the model's name is.

    Nothing is sent, so a placeholder key stands in for one; the model cannot
    default to OpenAI's, since every request body carries the name the engine
    must serve.
    """
    if out is None:
        return settings
    if not batch:
        raise fail("--out writes the batch route's request files: give it with --batch")
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out} is a file: give a folder for the request files")
    if not (settings.model or os.environ.get(MODEL_ENV)):
        raise fail(
            "--out writes the model's name into every request: give --model (the name the "
            "engine serves, as in `vllm run-batch --model NAME`)"
        )
    return replace(settings, api_key=PLACEHOLDER_KEY)


def submit_batches(
    provider: Provider,
    db: Path | None,
    limit: int | None,
    max_requests: int = MAX_REQUESTS,
    max_bytes: int = MAX_BYTES,
    out: Path | None = None,
) -> None:
    """`annotate preannotate --batch`: write, upload and create the batches of the pending job.

    With `out`, write the request files there and record them, sending nothing.
    """
    if not isinstance(provider, OpenAIChatProvider):
        raise fail("--batch needs --provider openai: the rules make no calls to batch")
    with open_store(db, create=True) as store:
        done = asyncio.run(_submit(store, provider, limit, max_requests, max_bytes, out))
    if out is not None:
        _report_written(done)
        return
    console.print(_submitted_table(done))
    if done.cached:
        console.print(
            f"{done.cached} document(s) are answered from the cache: `annotate preannotate` "
            "predicts them without a call"
        )
    if done.too_large:
        console.print(
            f"{len(done.too_large)} document(s) do not fit one batch file: "
            "`annotate preannotate` sends them online"
        )
    if done.batches:
        console.print("next: `annotate batch status`, then `annotate batch collect` (within 24 h)")


async def _submit(
    store: Store, provider: OpenAIChatProvider, limit: int | None, max_requests: int,
    max_bytes: int, out: Path | None,
) -> Submitted:  # fmt: skip
    from annotate.preannotate.batch import submit

    try:
        return await submit(
            store, provider, limit=limit, max_requests=max_requests, max_bytes=max_bytes,
            out=out,
        )  # fmt: skip
    finally:
        await provider.aclose()


def _report_written(done: Submitted) -> None:
    """Which files ``--out`` wrote, and the commands that run and collect them."""
    say = partial(console.print, highlight=False, soft_wrap=True)
    say(f"{len(done.batches)} request file(s) written, nothing sent: {done.documents} "
        f"document(s), {done.requests} request(s)")  # fmt: skip
    for b in done.batches:
        say(f"batch {b.id}: {b.input_file_id} ({b.requests} requests, {b.bytes:,} bytes)")
    if done.cached:
        say(f"{done.cached} document(s) are answered from the cache: `annotate preannotate` "
            "predicts them without a call")  # fmt: skip
    if done.too_large:
        say(f"{len(done.too_large)} document(s) do not fit one request file: `annotate "
            "preannotate` sends them online")  # fmt: skip
    if done.batches:
        model = done.batches[0].model
        say(f"next: `vllm run-batch -i FILE -o OUTPUT.jsonl --model {model}` for each file, "
            "then `annotate batch collect --results OUTPUT.jsonl ...`")  # fmt: skip


def _submitted_table(done: Submitted) -> Table:
    table = Table(title=f"{len(done.batches)} batch(es) submitted")
    for column in ("batch", "id", "status", "documents", "requests", "bytes"):
        table.add_column(column)
    for b in done.batches:
        table.add_row(str(b.id), b.batch_id or "-", b.status, str(b.documents), str(b.requests),
                      f"{b.bytes:,}")  # fmt: skip
    return table
