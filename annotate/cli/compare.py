"""`annotate compare`: facts across documents, contradictions and stances, in three files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from annotate.compare.actors import ActorRegistry
from annotate.compare.judges.base import Judge
from annotate.compare.judges.rules import RulesJudge
from annotate.compare.outputs import FACTS, PAIRS, REPORT, run_comparison
from annotate.compare.pipeline import JudgeFactory
from annotate.errors import ProviderError
from annotate.gold.adjudicate import Policy
from annotate.gold.report import iter_gold
from annotate.store import Store
from annotate.store.database import COMPARE_ORIGINS

from .agreement import PolicyOption, ReviewerOption, WorkersOption, checked_policy, worker_count
from .common import DbOption, console, fail, open_store

PROVIDERS = ("rules", "openai")


def compare(
    provider: Annotated[
        str, typer.Option(help="Judge of candidate pairs: rules (offline) or openai.")
    ] = "rules",
    model: Annotated[
        str | None, typer.Option(help="Model of the openai judge (default $ANNOTATE_MODEL).")
    ] = None,
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
    db: DbOption = None,
) -> None:
    """Line up claims across documents: shared facts, single-outlet facts, contradictions.

    Pairs claims of different documents that are likely about the same thing
    (never all pairs), has a judge decide each pair (same fact, contradicts
    and on which detail, elaborates, unrelated), groups same-fact claims into
    facts and writes facts.json, pairs.jsonl and report.html into --out.
    """
    if provider not in PROVIDERS:
        raise fail(f"--provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
    if origin not in COMPARE_ORIGINS:
        raise fail(f"--from must be one of {', '.join(COMPARE_ORIGINS)}, not {origin!r}")
    if not 1 <= neighbours <= 20:
        raise fail(f"--neighbours must be between 1 and 20, not {neighbours}")
    chosen = checked_policy(policy)
    with open_store(db) as store:
        if origin != "predictions":
            _refresh_gold(store, chosen, reviewer or (), worker_count(workers))
        found = run_comparison(store, _judge_factory(provider, model), out, origin=origin,
                               k=neighbours)  # fmt: skip
    counts = found.counts
    console.print(
        f"{counts['documents']} documents, {counts['claims']} claims, "
        f"{counts['candidate_pairs']} pairs judged by {found.judge}: "
        f"{counts['shared_facts']} facts shared by several outlets, "
        f"{counts['single_outlet_facts']} single-outlet facts, "
        f"{counts['contradictions']} contradictions",
        highlight=False,
    )
    console.print(f"wrote {out / FACTS}, {out / PAIRS}, {out / REPORT}", highlight=False)
    if counts["unjudged"]:
        reasons = "; ".join(counts["failures"])
        raise ProviderError(
            f"{counts['unjudged']} of {counts['candidate_pairs']} pairs could not be judged "
            f"({reasons}): they are left out of the facts; run the same command again to "
            "judge only them"
        )


def _refresh_gold(store: Store, policy: Policy, reviewers: Sequence[str], workers: int) -> None:
    """Bring the kept gold up to date with the pulled annotations (the gold pass)."""
    if store.has_valid_annotations():
        for _ in iter_gold(store, policy=policy, reviewers=reviewers, workers=workers):
            pass


def _judge_factory(provider: str, model: str | None) -> JudgeFactory:
    """How to make the judge once the actors are known (the rules compare actors by id)."""

    def rules(registry: ActorRegistry) -> Judge:
        return RulesJudge(lambda name: registry.actor_id(name) or name.lower())

    return rules


def register(app: typer.Typer) -> None:
    app.command()(compare)
