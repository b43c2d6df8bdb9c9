"""The export's comparison tables: every judged claim pair, and the facts, with verification.

Layout, beside the gold's ``data/`` folder (a folder each, Parquet only, so that
loading a folder as a dataset never mixes these rows with the documents', nor
Parquet with JSON Lines)::

    comparisons/comparisons.parquet         one row per claim pair of the last comparison
    jsonl/comparisons/comparisons.jsonl     the same rows
    facts/facts.parquet                     one row per fact of the last comparison
    jsonl/facts/facts.jsonl                 the same rows

A comparisons row holds both claims (document id, offsets, quote, outlet), the
judge's verdict, and the verdict people gave (adjudicated: `gold.verdicts`),
its status (verified, contested, unverified), method and annotators, and for a verdict
whose vote tied its ``resolution`` ("waiting for review", or "review" once a reviewer
settled it; null when the vote did not tie). A facts
row holds the fact's claims, outlets, status and the facts it contradicts.
Rows are written in the comparison's order, a row group at a time; JSON keys
are sorted, so the same store exports the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from annotate.schemas import Verdict
from annotate.store import ClaimRef, Document, Store, StoredFact, StoredVerdict, VerifiedVerdict

#: Rows per Parquet row group (and the most rows held at once).
ROW_GROUP = 2000
#: The folder of the export's JSON Lines: the Parquet folders' files, at the same paths.
JSONL = "jsonl"

_CLAIM = [("doc_id", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
          ("quote", pa.string()), ("outlet", pa.string())]  # fmt: skip
_VERDICT = [("relation", pa.string()), ("detail", pa.string()), ("value_a", pa.string()),
            ("value_b", pa.string()), ("rationale", pa.string())]  # fmt: skip

COMPARISONS_SCHEMA = pa.schema(
    [("pair", pa.string())]
    + [(f"a_{name}", kind) for name, kind in _CLAIM]
    + [(f"b_{name}", kind) for name, kind in _CLAIM]
    + [("judge", pa.string())]
    + [(f"judge_{name}", kind) for name, kind in _VERDICT]
    + [("similarity", pa.float64()), ("status", pa.string())]
    + list(_VERDICT)
    + [("method", pa.string()), ("annotators", pa.list_(pa.string())),
       ("answers", pa.list_(pa.struct([("annotator", pa.string()), ("relation", pa.string())]))),
       ("resolution", pa.string())]
)  # fmt: skip
FACTS_SCHEMA = pa.schema([
    ("id", pa.string()), ("proposition", pa.string()), ("status", pa.string()),
    ("outlets", pa.int64()), ("sources", pa.list_(pa.string())),
    ("claims", pa.list_(pa.struct(_CLAIM))), ("contradicts", pa.list_(pa.string())),
])  # fmt: skip


def write_comparison_tables(store: Store, out: Path) -> dict[str, Any] | None:
    """Write both tables under `out`; their counts, or None when nothing was compared."""
    run = store.comparisons.last()
    if run is None:
        return None
    texts = _Texts(store)
    people = store.verification.verified()
    statuses: dict[str, int] = {}
    rows = (
        comparison_row(v, texts, _people(people, v))
        for v in store.comparisons.iter_verdicts(run.id)
    )
    pairs = _write(_counted(rows, statuses), out, "comparisons", COMPARISONS_SCHEMA)
    fact_statuses: dict[str, int] = {}
    fact_rows = (fact_row(f, texts) for f in store.comparisons.iter_facts())
    facts = _write(_counted(fact_rows, fact_statuses), out, "facts", FACTS_SCHEMA)
    return {"comparison": run.id, "judge": run.judge, "pairs": pairs,
            "pair_statuses": dict(sorted(statuses.items())), "facts": facts,
            "fact_statuses": dict(sorted(fact_statuses.items()))}  # fmt: skip


def comparison_row(
    verdict: StoredVerdict, texts: _Texts, human: VerifiedVerdict | None
) -> dict[str, Any]:
    """One comparisons row: both claims, the judge's verdict, and people's."""
    row: dict[str, Any] = {"pair": verdict.pair.key}
    row.update(texts.claim("a", verdict.a))
    row.update(texts.claim("b", verdict.b))
    row["judge"] = verdict.judge
    row.update({f"judge_{k}": v for k, v in _verdict_columns(verdict.verdict).items()})
    row["similarity"] = verdict.similarity
    if human is None:
        row.update({"status": "unverified", **dict.fromkeys(_verdict_columns(None)),
                    "method": None, "annotators": [], "answers": [],
                    "resolution": None})  # fmt: skip
        return row
    people = Verdict.model_validate_json(human.verdict)
    if human.pair != verdict.pair:  # verified the other way round: swap the values
        values = people.values
        if values is not None:
            people = people.model_copy(update={"values": type(values)(a=values.b, b=values.a)})
    row.update({"status": human.status, **_verdict_columns(people), "method": human.method,
                "annotators": sorted(human.answers),
                "answers": [{"annotator": who, "relation": relation}
                            for who, relation in sorted(human.answers.items())],
                "resolution": human.resolution})  # fmt: skip
    return row


def fact_row(fact: StoredFact, texts: _Texts) -> dict[str, Any]:
    return {
        "id": fact.id,
        "proposition": fact.proposition,
        "status": fact.status,
        "outlets": len(fact.sources),
        "sources": fact.sources,
        "claims": [texts.claim("", ref) for ref in fact.claims],
        "contradicts": fact.contradicts,
    }


class _Texts:
    """Claims' quotes and outlets, from recently used documents kept at hand."""

    def __init__(self, store: Store) -> None:
        self.document: Any = lru_cache(maxsize=512)(store.documents.get)

    def claim(self, side: str, ref: ClaimRef) -> dict[str, Any]:
        document: Document = self.document(ref.doc_id)
        prefix = f"{side}_" if side else ""
        quote = document.text[ref.start : ref.end]
        values = {"doc_id": ref.doc_id, "start": ref.start, "end": ref.end, "quote": quote,
                  "outlet": document.outlet}  # fmt: skip
        return {prefix + key: value for key, value in values.items()}


def _people(people: dict[str, VerifiedVerdict], verdict: StoredVerdict) -> VerifiedVerdict | None:
    return people.get(verdict.pair.key) or people.get(verdict.pair.flipped.key)


def _verdict_columns(verdict: Verdict | None) -> dict[str, Any]:
    if verdict is None:
        return {"relation": None, "detail": None, "value_a": None, "value_b": None,
                "rationale": None}  # fmt: skip
    values = verdict.values
    return {"relation": verdict.relation, "detail": verdict.detail,
            "value_a": values.a if values else None, "value_b": values.b if values else None,
            "rationale": verdict.rationale}  # fmt: skip


def _counted(rows: Iterable[dict[str, Any]], statuses: dict[str, int]) -> Iterator[dict[str, Any]]:
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        yield row


def _write(rows: Iterable[dict[str, Any]], out: Path, name: str, schema: pa.Schema) -> int:
    """Stream `rows` into ``name/name.parquet`` and ``jsonl/name/name.jsonl``; how many."""
    folder, text = out / name, out / JSONL / name
    folder.mkdir(parents=True, exist_ok=True)
    text.mkdir(parents=True, exist_ok=True)
    count = 0
    with (text / f"{name}.jsonl").open("w", encoding="utf-8", newline="\n") as lines, \
            pq.ParquetWriter(folder / f"{name}.parquet", schema) as parquet:  # fmt: skip
        group: list[dict[str, Any]] = []
        for row in rows:
            lines.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            group.append(row)
            count += 1
            if len(group) >= ROW_GROUP:
                parquet.write_table(pa.Table.from_pylist(group, schema=schema))
                group = []
        if group or not count:  # an empty table still gets its schema
            parquet.write_table(pa.Table.from_pylist(group, schema=schema))
    return count
