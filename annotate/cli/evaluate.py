"""`annotate eval`: a model and prompt run over the documents with gold, and scored against it.

Orchestrates two stages (stages never import each other; the CLI may): the gold
stage keeps the gold up to date (the gold pass), the preannotate pipeline runs
the job on the documents that have gold and no prediction of it yet (a job is
model, prompt, schema and parameters, so a prompt's predictions are kept apart
and a re-run makes no call), and the gold stage scores exactly that job's
predictions with model-vs-gold's matching (`annotate.gold.job_eval`). The
evaluation is recorded in the store; ``--compare`` tabulates every one.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from annotate.gold.card import figure
from annotate.gold.job_eval import score_job
from annotate.gold.report import keep_gold
from annotate.llm import EndpointSettings, PriceChoice
from annotate.preannotate.pipeline import ProgressCallback, RunSummary, job_key, preannotate
from annotate.preannotate.providers import (
    PROVIDERS,
    Provider,
    default_provider_name,
    make_provider,
)
from annotate.prompts import read_prompt
from annotate.store import Store, StoredEvaluation

from .agreement import PolicyOption, ReviewerOption, WorkersOption, checked_policy, worker_count
from .common import DbOption, console, fail, open_store, report_table
from .job_progress import progress_bar
from .llm_options import ENDPOINT_OPTIONS, endpoint_options, job_price

NO_GOLD = "no gold yet: run `annotate pull` first (gold is made from the pulled annotations)"
#: Exit status when the job stopped early (endpoint down, refused key): nothing is recorded.
EXIT_STOPPED = 3


@endpoint_options(after={"model": ("prompt", "compare", "as_json")})
def eval_command(
    provider: Annotated[
        str | None,
        typer.Option(
            help=f"One of {', '.join(PROVIDERS)} (default as for `annotate preannotate`).",
            show_default=False,
        ),
    ] = None,
    settings: EndpointSettings = ENDPOINT_OPTIONS,
    prompt: Annotated[
        Path | None,
        typer.Option(
            help="Prompt file used instead of the default (a path, or a name in prompts/); "
            "versioned by the hash of its text. --provider openai only.",
            show_default=False,
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option("--compare", help="Tabulate every recorded evaluation, best F1 first."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    policy: PolicyOption = "auto",
    reviewer: ReviewerOption = None,
    workers: WorkersOption = 0,
    db: DbOption = None,
) -> None:
    """Score a model and prompt against the human gold: precision, recall, F1, cost, latency.

    Runs the model over the documents that have gold (only those without a
    prediction of this model, prompt and parameters yet: a re-run makes no
    call) and scores its predictions per field and label with the matching of
    model-vs-gold. Exit status 0; 3 when the job stopped early (endpoint down,
    refused key, --max-cost reached): nothing recorded, the same command resumes.
    """
    if compare:
        with open_store(db) as store:
            evaluations = store.evaluations.all()
        _print_compare(best_first(evaluations), as_json)
        return
    name = provider or default_provider_name()
    prompt_name, prompt_text = "default", None
    if prompt is not None:
        if name != "openai":
            raise fail(f"--prompt needs --provider openai (the {name} provider sends no prompt)")
        prompt_name, prompt_text = read_prompt(prompt)
    chosen = make_provider(name, settings, prompt=prompt_text)
    price = job_price(name, chosen.model, settings)
    with open_store(db) as store:
        if not keep_gold(store, policy=checked_policy(policy), reviewers=reviewer or (),
                         workers=worker_count(workers)):  # fmt: skip
            raise fail(NO_GOLD)
        job = job_key(chosen)
        pending = store.evaluations.unpredicted(job)
        waiting = store.evaluations.in_open_batches(job)
        if waiting:
            console.print(f"{waiting} document(s) with gold wait in an open batch of this job: "
                          "not sent online (not scored); run `annotate batch collect`, then "
                          "this again", highlight=False)  # fmt: skip
        summary = _run(store, chosen, pending, settings, price)
        evaluation = _record(store, name, prompt_name, chosen, summary, price)
    if as_json:
        json.dump(evaluation_json(evaluation, with_fields=True), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    _print_evaluation(evaluation, summary)


def _run(
    store: Store,
    provider: Provider,
    pending: list[Any],
    settings: EndpointSettings,
    price: PriceChoice,
) -> RunSummary | None:
    """Pre-annotate the documents with gold that the job has not predicted yet (None: none).

    A job that stopped early (endpoint down, refused key, --max-cost reached)
    exits with `EXIT_STOPPED`: nothing is recorded.
    """
    if not pending:
        asyncio.run(provider.aclose())
        return None
    console.print(
        f"pre-annotating {len(pending)} document(s) with gold: {provider.model_version}",
        highlight=False,
    )

    async def job(on_progress: ProgressCallback) -> RunSummary:
        try:  # the provider's connections are closed on the loop that opened them
            return await preannotate(store, provider, concurrency=settings.concurrency,
                                     price=price.price, selection=(len(pending), pending),
                                     on_progress=on_progress,
                                     max_cost=settings.max_cost)  # fmt: skip
        finally:
            await provider.aclose()

    with progress_bar(len(pending), lambda: provider.retries, label="evaluating",
                      priced=price.known) as update:  # fmt: skip
        summary = asyncio.run(job(update))
    if summary.stopped is not None:
        typer.echo(f"stopped: {summary.stopped.reason}", err=True)
        typer.echo(f"nothing recorded; to resume: {summary.stopped.advice}", err=True)
        raise typer.Exit(EXIT_STOPPED)
    return summary


def _record(
    store: Store,
    name: str,
    prompt_name: str,
    provider: Provider,
    summary: RunSummary | None,
    price: PriceChoice,
) -> StoredEvaluation:
    """Score the job's predictions against the gold and record that, with what its calls cost."""
    job = job_key(provider)
    score = score_job(store, job)
    if not score.gold_documents:
        raise fail(NO_GOLD)
    calls = store.evaluations.calls(provider.model, job)
    predicted = set(store.evaluations.predictions(job))
    spent = [cost for document, cost in calls.items() if document in predicted]
    evaluation = StoredEvaluation(
        run_id=summary.run_id if summary else None,
        provider=name,
        model=provider.model,
        model_version=job.model_version,
        prompt_version=job.prompt_version,
        prompt_name=prompt_name if name == "openai" else "",
        schema_version=job.schema_version,
        params_hash=job.params_hash,
        gold_documents=score.gold_documents,
        scored=score.scored,
        failed=score.gold_documents - score.scored,
        precision=score.overall["precision"],
        recall=score.overall["recall"],
        f1=score.overall["f1"],
        fields=score.fields,
        counts=score.counts,
        cost_usd=sum(c.cost_usd for c in spent),
        priced=price.known,
        prompt_tokens=sum(c.prompt_tokens for c in spent),
        completion_tokens=sum(c.completion_tokens for c in spent),
        requests=sum(c.requests for c in spent),
        call_seconds=sum(c.seconds for c in spent),
    )
    evaluation.id = store.evaluations.save(evaluation)
    evaluation.created_at = store.evaluations.all()[-1].created_at
    return evaluation


def best_first(evaluations: list[StoredEvaluation]) -> list[StoredEvaluation]:
    """The latest evaluation of each (provider, model, prompt, parameters), best overall F1 first.

    Ties go to the higher recall, then the lower cost per document; no F1 goes last.
    """
    latest: dict[tuple[str, ...], StoredEvaluation] = {}
    for evaluation in evaluations:
        key = (evaluation.provider, evaluation.model_version, evaluation.prompt_version,
               evaluation.schema_version, evaluation.params_hash)  # fmt: skip
        latest[key] = evaluation
    return sorted(
        latest.values(),
        key=lambda e: (e.f1 is None, -(e.f1 or 0.0), -(e.recall or 0.0), _per_document(e)),
    )


def _per_document(e: StoredEvaluation, total: float | None = None) -> float:
    value = e.cost_usd if total is None else total
    return value / e.scored if e.scored else 0.0


def evaluation_json(e: StoredEvaluation, with_fields: bool = False) -> dict[str, Any]:
    """One evaluation as `--json` prints it."""
    found: dict[str, Any] = {
        "id": e.id,
        "provider": e.provider,
        "model": e.model,
        "model_version": e.model_version,
        "prompt_name": e.prompt_name,
        "prompt_version": e.prompt_version,
        "schema_version": e.schema_version,
        "params_hash": e.params_hash,
        "run_id": e.run_id,
        "created_at": e.created_at,
        "gold_documents": e.gold_documents,
        "scored": e.scored,
        "failed": e.failed,
        "precision": e.precision,
        "recall": e.recall,
        "f1": e.f1,
        "priced": e.priced,
        "totals": {
            "cost_usd": round(e.cost_usd, 6),
            "prompt_tokens": e.prompt_tokens,
            "completion_tokens": e.completion_tokens,
            "requests": e.requests,
            "call_seconds": round(e.call_seconds, 3),
        },
        "per_document": {
            "cost_usd": round(_per_document(e), 6) if e.priced else None,
            "prompt_tokens": round(_per_document(e, e.prompt_tokens), 1),
            "completion_tokens": round(_per_document(e, e.completion_tokens), 1),
            "seconds": round(_per_document(e, e.call_seconds), 3),
        },
    }
    if with_fields:
        found["fields"] = e.fields
    return found


def _print_evaluation(e: StoredEvaluation, summary: RunSummary | None) -> None:
    prompt = f"{e.prompt_name} ({e.prompt_version[:8]})" if e.prompt_version else "none"
    ran = "no new calls (all predicted before)" if summary is None else (
        f"run {summary.run_id}: {summary.counters.predicted} predicted, "
        f"{summary.counters.failed} failed, {summary.counters.cached_calls} cached calls"
    )  # fmt: skip
    console.print(f"evaluation {e.id}: {e.model_version}, prompt {prompt}; {ran}", highlight=False)
    table = Table("field", "precision", "recall", "F1", title_justify="left",
                  title=f"{e.scored} of {e.gold_documents} documents with gold scored")  # fmt: skip
    for name, scores in e.fields.items():
        table.add_row(name, *(figure(scores[k]) for k in ("precision", "recall", "f1")))
    table.add_row("overall (micro)", figure(e.precision), figure(e.recall), figure(e.f1),
                  style="bold")  # fmt: skip
    console.print(table)
    per = evaluation_json(e)["per_document"]
    cost = f"${per['cost_usd']:.6f}" if e.priced else "unknown (no price for this model)"
    console.print(
        f"per document: cost {cost}, tokens {per['prompt_tokens']:g} in / "
        f"{per['completion_tokens']:g} out, {per['seconds']:.3f} s of calls",
        highlight=False,
    )
    if e.failed:
        console.print(f"{e.failed} document(s) with gold have no prediction (failed): not "
                      "scored; see `annotate runs`", highlight=False)  # fmt: skip


def _print_compare(evaluations: list[StoredEvaluation], as_json: bool) -> None:
    if as_json:
        json.dump({"evaluations": [evaluation_json(e) for e in evaluations]}, sys.stdout,
                  indent=2)  # fmt: skip
        sys.stdout.write("\n")
        return
    if not evaluations:
        console.print("no evaluations yet: run `annotate eval --provider P --model M` first")
        return
    # The models and prompts listed by rank above the figures: a model's name is longer
    # than a column can hold at 80 columns without cutting it.
    console.print("evaluations, best F1 first", highlight=False)
    for rank, e in enumerate(evaluations, 1):
        prompt = f"{e.prompt_name}:{e.prompt_version[:8]}" if e.prompt_version else "no prompt"
        console.print(f"{rank:>3}  {e.model} ({prompt})", highlight=False)
    table = report_table("#")
    table.columns[0].justify = "right"
    for name in ("docs", "P", "R", "F1", "$/doc", "tok/doc", "s/doc"):
        table.add_column(name, justify="right", no_wrap=True)
    for rank, e in enumerate(evaluations, 1):
        per = evaluation_json(e)["per_document"]
        table.add_row(
            str(rank),
            f"{e.scored}/{e.gold_documents}",
            figure(e.precision),
            figure(e.recall),
            figure(e.f1),
            f"{per['cost_usd']:.5f}" if e.priced else "?",
            f"{per['prompt_tokens'] + per['completion_tokens']:.0f}",
            f"{per['seconds']:.2f}",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)


__all__ = ["eval_command"]
