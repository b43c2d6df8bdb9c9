"""The progress line of a job that calls a model: documents, rate, tokens, cost, retries.

`annotate preannotate` and `annotate eval` run the same pipeline over many
documents, for minutes or hours; both show the same line, defined here once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from annotate.preannotate.pipeline import ProgressCallback
from annotate.store import RunCounts

from .common import console


@contextmanager
def progress_bar(
    total: int, retries: Callable[[], int], label: str = "pre-annotating", priced: bool = True
) -> Iterator[ProgressCallback]:
    """A rich progress bar with documents/s, tokens, cost and transport retries so far; the
    cost of a model with no price reads unknown, not $0."""
    progress = JobProgress(
        RetriesColumn(retries),
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    cost = "$0.0000" if priced else "cost unknown"
    task = progress.add_task("docs", total=total, rate="0.0", tokens=0, cost=cost, failed=0)

    def update(counters: RunCounts) -> None:
        elapsed = progress.tasks[0].elapsed or 0.0
        progress.update(
            task,
            completed=counters.documents,
            rate=f"{counters.documents / elapsed:.1f}" if elapsed else "0.0",
            tokens=counters.prompt_tokens + counters.completion_tokens,
            cost=f"${counters.cost_usd:.4f}" if priced else "cost unknown",
            failed=counters.failed,
        )

    with progress:
        yield update


class JobProgress(Progress):
    """The bar on one line and the job's figures on the next: on one line they passed 80
    columns and Rich cut them ("retri…")."""

    def __init__(self, retries: RetriesColumn, *columns: ProgressColumn, **options: Any):
        super().__init__(*columns, **options)
        self.retries = retries

    def get_renderables(self) -> Iterable[RenderableType]:
        yield self.make_tasks_table(self.tasks)
        for task in self.tasks:
            yield Text(f"  {task.fields['rate']} docs/s · {task.fields['tokens']:,} tokens · "
                       f"{task.fields['cost']} · {task.fields['failed']} failed · ").append_text(
                self.retries.render(task))  # fmt: skip


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
