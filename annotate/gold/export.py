"""Export the gold set as a versioned dataset folder researchers load in one line.

Layout of ``--out DIR`` (default ``exports/gold``)::

    DIR/
      data/<split>.parquet         one row per document (split "gold" without --split)
      unresolved/unresolved.parquet  documents whose ties wait for a reviewer (`ties` marks
                                   them): outside ``data/`` and every gold split, written
                                   only when there are some
      jsonl/.../<split>.jsonl      the same rows as JSON Lines
      agreement.json               the report of `annotate agreement --json`
      README.md                    the dataset card, with the Hub's YAML front matter
      manifest.json                version, counts and the SHA-256 of every file

``data/`` holds Parquet only, so ``pd.read_parquet("DIR/data")`` and
``load_dataset("parquet", data_dir="DIR/data")`` read it as it is, and the card's
``configs:`` name each split's file for ``load_dataset("DIR")``; the JSON Lines
copies sit under ``jsonl/``, in the same folders as their Parquet files.

Offsets are Python code-point offsets into the exported ``text``, so
``text[start:end]`` is the span. The export is deterministic: rows are sorted by
document id, JSON keys are sorted, splits come from a seeded shuffle of the
sorted ids, and the version is a hash of the content, so exporting twice gives
byte-identical files. Columns follow the schema (`annotate.schemas`): the
Parquet schema is derived from the grounded models, and ``metadata`` is a struct
of `DocumentMetadata`'s fields and the documents' own (`metadata_columns`).

The export streams: the gold pass makes each exported row once, as its JSON
line (with what the card counts of it, counted where the row was made). With
one split the lines go straight to its JSON Lines; with several they wait in a
temporary file, and a second read of it sends each line to its split (the
split of every position comes from the seeded shuffle, which needs only the
number of rows). Arrow parses each split's lines into Parquet a row group at a
time. Nothing holds more than one row group of rows.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import tempfile
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, Union, get_args, get_origin

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq
from pydantic import BaseModel

from annotate.files import staged
from annotate.prompts import prompt_version
from annotate.schemas import (
    DocumentStance,
    GroundedActor,
    GroundedClaim,
    GroundedStance,
    schema_version,
)
from annotate.store import Store

from .adjudicate import Policy
from .agreement import RESAMPLES
from .card import (
    UNRESOLVED,
    CardCounts,
    Hub,
    comparisons_card,
    dataset_card,
    hub_front_matter,
)
from .comparison_tables import JSONL, write_comparison_tables
from .judge import GoldRecord
from .metadata_columns import MetadataFields
from .metadata_columns import as_text as as_text_row
from .report import agreement_report, dump_report

DATASET_NAME = "annotate-news-gold"
#: The one split without --split ("all" is reserved by Hugging Face datasets).
DEFAULT_SPLIT = "gold"
#: Rows per Parquet row group (and the most rows held in memory at once).
ROW_GROUP = 500


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
        if name.strip() == _Unresolved.NAME:
            raise ValueError(f"bad split {part!r}: {_Unresolved.NAME!r} holds the documents "
                             "whose ties wait for a reviewer; choose another name")  # fmt: skip
        splits.append(Split(name.strip(), value))
    if abs(sum(s.share for s in splits) - 1.0) > 1e-6:
        raise ValueError(f"split shares must sum to 1, not {sum(s.share for s in splits):g}")
    return splits


def split_positions(count: int, splits: list[Split], seed: int) -> bytearray:
    """The split (its index) of each of `count` rows in id order, by a seeded shuffle.

    Shuffling positions permutes exactly as shuffling the sorted ids would, so
    only the number of rows is needed, not the ids.
    """
    order = list(range(count))
    random.Random(seed).shuffle(order)
    assigned = bytearray(count)
    start = 0
    for index, split in enumerate(splits):
        end = count if index == len(splits) - 1 else start + round(split.share * count)
        for position in order[start:end]:
            assigned[position] = index
        start = end
    return assigned


def assign_splits(document_ids: Sequence[str], splits: list[Split], seed: int) -> dict[str, str]:
    """Document id -> split, by a seeded shuffle of the sorted ids (stable across runs)."""
    ids = sorted(document_ids)
    positions = split_positions(len(ids), splits, seed)
    return {document_id: splits[positions[i]].name for i, document_id in enumerate(ids)}


# --------------------------------------------------------------------------
# The Parquet schema, derived from the grounded models
# --------------------------------------------------------------------------


def arrow_type(annotation: Any) -> pa.DataType:
    """The Arrow type of a schema field's type annotation (models become structs)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):  # X | None: nullable X
        (inner,) = [a for a in args if a is not type(None)]
        return arrow_type(inner)
    if origin is list:
        return pa.list_(arrow_type(args[0]))
    if origin is Literal or annotation is str:
        return pa.string()
    if annotation is bool:
        return pa.bool_()
    if annotation is int:
        return pa.int64()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pa.struct(
            [(name, arrow_type(info.annotation)) for name, info in annotation.model_fields.items()]
        )
    raise TypeError(f"no Arrow type for {annotation!r}")


def arrow_schema(metadata: pa.DataType | None = None) -> pa.Schema:
    """The exported row's columns: the document, its gold annotation, its provenance.

    `metadata`: the struct of the exported documents' metadata fields
    (`MetadataFields.arrow_type`); by default the declared fields alone.
    """
    document = DocumentStance.model_fields
    strings = pa.list_(pa.string())
    return pa.schema(
        [
            ("id", pa.string()),
            ("text", pa.string()),
            ("source", pa.string()),
            ("metadata", metadata or MetadataFields().arrow_type()),
            ("actors", arrow_type(list[GroundedActor])),
            ("claims", arrow_type(list[GroundedClaim])),
            ("stances", arrow_type(list[GroundedStance])),
            ("main_target", arrow_type(document["main_target"].annotation)),
            ("overall_stance", arrow_type(document["overall"].annotation)),
            ("annotators", strings),
            ("adjudication", pa.string()),
            ("contested", pa.bool_()),
            ("ties", strings),
            ("model_versions", strings),
        ]
    )


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def export_dataset(
    store: Store,
    out: Path,
    *,
    splits: list[Split],
    seed: int = 13,
    policy: Policy = "auto",
    reviewers: Sequence[str] = (),
    workers: int = 1,
    resamples: int = RESAMPLES,
    score_judge: Callable[[Store], dict[str, Any] | None] | None = None,
    hub: Hub | None = None,
) -> dict[str, Any]:
    """Run the gold pass and write the dataset folder; return its manifest.

    `hub`: what the card's YAML says that the data cannot (its licence, its
    languages when the documents' metadata does not say).

    With a comparison in the store, its pairs and facts are exported too
    (`comparison_tables`), people's verdicts adjudicated by the same policy;
    `score_judge` (`annotate compare --eval`'s scoring, which the gold stage does
    not own) scores the judge against them for the card.

    The folder is written under a hidden name beside `out` and put in its place
    only when complete (`annotate.files.staged`): a reader never finds half an export at
    `out`, and an export killed part way leaves the previous one as it was.
    """
    with staged(out) as folder:
        return _export(store, folder, splits, seed, policy, reviewers, workers, resamples,
                       score_judge, hub or Hub())  # fmt: skip


def _export(
    store: Store,
    out: Path,
    splits: list[Split],
    seed: int,
    policy: Policy,
    reviewers: Sequence[str],
    workers: int,
    resamples: int,
    score_judge: Callable[[Store], dict[str, Any] | None] | None,
    hub: Hub,
) -> dict[str, Any]:
    tables = _Tables(out, _metadata_fields(store))
    with tempfile.TemporaryFile("w+", encoding="utf-8", dir=out) as spool:
        only = tables.writer(splits[0].name) if len(splits) == 1 else None
        rows = _Spool(spool, only)
        rows.unresolved = _Unresolved(tables)
        report = agreement_report(store, policy=policy, reviewers=reviewers,
                                  resamples=resamples, workers=workers, keep=rows.keep)  # fmt: skip
        counts = _write_splits(rows, tables, splits, seed) | rows.unresolved.close()
    card, models = rows.card, rows.card.model_versions
    verified = report.get("comparisons")
    compared = write_comparison_tables(store, out)
    judge_scores = score_judge(store) if compared and verified and score_judge else None
    with (out / "agreement.json").open("w", encoding="utf-8", newline="\n") as handle:
        dump_report(report, handle, sort_keys=True)
        handle.write("\n")
    versions = {
        "schema_version": schema_version(),
        "prompt_version": prompt_version(),
        "model_versions": sorted(models),
    }
    version = _digest(sorted(tables.lines.glob("*.jsonl")))[:12]
    (out / "README.md").write_text(
        hub_front_matter(DATASET_NAME, hub, card, counts, compared)
        + dataset_card(DATASET_NAME, version, card, report, counts, versions, seed)
        + comparisons_card(compared, verified, judge_scores),
        encoding="utf-8",
    )
    manifest = {
        "name": DATASET_NAME,
        "version": version,
        "documents": card.documents,
        "splits": counts,
        "split_seed": seed if len(splits) > 1 else None,
        **({"comparisons": compared} if compared else {}),
        **versions,
        "files": {
            str(path.relative_to(out)): _sha256(path)
            for path in sorted(out.rglob("*"))
            if path.is_file() and path.name != "manifest.json"
        },
    }
    _write_json(manifest, out / "manifest.json")
    return manifest


def _metadata_fields(store: Store) -> MetadataFields:
    """The metadata fields of the documents with annotations (those the export can hold)."""
    annotated = set(store.annotations.document_ids())
    return MetadataFields.of(d.metadata for d in store.documents.listing() if d.id in annotated)


class _Tables:
    """Where the splits go (Parquet in ``data/``, JSON Lines in ``jsonl/data/``), and their
    columns, fixed before the first row."""

    def __init__(self, out: Path, fields: MetadataFields) -> None:
        self.out = out
        self.data = out / "data"
        self.lines = out / JSONL / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.lines.mkdir(parents=True, exist_ok=True)
        self.schema = arrow_schema(fields.arrow_type())
        self.as_text = fields.as_text()

    def writer(self, name: str, folder: str = "data") -> _SplitWriter:
        """A split's writer: ``folder/name.parquet``, its lines in ``jsonl/folder/``."""
        for made in (self.out / folder, self.out / JSONL / folder):
            made.mkdir(parents=True, exist_ok=True)
        return _SplitWriter(self, name, folder)


class _Spool:
    """Exported rows in document id order, with what the card counts of them.

    With one split every row goes straight to its files as it comes; with
    several, the split of a row depends on how many rows there are, so the rows
    wait as JSON lines in a temporary file.
    """

    def __init__(self, handle: IO[str], only: _SplitWriter | None = None) -> None:
        self.handle = handle
        self.only = only
        self.count = 0
        self.card = CardCounts()
        self.unresolved: _Unresolved | None = None

    def keep(self, record: GoldRecord) -> None:
        if record.gold.unresolved and self.unresolved is not None:
            self.unresolved.add(record.line)
            return
        if record.line is not None:
            if self.only is not None:
                self.only.add(record.line)
            else:
                self.handle.write(record.line)
            self.count += 1
        if record.card is not None:
            self.card.merge(record.card)

    def lines(self) -> Iterator[str]:
        self.handle.seek(0)
        yield from self.handle


def _write_splits(rows: _Spool, tables: _Tables, splits: list[Split],
                  seed: int) -> dict[str, int]:  # fmt: skip
    """Each spooled row into its split's JSON Lines and Parquet files."""
    if rows.only is not None:
        rows.only.close()
        return {rows.only.name: rows.only.rows}
    positions = split_positions(rows.count, splits, seed)
    writers = [tables.writer(split.name) for split in splits]
    try:
        for position, line in enumerate(rows.lines()):
            writers[positions[position]].add(line)
    finally:
        for writer in writers:
            writer.close()
    return {w.name: w.rows for w in writers}


class _Unresolved:
    """The rows of documents whose ties wait for a reviewer, in a split of their own made
    only when there are some (issue 21: outside the gold, never decided by annotator order)."""

    NAME = UNRESOLVED

    def __init__(self, tables: _Tables) -> None:
        self.tables = tables
        self.writer: _SplitWriter | None = None

    def add(self, line: str | None) -> None:
        if line is None:
            return
        if self.writer is None:
            self.writer = self.tables.writer(self.NAME, folder=self.NAME)
        self.writer.add(line)

    def close(self) -> dict[str, int]:
        """{"unresolved": rows} when there were some, else nothing."""
        if self.writer is None:
            return {}
        self.writer.close()
        return {self.NAME: self.writer.rows}


class _SplitWriter:
    """One split's files: JSON Lines as the rows come, Parquet a row group at a time.

    A row group is parsed and written by a thread of its own while the next one
    fills: Arrow releases the interpreter while it parses and compresses, so this
    work (a tenth of an export's) overlaps the gold pass instead of pausing it. At
    most one row group is being written while the next fills, and they are
    written in order.
    """

    def __init__(self, tables: _Tables, name: str, folder: str = "data") -> None:
        self.name = name
        self.rows = 0
        self.schema = tables.schema
        self.as_text = tables.as_text
        lines = tables.out / JSONL / folder / f"{name}.jsonl"
        self.jsonl = lines.open("w", encoding="utf-8", newline="\n")
        self.parquet = pq.ParquetWriter(
            tables.out / folder / f"{name}.parquet", self.schema, compression="zstd",
            write_statistics=False,
        )  # fmt: skip
        self.group: list[str] = []
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"parquet-{name}")
        self._writing: Future[None] | None = None

    def add(self, line: str) -> None:
        self.jsonl.write(line)
        self.group.append(line)
        self.rows += 1
        if len(self.group) == ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        self._wait()
        self._writing = self._writer.submit(self._write, self.group)
        self.group = []

    def _write(self, lines: list[str]) -> None:
        self.parquet.write_table(_table(lines, self.schema, self.as_text))

    def _wait(self) -> None:
        """Wait for the row group being written (raising what its writing raised)."""
        if self._writing is not None:
            self._writing.result()
            self._writing = None

    def close(self) -> None:
        try:
            if self.group or not self.rows:  # an empty split still gets its (empty) table
                self._flush()
            self._wait()
        finally:
            self._writer.shutdown()
            self.parquet.close()
            self.jsonl.close()


def _table(lines: list[str], schema: pa.Schema, as_text: frozenset[str] = frozenset()) -> pa.Table:
    """A row group's JSON lines as one Arrow table of `schema`.

    Arrow parses the lines itself (the rows never become Python objects), into
    one contiguous table, as one built from the Python rows would be: the
    Parquet bytes are the same. Only when some metadata field's values disagree
    in type (`as_text`: written as text) are the rows parsed here, to write them so.
    """
    if not lines or as_text:
        rows = [as_text_row(json.loads(line), as_text) for line in lines]
        return pa.Table.from_pylist(rows, schema=schema)
    data = "".join(lines).encode("utf-8")
    table = pa_json.read_json(
        io.BytesIO(data),
        read_options=pa_json.ReadOptions(block_size=len(data)),  # one block: any row fits
        parse_options=pa_json.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="error"
        ),
    )
    return table.combine_chunks()


def _write_json(value: Any, path: Path) -> None:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def _digest(paths: list[Path]) -> str:
    """The content version: the JSON Lines files' names and bytes, in name order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        for chunk in _chunks(path):
            digest.update(chunk)
    return digest.hexdigest()
