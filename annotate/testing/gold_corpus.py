"""A store of pulled annotations, filled the way `annotate pull` fills it, at any size.

The gold commands (`annotate agreement`, `annotate export`) are tested and
benchmarked over stores made here: N distinct documents (the seed articles,
each copy made distinct by a numbered line at its end so that ingest's
content hash keeps them apart), one prediction per document by the rule-based
annotator, and each annotator's "correction" of it (seeded perturbations:
dropped claims, changed choices, a changed document stance) stored with its
Label Studio results and converted annotation, and the codec regions of each,
as a pull stores them.

``variety=True`` adds the cases a real project has: a reviewer's annotation
flagged as ground truth, a document with one annotator, a skip, an annotation
that did not convert, and an annotator who annotated a document twice.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from annotate.ingest import content_hash
from annotate.schemas import OVERALL_STANCE_SCALE, Annotation
from annotate.store import JobKey, Prediction, PulledAnnotation, RunCounts, RunSpec, Store
from annotate.studio.annotations import refresh_regions

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ANNOTATORS = ("ann@x", "bob@x", "cat@x")
SERVER = "http://label-studio.test"
PROJECT_ID = 1
START = datetime(2026, 11, 24, tzinfo=UTC)


@dataclass(frozen=True)
class Base:
    text: str
    source: str
    annotation: Annotation
    model_version: str


@lru_cache(maxsize=1)
def seed_bases() -> tuple[Base, ...]:
    """The seeds with the rule-based annotator's grounded annotation of each."""
    from annotate.preannotate.grounding import ground_extraction
    from annotate.preannotate.providers.rules import RulesProvider, extract_rules

    version = RulesProvider().model_version
    bases = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        annotation = ground_extraction(text, extract_rules(text)).annotation
        bases.append(Base(text, str(path), annotation, version))
    return tuple(bases)


def perturbed(base: Annotation, rng: random.Random) -> Annotation:
    """An annotator's plausible correction: most of the pre-annotation, some changes."""
    copy = base.model_copy(deep=True)
    copy.claims = [c for c in copy.claims if rng.random() > 0.05]
    for claim in copy.claims:
        if rng.random() < 0.1:
            claim.attribution = rng.choice(["direct", "indirect", "authorial"])
        if rng.random() < 0.1:
            claim.check_worthy = not claim.check_worthy
    if copy.document is not None and rng.random() < 0.2:
        copy.document = copy.document.model_copy(
            update={"overall": rng.choice(OVERALL_STANCE_SCALE)}
        )
    return copy


@dataclass
class Pulled:
    """One annotation as `annotate pull` stores it."""

    document_id: str
    annotator: str
    annotation: Annotation | None
    skip: bool = False
    ground_truth: bool = False
    error: str | None = None


def fill(
    store: Store,
    documents: int,
    *,
    annotators: Sequence[str] = ANNOTATORS,
    seed: int = 7,
    variety: bool = False,
) -> None:
    """Ingest `documents` documents with one prediction each and their pulled annotations."""
    from annotate.codec import annotation_to_results

    rng = random.Random(seed)
    bases = seed_bases()
    job = JobKey(bases[0].model_version, "-", "-", "-")
    run_id = store.runs.start(RunSpec("rules", "rules", job.model_version, "-", "-", {}, 1))
    number = 0
    for index in range(documents):
        base = bases[index % len(bases)]
        text = f"{base.text.rstrip()}\n\n[copy {index}]\n"
        document_id = content_hash(text)[:16]
        store.documents.add(document_id, content_hash(text), text, f"{base.source}#{index}", {})
        store.predictions.add(
            Prediction(document_id, run_id, "rules", "rules", job,
                       base.annotation.model_dump_json(), spans=1, hallucinations=0)
        )  # fmt: skip
        for pulled in _annotations(document_id, base.annotation, annotators, rng, index, variety):
            number += 1
            results = annotation_to_results(pulled.annotation) if pulled.annotation else []
            store.annotations.upsert(
                PulledAnnotation(
                    server=SERVER,
                    project_id=PROJECT_ID,
                    annotation_id=number,
                    task_id=index + 1,
                    document_id=document_id,
                    annotator=pulled.annotator,
                    annotator_id=annotators.index(pulled.annotator) + 1
                    if pulled.annotator in annotators
                    else 99,
                    created_at=START.isoformat(),
                    updated_at=(START + timedelta(seconds=number)).isoformat(),
                    lead_time=30.0 + number % 17,
                    was_cancelled=pulled.skip,
                    ground_truth=pulled.ground_truth,
                    result=json.dumps(results, ensure_ascii=False, sort_keys=True),
                    annotation=None
                    if pulled.annotation is None or pulled.skip or pulled.error
                    else pulled.annotation.model_dump_json(),
                    error=pulled.error,
                )
            )
    store.runs.finish(run_id, RunCounts(documents=documents, predicted=documents))
    refresh_regions(store)


def _annotations(
    document_id: str,
    base: Annotation,
    annotators: Sequence[str],
    rng: random.Random,
    index: int,
    variety: bool,
) -> Iterator[Pulled]:
    kind = index % 7 if variety else -1
    who = list(annotators)
    if kind == 1:  # one annotator only
        who = who[:1]
    if kind == 2:  # two annotators: ties
        who = who[:2]
    for annotator in who:
        yield Pulled(
            document_id,
            annotator,
            perturbed(base, rng),
            ground_truth=kind == 3 and annotator == who[-1],
        )
    if kind == 4:
        yield Pulled(document_id, "dan@x", Annotation(), skip=True)
    if kind == 5:
        yield Pulled(document_id, "eve@x", perturbed(base, rng), error="claim at 0 has no "
                     "attribution: choose one in Label Studio")  # fmt: skip
    if kind == 6:  # the first annotator again, later: the later annotation counts
        yield Pulled(document_id, who[0], perturbed(base, rng))
