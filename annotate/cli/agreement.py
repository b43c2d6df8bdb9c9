"""`annotate agreement`: inter-annotator agreement and model-vs-gold, per field."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from annotate.gold.adjudicate import POLICIES, Policy
from annotate.gold.card import figure
from annotate.gold.report import agreement_report, dump_report
from annotate.gold.workers import default_workers

from .common import DbOption, console, counted, fail, interval_or_figure, open_store, report_table

PolicyOption = Annotated[
    str,
    typer.Option(
        help="auto: a reviewer's annotation, else the majority, else the single one; "
        "majority: always vote."
    ),
]
ReviewerOption = Annotated[
    list[str] | None,
    typer.Option("--reviewer", help="Label Studio user (e-mail) whose annotation is gold."),
]


WorkersOption = Annotated[
    int,
    typer.Option(
        help="Processes that judge documents (0: one per core). The figures do not depend on it.",
        show_default=False,
    ),
]


def worker_count(workers: int) -> int:
    if workers < 0:
        raise fail(f"--workers must be 0 (one per core) or more, not {workers}")
    return workers or default_workers()


def checked_policy(policy: str) -> Policy:
    if policy not in POLICIES:
        raise fail(f"--policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    return policy  # type: ignore[return-value]


def agreement(
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    policy: PolicyOption = "auto",
    reviewer: ReviewerOption = None,
    workers: WorkersOption = 0,
    db: DbOption = None,
) -> None:
    """Agreement between annotators (kappas, alpha, AC1, span and relation F1) and model vs gold.

    Reads the annotations stored by `annotate pull`. Categorical fields report
    observed agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha (nominal,
    and ordinal for the 5-point stance) and Gwet's AC1; spans and relations
    report pairwise F1; each model version is scored against the adjudicated gold.
    """
    chosen = checked_policy(policy)
    with open_store(db) as store:
        report = agreement_report(store, policy=chosen, reviewers=reviewer or (),
                                  workers=worker_count(workers))  # fmt: skip
    comparisons = report.get("comparisons")
    if not report["documents"] and comparisons is None:
        raise fail("no pulled annotations yet: run `annotate pull` (or `annotate pull "
                   "--comparisons`) first")  # fmt: skip
    if as_json:
        dump_report(report, sys.stdout)
        sys.stdout.write("\n")
        return
    if report["documents"]:
        _print_documents(report)
    if comparisons is not None:
        _print_comparisons(comparisons)


def _print_documents(report: dict[str, Any]) -> None:
    console.print(
        f"{report['documents']} documents, annotators: {', '.join(report['annotators'])}",
        highlight=False,
    )
    console.print(_categorical_table(report["fields"]))
    console.print(_f1_table(report["fields"]))
    for version, fields in report["model_vs_gold"].items():
        console.print(_model_title(version, report["pre_annotations"][version]), highlight=False)
        console.print(_model_table(fields))
    adjudication = report["adjudication"]
    console.print(
        f"gold by policy {adjudication['policy']}: {counted(adjudication['methods'])}; "
        f"{adjudication['contested']} contested, {adjudication['with_ties']} with ties "
        "(listed by `--json` under disagreements)",
        highlight=False,
    )
    reviewed, waiting = (adjudication["ties"][k] for k in ("review", "waiting_for_review"))
    console.print(
        f"ties resolved by review: {reviewed['items']} items in {reviewed['documents']} "
        f"documents; waiting for review: {waiting['items']} items in {waiting['documents']} "
        "documents (`annotate push --review`); model-vs-gold leaves out their tied items "
        "and scores the rest",
        highlight=False,
    )


def _print_comparisons(comparisons: dict[str, Any]) -> None:
    console.print(
        f"{comparisons['pairs']} claim pairs verified, annotators: "
        f"{', '.join(comparisons['annotators'])}",
        highlight=False,
    )
    table = _categorical_table(comparisons["fields"])
    table.title = "Comparisons (claim pairs)"
    console.print(table)
    adjudication = comparisons["adjudication"]
    console.print(
        f"verdicts by policy {adjudication['policy']}: {counted(adjudication['methods'])}; "
        f"{adjudication['verified']} verified, {adjudication['contested']} contested, "
        f"{adjudication['with_ties']} with ties (listed by `--json` under "
        "comparisons.disagreements)",
        highlight=False,
    )
    ties = adjudication["ties"]
    console.print(
        f"tied verdicts resolved by review: {ties['review']}; waiting for review: "
        f"{ties['waiting_for_review']} (`annotate push --review`)",
        highlight=False,
    )


#: The categorical coefficients, as rows (the fields are the columns: a handful, so the
#: table fits 80 columns with every name written out); each alpha's own bootstrap
#: interval on the row under it, named for it (the card and agreement.json do the same).
CATEGORICAL_ROWS = (
    ("units", "units"),
    ("observed agreement", "observed_agreement"),
    ("Cohen's kappa", "cohen_kappa"),
    ("Fleiss' kappa", "fleiss_kappa"),
    ("Krippendorff nominal", "krippendorff_alpha_nominal"),
    ("  nominal 95% CI", "krippendorff_alpha_nominal_ci95"),
    ("Krippendorff ordinal", "krippendorff_alpha_ordinal"),
    ("  ordinal 95% CI", "krippendorff_alpha_ordinal_ci95"),
    ("Gwet's AC1", "gwet_ac1"),
)


def _categorical_table(fields: dict[str, Any]) -> Table:
    names = [name for name, scores in fields.items() if "units" in scores]
    table = report_table("", *names, title="Categorical fields")
    for label, key in CATEGORICAL_ROWS:
        table.add_row(label, *(interval_or_figure(fields[name].get(key)) for name in names))
    return table


def _f1_table(fields: dict[str, Any]) -> Table:
    table = report_table("field", "F1 exact", "95% interval", "F1 partial", "95% interval",
                         title="Spans and relations (pairwise; relations: F1 partial)")  # fmt: skip
    for name, scores in fields.items():
        if "f1_exact" in scores:
            table.add_row(
                name,
                figure(scores["f1_exact"]),
                interval_or_figure(scores["f1_exact_ci95"]),
                figure(scores["f1_partial"]),
                interval_or_figure(scores["f1_partial_ci95"]),
            )
        elif "f1" in scores:
            table.add_row(name, "", "", figure(scores["f1"]), interval_or_figure(scores["f1_ci95"]))
    return table


def _model_table(fields: dict[str, Any]) -> Table:
    table = report_table("field", "precision", "recall", "F1")
    for name, scores in fields.items():
        if ":" not in name or name.startswith("relation:"):
            table.add_row(name, *(figure(scores[k]) for k in ("precision", "recall", "f1")))
    return table


def _model_title(version: str, fates: dict[str, Any]) -> str:
    """What a model version's table is about, on lines of its own (it is wider than the table)."""
    return (
        f"{version} vs gold: {fates['pre_annotated_regions']} pre-annotated regions, "
        f"kept {figure(fates['share_kept'])}, edited {figure(fates['share_edited'])}, "
        f"deleted {figure(fates['share_deleted'])}"
    )


def register(app: typer.Typer) -> None:
    app.command()(agreement)
