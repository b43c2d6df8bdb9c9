"""`annotate runs`: what each pre-annotation run did and cost."""

from __future__ import annotations

import json
import textwrap
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from annotate.store import Run, Store

from .common import DbOption, console, open_store, styled


def run_reports(store: Store) -> list[dict[str, Any]]:
    """Every run with its counts, cost per document and failures (reason and detail each)."""
    reports = []
    for run in store.runs.all():
        failures = store.runs.failures(run.id)
        reports.append(
            {
                **run.as_json(),
                **unit_costs(run),
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
    table = _table(reports)
    if console.width >= WIDE and _natural_width(table) <= console.width:
        console.print(table)
    else:  # a narrow terminal or a pipe: one block per run, nothing cut
        for report in reports:
            console.print(_block(report), highlight=False, soft_wrap=True)
    for report in reports:
        for line in failure_lines(report):
            console.print(line, highlight=False, soft_wrap=True)


#: Documents named for each failure reason of a run (all of them are in ``--json``).
NAMED_FAILURES = 3


def failure_lines(report: dict[str, Any]) -> list[Text]:
    """A run's failures, one line per reason with its count, the first documents and the
    first detail: a dead endpoint fails thousands of documents alike."""
    by_reason: dict[str, list[dict[str, Any]]] = {}
    for failure in report["failures"]:
        by_reason.setdefault(failure["reason"], []).append(failure)
    lines = []
    for reason, failures in by_reason.items():
        named = ", ".join(f["document_id"] for f in failures[:NAMED_FAILURES])
        left = len(failures) - NAMED_FAILURES
        more = f" and {left:,} more" if left > 0 else ""
        lines.append(styled("run {}: [red]{}[/] {} document(s) ({}{}): {}", report["id"], reason,
                            f"{len(failures):,}", named, more, failures[0]["detail"]))  # fmt: skip
    return lines


def unit_costs(run: Run) -> dict[str, Any]:
    """Cost per document tried and per 1,000 (None when the run had no price or no document).

    A run whose model had no price records its cost as 0; it is reported as
    unknown (`cost_known` false), not as free.
    """
    documents = run.counts.documents
    known = run.cost_known
    per_document = run.counts.cost_usd / documents if known and documents else None
    return {
        "cost_known": known,
        "cost_per_document_usd": per_document,
        "cost_per_1000_documents_usd": None if per_document is None else per_document * 1000,
    }


#: Terminal width from which runs are shown as one table (narrower: a block per run).
WIDE = 150
#: The width the narrow layout keeps to (a pipe, a small terminal).
NARROW = 80


def _block(r: dict[str, Any]) -> Text:
    """One run in a few short lines that fit 80 columns."""
    finished = f" to {r['finished_at'][11:19]}" if r["finished_at"] else ""
    started = (r["started_at"] or "")[:19]
    head = styled("[bold]run {}[/]  {}  {}{}", r["id"], r["status"], started, finished)
    lines = [
        f"  model      {r['model_version']}",
        f"  documents  {r['documents'] or 0}: {r['predicted'] or 0} predicted, "
        f"{r['failed'] or 0} failed",
        f"  calls      {r['llm_calls'] or 0} ({r['cached_calls'] or 0} cached), "
        f"tokens {r['prompt_tokens'] or 0} in / {r['completion_tokens'] or 0} out",
        f"  cost       {_cost_line(r)}",
        f"  spans      {r['spans'] or 0} ({r['hallucinations'] or 0} hallucinated quotes dropped)",
    ]
    if r.get("stop_reason"):
        lines += textwrap.wrap(
            f"stopped    {r['stop_reason']}",
            NARROW,
            initial_indent="  ",
            subsequent_indent=" " * 13,
            break_on_hyphens=False,
        )
    return Text("\n").join([head, *map(Text, lines)])


def _natural_width(table: Table) -> int:
    """The width `table` needs with no cell cut (rich would otherwise squeeze its columns)."""
    return console.measure(table, options=console.options.update_width(10_000)).maximum


def _cost_line(r: dict[str, Any]) -> str:
    if not r["cost_known"]:
        return "unknown (the model had no price)"
    total = f"${r['cost_usd'] or 0:.4f}"
    if r["cost_per_document_usd"] is None:
        return total
    return (
        f"{total}: ${r['cost_per_document_usd']:.5f} per document, "
        f"${r['cost_per_1000_documents_usd']:.2f} per 1,000"
    )


def _money(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


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
        "$/doc",
        "$/1k docs",
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
            f"{r['cost_usd'] or 0:.4f}" if r["cost_known"] else "?",
            _money(r["cost_per_document_usd"], 5),
            _money(r["cost_per_1000_documents_usd"], 2),
            str(r["spans"] or 0),
            str(r["hallucinations"] or 0),
        )
    return table


def register(app: typer.Typer) -> None:
    app.command()(runs)
