"""The gold: each document's adjudicated annotation, as the gold pass made it.

Kept with a digest of its inputs, so that the next pass remakes only the documents
whose annotations, predictions or policy changed; read by export, eval and compare.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .annotations import VALID
from .migrations import now
from .repository import Repository, decode


@dataclass(frozen=True)
class StoredGold:
    """A document's gold as the gold pass made it, and what it was made from."""

    document_id: str
    #: a digest of everything the gold depends on: a different one means make it again
    inputs: str
    #: "reviewer", "majority", "single" or "review" (a reviewer settled its ties)
    method: str
    annotators: list[str]
    contested: bool
    ties: list[str]
    #: why the vote made no valid annotation (then `annotation` is None)
    problems: list[str]
    task_ids: list[int]
    #: the gold `Annotation` as JSON
    annotation: str | None
    #: the document's agreement measurement, model-vs-gold counts and ties (whole: which
    #: item each is on), as JSON only `annotate/gold/judge.py` reads
    measures: str


def resolved(table: str = "") -> str:
    """SQL: a valid gold no tie holds up (`gold.annotation` is NULL when the vote made none);
    `table` is the gold table's alias in the query, if it has one."""
    at = f"{table}." if table else ""
    return f"{at}annotation is not null and not ({at}method = 'majority' and {at}ties != '[]')"


#: A gold that waits on a tie: a majority vote with ties nobody reviewed yet (issue 21).
UNRESOLVED = "method = 'majority' and ties != '[]'"
RESOLVED = resolved()
#: Documents with valid, resolved kept gold: what eval and compare read as gold.
WITH_GOLD = f"select document_id from gold where {RESOLVED}"


class Gold(Repository):
    """The `gold` table: one row per document the gold pass adjudicated.

    Reached as ``store.gold``.
    """

    def drop_orphans(self) -> None:
        """Forget the gold of documents that no longer have a valid annotation."""
        with self.db.conn:
            self.db.conn.execute(
                "delete from gold where document_id not in (select document_id from annotations "
                f"where {VALID})"
            )

    def of(self, document_id: str) -> StoredGold | None:
        rows = self._rows("select * from gold where document_id = ?", [document_id])
        return decode(StoredGold, rows[0]) if rows else None

    def save(self, golds: Sequence[StoredGold]) -> None:
        """Keep documents' gold, replacing what was made from older inputs."""
        stamp = now()
        with self.db.conn:
            self.db.conn.executemany(
                "insert or replace into gold values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*_gold_values(g), stamp) for g in golds],
            )

    def fingerprint(self) -> tuple[int, int, int]:
        """What changes whenever the kept gold, or a prediction of a gold document, does:
        (gold rows, their latest rowid, the latest prediction id of a gold document). A
        rewritten gold row takes a new rowid; a fit on the gold is current while this is."""
        row = self.db.conn.execute(
            "select count(*), coalesce(max(rowid), 0), coalesce((select max(id) from predictions"
            " where document_id in (select document_id from gold)), 0) from gold"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def annotations(self) -> Iterator[tuple[str, str]]:
        """(document id, gold `Annotation` JSON) of every document with valid, resolved kept
        gold, by id."""
        rows = self.db.conn.execute(
            f"select document_id, annotation from gold where {RESOLVED} order by document_id"
        )
        yield from ((str(doc), str(annotation)) for doc, annotation in rows)


def _gold_values(g: StoredGold) -> tuple[Any, ...]:
    def dumped(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    return (
        g.document_id,
        g.inputs,
        g.method,
        dumped(g.annotators),
        int(g.contested),
        dumped(g.ties),
        dumped(g.problems),
        dumped(g.task_ids),
        g.annotation,
        g.measures,
    )
