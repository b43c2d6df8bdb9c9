"""The comparisons of claims across documents: each run, its judges' verdicts, its facts.

`annotate compare` records a run, the verdict on every candidate pair, the verdicts a
paid judge gave (kept so that a re-run asks only about new pairs) and the facts of the
last finished run. Which annotation of a document to compare (gold or the latest
prediction) is the compare stage's choice: this repository hands it both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from annotate.schemas import DifferingValues, Verdict

from .documents import DOCUMENT_D, Document, document_of
from .gold import resolved
from .migrations import now
from .predictions import LATEST
from .repository import Repository, decode, marks, streamed


@dataclass(frozen=True)
class ClaimRef:
    """A claim by where it is: a document and code-point offsets into its text."""

    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class ClaimPair:
    """Two claims of different documents as one comparison saw them: A, then B.

    Its `key` names the pair across comparisons, Label Studio tasks and the
    verdicts people give; the same two claims the other way round are another
    orientation of the same pair (`flipped`).
    """

    a: ClaimRef
    b: ClaimRef

    @property
    def key(self) -> str:
        a, b = self.a, self.b
        return f"{a.doc_id}:{a.start}-{a.end}~{b.doc_id}:{b.start}-{b.end}"

    @property
    def flipped(self) -> ClaimPair:
        return ClaimPair(self.b, self.a)


@dataclass(frozen=True)
class StoredVerdict:
    """A judge's verdict on one candidate pair of a comparison."""

    comparison_id: int
    #: a digest of the judge's version and both claims: the same key is the same question
    key: str
    #: the judge's model version
    judge: str
    a: ClaimRef
    b: ClaimRef
    relation: str
    detail: str | None
    #: the differing values {"a": ..., "b": ...} as JSON, or None
    values: str | None
    rationale: str
    #: the candidate pair's lexical similarity (cosine of the propositions' TF-IDF)
    similarity: float

    @property
    def pair(self) -> ClaimPair:
        return ClaimPair(self.a, self.b)

    @property
    def verdict(self) -> Verdict:
        return as_verdict(self.relation, self.detail, self.values, self.rationale)


@dataclass(frozen=True)
class KeptVerdict:
    """A paid judge's answer kept for the next comparison, by the question's key."""

    key: str
    judge: str
    relation: str
    detail: str | None
    #: the differing values {"a": ..., "b": ...} as JSON, or None
    values: str | None
    rationale: str

    @property
    def verdict(self) -> Verdict:
        return as_verdict(self.relation, self.detail, self.values, self.rationale)


def as_verdict(relation: str, detail: str | None, values: str | None, rationale: str) -> Verdict:
    """A stored verdict's columns as the schema's `Verdict` again."""
    return Verdict(
        relation=relation,
        detail=detail,
        values=DifferingValues.model_validate_json(values) if values else None,
        rationale=rationale,
    )


@dataclass(frozen=True)
class ComparisonRun:
    """One `annotate compare`: what it read, which judge, what it found."""

    id: int
    judge: str
    origin: str
    params: dict[str, Any]
    started_at: str
    finished_at: str | None
    status: str
    #: claims, candidate pairs, verdicts by relation, facts, dropped values, ...
    counts: dict[str, Any]


@dataclass(frozen=True)
class StoredFact:
    """A fact of the last comparison: claims judged one fact, and how far people verified it."""

    comparison_id: int
    id: str
    proposition: str
    claims: list[ClaimRef]
    sources: list[str]
    #: "verified", "contested" or "unverified"
    status: str
    #: the facts this one contradicts
    contradicts: list[str]


@dataclass(frozen=True)
class ComparableDocument:
    """A document with both annotations a comparison may read; either may be missing."""

    document: Document
    #: the kept gold as (how it was made, its `Annotation` JSON); None: no valid gold
    gold: tuple[str, str] | None
    #: the latest prediction as (its model version, its `Annotation` JSON); None: none
    prediction: tuple[str, str] | None


class Comparisons(Repository):
    """The `comparisons`, `verdicts`, `verdict_cache` and `facts` tables.

    Reached as ``store.comparisons``.
    """

    def documents(self, batch: int = 256) -> Iterator[ComparableDocument]:
        """Every document with its kept gold and latest prediction, in ingest order, paged."""
        sql = (
            f"select d.rowid, {DOCUMENT_D}, g.annotation as gold, g.method, "
            "p.annotation as predicted, p.model_version from documents d "
            f"left join gold g on g.document_id = d.id and {resolved('g')} "
            f"left join predictions p on p.id = ({LATEST}) where d.rowid > ?"
        )
        for row in self._paged(sql, [], batch):
            gold, predicted = row["gold"], row["predicted"]
            yield ComparableDocument(
                document_of(row),
                None if gold is None else (row["method"], gold),
                None if predicted is None else (row["model_version"], predicted),
            )

    def start(self, judge: str, origin: str, params: dict[str, Any]) -> int:
        with self.db.conn:
            cursor = self.db.conn.execute(
                "insert into comparisons (judge, origin, params, started_at, status) "
                "values (?, ?, ?, ?, 'running')",
                [judge, origin, json.dumps(params, sort_keys=True), now()],
            )
        return int(cursor.lastrowid or 0)

    def finish(self, comparison_id: int, counts: dict[str, Any], status: str = "finished") -> None:
        """Record how a comparison ended; a finished one's verdicts replace the earlier ones'.

        Earlier comparisons keep their row and counts; their pairs (hundreds of
        thousands for a large corpus) are dropped, and paid verdicts stay in the cache.
        """
        with self.db.conn:
            self.db.conn.execute(
                "update comparisons set finished_at = ?, status = ?, counts = ? where id = ?",
                [now(), status, json.dumps(counts, sort_keys=True), comparison_id],
            )
            if status == "finished":
                self.db.conn.execute(
                    "delete from verdicts where comparison_id < ?", [comparison_id]
                )

    def runs(self) -> list[ComparisonRun]:
        return [
            decode(ComparisonRun, row)
            for row in self._rows("select * from comparisons order by id")
        ]

    def last(self) -> ComparisonRun | None:
        """The last comparison that finished (its verdicts are the ones kept)."""
        finished = [run for run in self.runs() if run.status == "finished"]
        return finished[-1] if finished else None

    def save_verdicts(self, verdicts: Sequence[StoredVerdict], keep: bool = False) -> None:
        """Record a comparison's verdicts; with `keep`, also for the next comparison to reuse."""
        stamp = now()
        with self.db.conn:
            self.db.conn.executemany(
                "insert into verdicts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*_verdict_values(v), stamp) for v in verdicts],
            )
            if keep:
                self.db.conn.executemany(
                    "insert or replace into verdict_cache values (?, ?, ?, ?, ?, ?, ?)",
                    [(v.judge, v.key, v.relation, v.detail, v.values, v.rationale, stamp)
                     for v in verdicts],
                )  # fmt: skip

    def kept_verdicts(self, keys: Sequence[str], judge: str) -> dict[str, KeptVerdict]:
        """The answers `judge` gave before to any of the questions `keys`."""
        found: dict[str, KeptVerdict] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            rows = self._rows(
                "select key, judge, relation, detail, value_pair, rationale from verdict_cache "
                f"where judge = ? and key in ({marks(len(chunk))})",
                [judge, *chunk],
            )
            found.update((row["key"], decode(KeptVerdict, row, values=row["value_pair"]))
                         for row in rows)  # fmt: skip
        return found

    def iter_verdicts(self, comparison_id: int, batch: int = 2048) -> Iterator[StoredVerdict]:
        """A comparison's verdicts in the order they were judged, a page at a time."""
        sql = "select rowid, * from verdicts where rowid > ? and comparison_id = ?"
        for row in self._paged(sql, [comparison_id], batch):
            pair = pair_of(row)
            yield decode(StoredVerdict, row, a=pair.a, b=pair.b, values=row["value_pair"])

    def replace_facts(self, comparison_id: int, facts: Sequence[StoredFact]) -> None:
        """Keep the facts of `comparison_id` in place of every earlier comparison's."""
        with self.db.conn:
            self.db.conn.execute("delete from facts")
            self.db.conn.executemany(
                "insert into facts values (?, ?, ?, ?, ?, ?, ?)",
                [(comparison_id, f.id, f.proposition,
                  json.dumps([[c.doc_id, c.start, c.end] for c in f.claims]),
                  json.dumps(f.sources, ensure_ascii=False), f.status, json.dumps(f.contradicts))
                 for f in facts],
            )  # fmt: skip

    def iter_facts(self) -> Iterator[StoredFact]:
        """The kept facts, in the order the comparison ranked them."""
        for row in streamed(self.db.conn, "select * from facts order by rowid"):
            claims = [ClaimRef(*claim) for claim in json.loads(row["claims"])]
            yield decode(StoredFact, row, claims=claims)


def pair_values(pair: ClaimPair) -> tuple[Any, ...]:
    """A pair as the values of its six columns (``a_doc`` ... ``b_end``)."""
    a, b = pair.a, pair.b
    return (a.doc_id, a.start, a.end, b.doc_id, b.start, b.end)


def pair_columns(pair: ClaimPair) -> dict[str, Any]:
    """A pair as its key and six columns, by column name."""
    a, b = pair.a, pair.b
    return {"pair_key": pair.key, "a_doc": a.doc_id, "a_start": a.start, "a_end": a.end,
            "b_doc": b.doc_id, "b_start": b.start, "b_end": b.end}  # fmt: skip


def pair_of(row: Any) -> ClaimPair:
    """The pair a row's six columns (``a_doc`` ... ``b_end``) name."""
    return ClaimPair(
        ClaimRef(row["a_doc"], row["a_start"], row["a_end"]),
        ClaimRef(row["b_doc"], row["b_start"], row["b_end"]),
    )


def _verdict_values(v: StoredVerdict) -> tuple[Any, ...]:
    return (v.comparison_id, v.key, v.judge, *pair_values(v.pair), v.relation, v.detail,
            v.values, v.rationale, v.similarity)  # fmt: skip
