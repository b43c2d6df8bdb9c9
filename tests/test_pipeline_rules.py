"""The offline default: the rule-based provider through the whole pipeline on the seeds."""

from __future__ import annotations

import asyncio
from pathlib import Path

from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers import make_provider
from annotate.schemas import Annotation
from annotate.store import RunCounts, Store


def _spans(annotation: Annotation):  # type: ignore[no-untyped-def]
    for actor in annotation.actors:
        yield from actor.mentions
    for claim in annotation.claims:
        yield claim.span
        if claim.cue:
            yield claim.cue
    for stance in annotation.stances:
        yield stance.evidence


def test_rules_annotate_every_seed_offline(store: Store, seeds_dir: Path) -> None:
    ingest_paths(store, [seeds_dir])
    provider = make_provider("rules")
    summary = asyncio.run(preannotate(store, provider, concurrency=2))
    assert summary.counters.predicted == 5 and summary.counters.failed == 0
    assert summary.counters.llm_calls == 5 and summary.counters.cost_usd == 0
    assert "rule-based" in summary.model_version
    for document in store.documents.iter():
        prediction = store.predictions.latest(document.id)
        assert prediction is not None
        annotation = Annotation.model_validate_json(prediction.annotation)
        assert annotation.actors and annotation.claims and annotation.document
        for span in _spans(annotation):
            assert document.text[span.start : span.end] == span.text


def test_rerun_does_nothing_and_limit_is_respected(store: Store, seeds_dir: Path) -> None:
    ingest_paths(store, [seeds_dir])
    provider = make_provider("rules")
    first = asyncio.run(preannotate(store, provider, limit=2))
    assert first.counters.documents == 2
    second = asyncio.run(preannotate(store, provider))
    assert second.counters.documents == 3
    third = asyncio.run(preannotate(store, provider))
    assert third.counters.documents == 0 and third.pending == 0
    assert [run.status for run in store.runs.all()] == ["finished"] * 3


def test_the_last_progress_report_counts_every_document(store: Store, seeds_dir: Path) -> None:
    """The progress line's last figure is the whole job, also when the end marker waited in
    the queue behind the last documents (it always does when answers come at once)."""
    ingest_paths(store, [seeds_dir])
    seen: list[tuple[int, int]] = []

    def report(counters: RunCounts) -> None:
        seen.append((counters.documents, counters.predicted))

    summary = asyncio.run(preannotate(store, make_provider("rules"), on_progress=report))
    assert summary.counters.documents == 5
    assert seen and seen[-1] == (5, 5), seen
