"""`annotate runs`: what each pre-annotation run did and cost."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from annotate.store import Store

from .common import DbOption, console, open_store


def run_reports(store: Store) -> list[dict[str, Any]]:
    """Every run with its counts and its failures (reason and detail per document)."""
    reports = []
    for run in store.runs():
        failures = store.failures(run.id)
        reports.append(
            {
                **run.as_json(),
                "failures": [
                    {"document_id": f.document_id, "reason": f.reason, "detail": f.detail}
                    for f in failures
                ],
            }
        )
    return reports


def runs(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    db: DbOption = None,
) -> None:
    """List pre-annotation runs: counts, tokens, cost, failures and hallucinations."""
    with open_store(db) as store:
        reports = run_reports(store)
    if as_json:
        typer.echo(json.dumps(reports, indent=2, ensure_ascii=False))
        return
    if console.width >= WIDE:
        console.print(_table(reports))
    else:  # a narrow terminal or a pipe: one block per run, nothing cut
        for report in reports:
            console.print(_block(report), highlight=False, soft_wrap=True)
    for report in reports:
        for failure in report["failures"]:
            console.print(
                f"run {report['id']}: [red]{failure['reason']}[/] {failure['document_id']}: "
                f"{failure['detail']}",
                highlight=False,
            )


#: Terminal width from which runs are shown as one table (narrower: a block per run).
WIDE = 150


def _block(r: dict[str, Any]) -> str:
    """One run in a few short lines that fit 80 columns."""
    finished = f" to {r['finished_at'][11:19]}" if r["finished_at"] else ""
    return (
        f"[bold]run {r['id']}[/]  {r['status']}  {(r['started_at'] or '')[:19]}{finished}\n"
        f"  model      {r['model_version']}\n"
        f"  documents  {r['documents'] or 0}: {r['predicted'] or 0} predicted, "
        f"{r['failed'] or 0} failed\n"
        f"  calls      {r['llm_calls'] or 0} ({r['cached_calls'] or 0} cached), "
        f"tokens {r['prompt_tokens'] or 0} in / {r['completion_tokens'] or 0} out, "
        f"cost ${r['cost_usd'] or 0:.4f}\n"
        f"  spans      {r['spans'] or 0} ({r['hallucinations'] or 0} hallucinated quotes dropped)"
    )


def _table(reports: list[dict[str, Any]]) -> Table:
    columns = [
        "run",
        "status",
        "model_version",
        "started",
        "docs",
        "predicted",
        "failed",
        "calls",
        "cached",
        "tokens in",
        "tokens out",
        "cost $",
        "spans",
        "hallucinated",
    ]
    table = Table(*columns)
    for r in reports:
        table.add_row(
            str(r["id"]),
            r["status"],
            r["model_version"],
            (r["started_at"] or "")[:19],
            *(
                str(r[k] or 0)
                for k in (
                    "documents",
                    "predicted",
                    "failed",
                    "llm_calls",
                    "cached_calls",
                    "prompt_tokens",
                    "completion_tokens",
                )
            ),
            f"{r['cost_usd'] or 0:.4f}",
            str(r["spans"] or 0),
            str(r["hallucinations"] or 0),
        )
    return table


def register(app: typer.Typer) -> None:
    app.command()(runs)
