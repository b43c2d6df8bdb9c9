"""Export the gold set as a versioned dataset folder researchers load in one line.

Layout of ``--out DIR``::

    DIR/
      data/<split>.parquet   one row per document (split "gold" without --split)
      data/<split>.jsonl     the same rows as JSON Lines
      agreement.json         the report of `annotate agreement --json`
      README.md              the dataset card
      manifest.json          version, counts and the SHA-256 of every file

Offsets are Python code-point offsets into the exported ``text``, so
``text[start:end]`` is the span. The export is deterministic: rows are sorted by
document id, JSON keys are sorted, splits come from a seeded shuffle of the
sorted ids, and the version is a hash of the content, so exporting twice gives
byte-identical files. Columns follow the schema (`annotate.schemas`).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from annotate.prompts import prompt_version
from annotate.schemas import schema_version
from annotate.store import Store

from .card import dataset_card
from .report import GoldRecord

DATASET_NAME = "annotate-news-gold"
#: The one split without --split ("all" is reserved by Hugging Face datasets).
DEFAULT_SPLIT = "gold"


@dataclass(frozen=True)
class Split:
    name: str
    share: float


def parse_splits(spec: str | None) -> list[Split]:
    """``train=0.8,dev=0.1,test=0.1`` -> splits; shares must be positive and sum to 1."""
    if not spec:
        return [Split(DEFAULT_SPLIT, 1.0)]
    splits = []
    for part in spec.split(","):
        name, _, share = part.partition("=")
        try:
            value = float(share)
        except ValueError:
            raise ValueError(f"bad split {part!r}: write NAME=SHARE, e.g. train=0.8") from None
        if not name.strip().isidentifier() or value <= 0:
            raise ValueError(f"bad split {part!r}: a name and a positive share")
        splits.append(Split(name.strip(), value))
    if abs(sum(s.share for s in splits) - 1.0) > 1e-6:
        raise ValueError(f"split shares must sum to 1, not {sum(s.share for s in splits):g}")
    return splits


def assign_splits(document_ids: Sequence[str], splits: list[Split], seed: int) -> dict[str, str]:
    """Document id -> split, by a seeded shuffle of the sorted ids (stable across runs)."""
    ids = sorted(document_ids)
    random.Random(seed).shuffle(ids)
    assigned: dict[str, str] = {}
    start = 0
    for index, split in enumerate(splits):
        end = len(ids) if index == len(splits) - 1 else start + round(split.share * len(ids))
        for document_id in ids[start:end]:
            assigned[document_id] = split.name
        start = end
    return assigned


def gold_row(record: GoldRecord, store: Store) -> dict[str, Any]:
    """One exported row: the document, its gold annotation and its provenance."""
    document, gold = record.source.document, record.gold
    assert gold.annotation is not None, "documents without a valid gold are not exported"
    annotation = gold.annotation.model_dump(mode="json")
    doc_stance = annotation["document"] or {}
    return {
        "id": document.id,
        "text": document.text,
        "source": document.source,
        "metadata": json.dumps(document.metadata, ensure_ascii=False, sort_keys=True),
        "actors": annotation["actors"],
        "claims": annotation["claims"],
        "stances": annotation["stances"],
        "main_target": doc_stance.get("main_target"),
        "overall_stance": doc_stance.get("overall"),
        "annotators": gold.annotators,
        "adjudication": gold.method,
        "contested": gold.contested,
        "ties": gold.ties,
        "model_versions": sorted(record.source.predictions),
    }


SPAN = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())])
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("source", pa.string()),
        ("metadata", pa.string()),
        (
            "actors",
            pa.list_(
                pa.struct(
                    [
                        ("canonical_name", pa.string()),
                        ("type", pa.string()),
                        ("mentions", pa.list_(SPAN)),
                    ]
                )
            ),
        ),
        (
            "claims",
            pa.list_(
                pa.struct(
                    [
                        ("span", SPAN),
                        ("speaker", pa.string()),
                        ("cue", SPAN),
                        ("attribution", pa.string()),
                        ("check_worthy", pa.bool_()),
                        ("proposition", pa.string()),
                    ]
                )
            ),
        ),
        (
            "stances",
            pa.list_(
                pa.struct(
                    [
                        ("holder", pa.string()),
                        ("target", pa.string()),
                        ("label", pa.string()),
                        ("evidence", SPAN),
                    ]
                )
            ),
        ),
        ("main_target", pa.string()),
        ("overall_stance", pa.string()),
        ("annotators", pa.list_(pa.string())),
        ("adjudication", pa.string()),
        ("contested", pa.bool_()),
        ("ties", pa.list_(pa.string())),
        ("model_versions", pa.list_(pa.string())),
    ]
)


def export_dataset(
    store: Store,
    records: list[GoldRecord],
    report: dict[str, Any],
    out: Path,
    *,
    splits: list[Split],
    seed: int = 13,
) -> dict[str, Any]:
    """Write the dataset folder; return its manifest."""
    rows = sorted(
        (gold_row(r, store) for r in records if r.gold.annotation is not None),
        key=lambda row: row["id"],
    )
    assigned = assign_splits([row["id"] for row in rows], splits, seed)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split in splits:
        chosen = [row for row in rows if assigned[row["id"]] == split.name]
        counts[split.name] = len(chosen)
        _write_parquet(chosen, data / f"{split.name}.parquet")
        _write_jsonl(chosen, data / f"{split.name}.jsonl")
    _write_json(report, out / "agreement.json")
    versions = {
        "schema_version": schema_version(),
        "prompt_version": prompt_version(),
        "model_versions": sorted({v for row in rows for v in row["model_versions"]}),
    }
    content = _digest(data)
    version = content[:12]
    (out / "README.md").write_text(
        dataset_card(DATASET_NAME, version, rows, report, counts, versions, seed), encoding="utf-8"
    )
    manifest = {
        "name": DATASET_NAME,
        "version": version,
        "documents": len(rows),
        "splits": counts,
        "split_seed": seed if len(splits) > 1 else None,
        **versions,
        "files": {
            str(path.relative_to(out)): _sha256(path)
            for path in sorted(out.rglob("*"))
            if path.is_file() and path.name != "manifest.json"
        },
    }
    _write_json(manifest, out / "manifest.json")
    return manifest


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    pq.write_table(table, path, compression="zstd", write_statistics=False)


def _write_jsonl(rows: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


def _write_json(value: Any, path: Path) -> None:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.jsonl")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
