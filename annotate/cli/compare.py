"""`annotate compare`: facts across documents, contradictions and stances, in three files;
with ``--eval``, the judge scored against the verdicts people gave."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from annotate.compare.claims import COMPARE_ORIGINS
from annotate.errors import ProviderError
from annotate.gold.adjudicate import Policy
from annotate.gold.card import figure
from annotate.llm import EndpointSettings

from .agreement import PolicyOption, ReviewerOption, WorkersOption, checked_policy, worker_count
from .common import DbOption, console, counted, fail, open_store
from .llm_options import ENDPOINT_OPTIONS, endpoint_options

if TYPE_CHECKING:  # the comparison's modules load scikit-learn, scipy and openai:
    # imported when `compare` runs, so that no other command pays for them at start
    from annotate.compare.actors import ActorRegistry
    from annotate.compare.judges.base import Judge
    from annotate.compare.pipeline import Comparison, JudgeFactory

PROVIDERS = ("rules", "openai")


@endpoint_options(  # a verdict is short: 1,024 tokens leave it room to spare
    without=("max_cost",), max_tokens=1024, after={"model": ("origin", "out", "neighbours")}
)
def compare(
    provider: Annotated[
        str, typer.Option(help="Judge of candidate pairs: rules (offline) or openai.")
    ] = "rules",
    settings: EndpointSettings = ENDPOINT_OPTIONS,
    origin: Annotated[
        str,
        typer.Option(
            "--from",
            help="Claims to compare: auto (gold where there is, else the latest prediction), "
            "gold, or predictions.",
        ),
    ] = "auto",
    out: Annotated[
        Path, typer.Option("--out", help="Folder for facts.json, pairs.jsonl and report.html.")
    ] = Path("exports/compare"),
    neighbours: Annotated[
        int, typer.Option("--neighbours", help="Candidate pairs kept per claim (1-20).")
    ] = 10,
    policy: PolicyOption = "auto",
    reviewer: ReviewerOption = None,
    workers: WorkersOption = 0,
    evaluate: Annotated[
        bool,
        typer.Option(
            "--eval",
            help="Compare nothing: score the last comparison's judge against the verdicts "
            "people gave (annotate pull --comparisons).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --eval: print JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Line up claims across documents: shared facts, single-outlet facts, contradictions.

    Pairs claims of different documents that are likely about the same thing
    (never all pairs), has a judge decide each pair (same fact, contradicts
    and on which detail, elaborates, unrelated), groups same-fact claims into
    facts and writes facts.json, pairs.jsonl and report.html into --out. With
    --provider openai every verdict is kept: a re-run asks only about new pairs.
    With --eval, scores the last comparison's judge against the verified verdicts.
    """
    if evaluate:
        _evaluate(db, checked_policy(policy), reviewer or (), as_json)
        return
    if as_json:
        raise fail("--json goes with --eval")
    if provider not in PROVIDERS:
        raise fail(f"--provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    if origin not in COMPARE_ORIGINS:
        raise fail(f"--from must be one of {', '.join(COMPARE_ORIGINS)}, not {origin!r}")
    if not 1 <= neighbours <= 20:
        raise fail(f"--neighbours must be between 1 and 20, not {neighbours}")
    chosen = checked_policy(policy)
    from annotate.workflows.comparison import compare_after_people

    with open_store(db) as store, _judging_bar() as bar:
        make_judge = _judge_factory(provider, settings, bar.advance)
        found = compare_after_people(
            store, make_judge, out, origin=origin, neighbours=neighbours, policy=chosen,
            reviewers=reviewer or (), workers=worker_count(workers), on_pairs=bar.start,
        )  # fmt: skip
    _summary(found, out)


def _judge_factory(
    provider: str, settings: EndpointSettings, advance: Callable[[], None]
) -> JudgeFactory:
    """How to make the judge once the actors are known (the rules compare actors by id)."""
    from annotate.compare.actors import ActorRegistry
    from annotate.compare.judges.openai_judge import OpenAIJudge
    from annotate.compare.judges.rules import RulesJudge

    def rules(registry: ActorRegistry) -> Judge:
        return RulesJudge(lambda name: registry.actor_id(name) or name.lower())

    def openai(registry: ActorRegistry) -> Judge:
        return OpenAIJudge(settings, on_judged=advance)

    if provider == "openai":
        openai(ActorRegistry())  # a missing endpoint or key is reported before any work
        return openai
    return rules


class _JudgingBar:
    """A progress bar for the pairs the judge is asked about (sized once they are known)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, pairs: int) -> None:
        self.task = self.progress.add_task("judging", total=pairs)

    def advance(self) -> None:
        if self.task is not None:
            self.progress.advance(self.task)


@contextmanager
def _judging_bar() -> Iterator[_JudgingBar]:
    progress = Progress(
        TextColumn("[bold]judging pairs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        yield _JudgingBar(progress)


def _summary(found: Comparison, out: Path) -> None:
    """What was found and written; an error (exit 1) when some pairs stayed unjudged."""
    from annotate.compare.outputs import FACTS, PAIRS, REPORT

    counts = found.counts
    usage = counts["judge_usage"]
    console.print(
        f"{counts['documents']} documents, {counts['claims']} claims, "
        f"{counts['candidate_pairs']} pairs judged by {found.judge}: "
        f"{counts['shared_facts']} facts shared by several outlets, "
        f"{counts['single_outlet_facts']} single-outlet facts, "
        f"{counts['contradictions']} contradictions",
        highlight=False,
    )
    if usage["calls"] or counts["reused_verdicts"]:
        console.print(
            f"{usage['calls']} LLM calls ({usage['requests']} requests, {usage['reasks']} "
            f"re-asks), {counts['reused_verdicts']} verdicts reused, "
            f"{usage['prompt_tokens'] + usage['completion_tokens']} tokens, "
            + judging_cost(usage["cost_usd"], usage.get("priced", True)),
            highlight=False,
        )
    if counts["dropped_values"]:
        console.print(f"{counts['dropped_values']} differing values were not in their claims "
                      "and were dropped", highlight=False)  # fmt: skip
    if usage.get("unused_fields"):
        console.print(f"{usage['unused_fields']} fields the answers' relations do not use "
                      "(a detail on 'same') were dropped", highlight=False)  # fmt: skip
    console.print(f"wrote {out / FACTS}, {out / PAIRS}, {out / REPORT}", highlight=False)
    if counts["unjudged"]:
        raise ProviderError(
            f"{counts['unjudged']} of {counts['candidate_pairs']} pairs could not be judged "
            "and are left out of the facts; run the same command again to judge only them. "
            f"Reasons: {counted(counts.get('failure_reasons', {}))}; first of each: "
            + "; ".join(counts["failures"])
        )


def judging_cost(cost_usd: float, known: bool) -> str:
    """A judge's cost, or unknown when its model has no price (never $0 as if free)."""
    if known:
        return f"${cost_usd:.4f}"
    return "cost unknown (the model has no price: give --price-input/--price-output or --prices)"


def _evaluate(db: Path | None, policy: Policy, reviewers: Sequence[str], as_json: bool) -> None:
    """`compare --eval`: the scores as tables, or as JSON for scripts."""
    from annotate.workflows.comparison import score_judge

    with open_store(db) as store:
        scores = score_judge(store, policy, reviewers)
    if as_json:
        json.dump(scores, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    _print_scores(scores)


def _print_scores(scores: dict[str, Any]) -> None:
    prompt = scores["prompt_version"]
    console.print(
        f"comparison {scores['comparison']}, judge {scores['judge']}"
        + (f" (prompt {prompt})" if prompt else "")
        + f": {scores['pairs']} judged pairs with a human verdict ({scores['verified']} "
        f"verified, {scores['contested']} contested) of {scores['judged_pairs']} judged",
        highlight=False,
    )
    console.print(
        f"judging cost {judging_cost(scores['cost_usd'], scores['cost_known'])}: "
        f"{scores['calls']} LLM calls, "
        f"{scores['prompt_tokens'] + scores['completion_tokens']} tokens, "
        f"{scores['reused_verdicts']} verdicts reused from earlier comparisons",
        highlight=False,
    )
    relations, details = scores["relations"], scores["details"]
    console.print(_prf_table("relation", relations["by_relation"],
                             f"Relations: accuracy {figure(relations['accuracy'])}, "
                             f"macro F1 {figure(relations['macro_f1'])}"))  # fmt: skip
    console.print(_prf_table("detail", details["by_detail"],
                             "Contradiction details: macro F1 "
                             f"{figure(details['macro_f1'])}"))  # fmt: skip
    console.print(_facts_table(scores["facts"]))


def _prf_table(name: str, rows: dict[str, dict[str, Any]], title: str) -> Table:
    table = Table(name, "precision", "recall", "F1", "support", "judged", title=title,
                  title_justify="left")  # fmt: skip
    for label, s in rows.items():
        table.add_row(label, *(figure(s[k]) for k in ("precision", "recall", "f1", "support",
                                                       "predicted")))  # fmt: skip
    return table


def _facts_table(facts: dict[str, Any]) -> Table:
    title = f"Facts as clusters (same fact: {', '.join(facts['same_fact_relations'])})"
    every, fewer = facts["all"], facts["without_singletons"]
    table = Table("", "all claims", "without singletons", title=title, title_justify="left")
    for key, label in (("claims", "claims"), ("reference_facts", "people's facts"),
                       ("judge_facts", "judge's facts")):  # fmt: skip
        table.add_row(label, str(every[key]), str(fewer[key]))
    for measure, name in (("bcubed", "B-cubed"), ("pairwise", "pairwise")):
        for key, shown in (("precision", "precision"), ("recall", "recall"), ("f1", "F1")):
            table.add_row(f"{name} {shown}", figure(every[measure][key]),
                          figure(fewer[measure][key]))  # fmt: skip
    return table


def register(app: typer.Typer) -> None:
    app.command()(compare)
