"""What a comparison writes: ``facts.json``, ``pairs.jsonl`` and ``report.html``.

``facts.json`` and ``pairs.jsonl`` are contracts (their keys are documented in
docs/comparing.md and scripts rely on them; keys may be added, never renamed). The
folder is written under a hidden name and renamed into place when complete
(`annotate.files.staged`), so an interrupted run never leaves half a file, nor
new pairs beside old facts, where the last good folder was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotate.collector import collector_paused
from annotate.files import staged
from annotate.store import Store

from .claims import ComparedClaim
from .pipeline import Comparison, JudgeFactory, compare
from .report import render_report

FACTS = "facts.json"
PAIRS = "pairs.jsonl"
REPORT = "report.html"


def run_comparison(
    store: Store,
    make_judge: JudgeFactory,
    out: Path,
    *,
    origin: str = "auto",
    k: int = 10,
    on_pairs: Callable[[int], None] | None = None,
) -> Comparison:
    """Compare, then write the three files into `out` (created if needed)."""
    with collector_paused():  # facts.json and the report walk the same large heap
        return _run(store, make_judge, out, origin, k, on_pairs)


def _run(
    store: Store,
    make_judge: JudgeFactory,
    out: Path,
    origin: str,
    k: int,
    on_pairs: Callable[[int], None] | None,
) -> Comparison:
    with staged(out) as folder:  # the three files belong together: all new or all old
        with (folder / PAIRS).open("w", encoding="utf-8") as pairs_out:
            found = compare(
                store, make_judge, origin=origin, pairs_out=pairs_out, k=k, on_pairs=on_pairs
            )
        # compact: json's fast encoder, where indenting takes the pure-Python one (5x slower)
        text = json.dumps(facts_json(found), ensure_ascii=False) + "\n"
        (folder / FACTS).write_text(text, encoding="utf-8")
        (folder / REPORT).write_text(render_report(found), encoding="utf-8")
    return found


def facts_json(found: Comparison) -> dict[str, Any]:
    """The ``facts.json`` object: facts, contradictions between facts, stances per outlet."""
    return {
        "facts": [
            {
                "id": fact.id,
                "proposition": fact.proposition,
                "claims": [claim_json(c, found) for c in fact.claims],
                "sources": fact.sources,
                "status": fact.status,
            }
            for fact in found.facts
        ],
        "contradictions": [
            {
                "fact_a": c.fact_a,
                "fact_b": c.fact_b,
                "detail": c.verdict.detail,
                "values": c.verdict.values.model_dump() if c.verdict.values else None,
                "rationale": c.verdict.rationale,
                "claim_a": claim_json(c.a, found),
                "claim_b": claim_json(c.b, found),
                "status": c.status,
                "resolution": c.resolution,
            }
            for c in found.contradictions
        ],
        "stances": [
            {
                "source": s.outlet.source,
                "holder": s.holder,
                "target": s.target,
                "label": s.label,
                "quote": s.quote,
                "doc_id": s.outlet.doc_id,
                "start": s.start,
                "end": s.end,
            }
            for s in found.stances
        ],
        "stance_targets": [
            {"target": t.target, "outlets": t.outlets, **t.sides} for t in found.targets
        ],
        "comparison": {
            "id": found.id,
            "judge": found.judge,
            "from": found.origin,
            "counts": found.counts,
        },
    }


def claim_json(claim: ComparedClaim, found: Comparison) -> dict[str, Any]:
    return {
        "doc_id": claim.outlet.doc_id,
        "source": claim.outlet.source,
        "speaker": found.registry.display(claim.speaker),
        "quote": claim.quote,
        "start": claim.start,
        "end": claim.end,
        "attribution": claim.attribution,
        "proposition": claim.proposition,
    }
