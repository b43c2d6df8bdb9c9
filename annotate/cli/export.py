"""`annotate export`: the gold dataset folder (Parquet, JSON Lines, card, agreement)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotate.gold.export import parse_splits

from .agreement import PolicyOption, ReviewerOption, WorkersOption, checked_policy, worker_count
from .common import DbOption, console, counted, fail, open_store


def export(
    out: Annotated[Path, typer.Option("--out", help="Dataset folder to write.")],
    split: Annotated[
        str | None,
        typer.Option(help="Splits by document, e.g. train=0.8,dev=0.1,test=0.1 (default: one)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the split shuffle.")] = 13,
    policy: PolicyOption = "auto",
    reviewer: ReviewerOption = None,
    workers: WorkersOption = 0,
    db: DbOption = None,
) -> None:
    """Export one gold record per document with its card, agreement and checksums.

    Deterministic: exporting the same annotations twice gives identical files.
    Load it with pandas.read_parquet or datasets.load_dataset("parquet", ...).
    """
    chosen = checked_policy(policy)
    try:
        splits = parse_splits(split)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    from annotate.workflows.dataset import export_with_judge_scores  # loads the comparison

    with open_store(db) as store:
        if not store.annotations.has_valid() and store.comparisons.last() is None:
            raise fail("no pulled annotations and no comparison yet: run `annotate pull` "
                       "(or `annotate compare`) first")  # fmt: skip
        manifest = export_with_judge_scores(store, out, splits=splits, seed=seed, policy=chosen,
                                            reviewers=reviewer or (),
                                            workers=worker_count(workers))  # fmt: skip
    console.print(
        f"exported {manifest['documents']} documents ({counted(manifest['splits'])}) to {out}, "
        f"version {manifest['version']}",
        highlight=False,
    )
    if "comparisons" in manifest:
        tables = manifest["comparisons"]
        console.print(
            f"and comparison {tables['comparison']}: {tables['pairs']} claim pairs "
            f"({counted(tables['pair_statuses'])}), {tables['facts']} facts",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.command()(export)
