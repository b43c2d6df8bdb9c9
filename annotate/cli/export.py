"""`annotate export`: the gold dataset folder (Parquet, JSON Lines, card, agreement)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from annotate.gold.card import Hub
from annotate.gold.export import parse_splits

from .agreement import PolicyOption, ReviewerOption, WorkersOption, checked_policy, worker_count
from .common import DbOption, console, counted, fail, open_store

#: A licence as the Hub names it (its ids are lower case: cc-by-4.0, mit, apache-2.0, other).
LICENSE = re.compile(r"[a-z0-9][a-z0-9.+-]*")
#: A language code as the Hub takes it (ISO 639-1 or -3, optionally with a region: en, pt-br).
LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-zA-Z0-9]{2,8})*")


def export(
    out: Annotated[Path, typer.Option("--out", help="Dataset folder to write.")] = Path(
        "exports/gold"
    ),
    license_id: Annotated[
        str,
        typer.Option(
            "--license",
            help="The dataset's licence as the Hugging Face Hub names it (cc-by-4.0, mit, "
            "other...), for the card's YAML; the articles' licence decides what you may give.",
        ),
    ] = "unknown",
    language: Annotated[
        list[str] | None,
        typer.Option(
            help="Language code of the articles, for the card's YAML (repeat for several; "
            "default: the documents' 'language' metadata, else en)."
        ),
    ] = None,
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
    data/ holds the Parquet files (JSON Lines under jsonl/): load them with
    pandas.read_parquet("DIR/data") or datasets.load_dataset("DIR") (the card's
    YAML names each split's file).
    """
    chosen = checked_policy(policy)
    try:
        splits = parse_splits(split)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    hub = _hub(license_id, language or [])
    from annotate.workflows.dataset import export_with_judge_scores  # loads the comparison

    with open_store(db) as store:
        if not store.annotations.has_valid() and store.comparisons.last() is None:
            raise fail("no pulled annotations and no comparison yet: run `annotate pull` "
                       "(or `annotate compare`) first")  # fmt: skip
        manifest = export_with_judge_scores(store, out, splits=splits, seed=seed, policy=chosen,
                                            reviewers=reviewer or (),
                                            workers=worker_count(workers), hub=hub)  # fmt: skip
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


def _hub(license_id: str, languages: list[str]) -> Hub:
    if not LICENSE.fullmatch(license_id):
        raise fail(f"--license {license_id!r} is not a licence id of the Hugging Face Hub: "
                   "write it in lower case, e.g. cc-by-4.0, mit, apache-2.0 or other")  # fmt: skip
    for code in languages:
        if not LANGUAGE.fullmatch(code):
            raise fail(f"--language {code!r} is not a language code: write e.g. en, de or pt-br")
    return Hub(license_id, tuple(dict.fromkeys(languages)))


def register(app: typer.Typer) -> None:
    app.command()(export)
