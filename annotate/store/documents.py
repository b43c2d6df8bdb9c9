"""The ingested documents: what every stage reads, written by `annotate ingest` only.

A document's id is a prefix of its content hash, so ingesting the same text twice is a
no-op.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from annotate.errors import InputError, NotFoundError

from .migrations import now
from .repository import Repository, decode

#: Metadata keys that hold an article's title (a manifest's ``headline``, a feed's ``title``).
TITLE_KEYS = ("headline", "title")
#: A title longer than this is cut at a word (a first line can be a whole lead paragraph).
MAX_TITLE = 80


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    source: str
    metadata: dict[str, Any]

    @property
    def outlet(self) -> str:
        """Who published it: the ``outlet`` metadata, else the source's file name, else the id."""
        return str(self.metadata.get("outlet") or PurePath(self.source).name or self.id)

    @property
    def reader_label(self) -> str:
        """The outlet where the metadata names one, else the title, else the text's first line.

        A file name (``000_856e5b2c16a2e29d.txt``) tells a reader nothing; the headline in
        the metadata, or failing that the article's first line, says which article it is
        (the report's columns, the comparisons task's outlet lines).
        """
        outlet = self.metadata.get("outlet")
        if isinstance(outlet, str) and outlet.strip():
            return outlet.strip()
        for key in TITLE_KEYS:
            title = self.metadata.get(key)
            if isinstance(title, str) and title.strip():
                return _shortened(title)
        first = next((line for line in self.text.splitlines() if line.strip()), "")
        return _shortened(first) if first else self.outlet

    @property
    def published(self) -> str | None:
        """The ``date`` metadata's day (YYYY-MM-DD) when it has one."""
        value = self.metadata.get("date")
        return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def _shortened(title: str) -> str:
    words = " ".join(title.split())
    if len(words) <= MAX_TITLE:
        return words
    cut = words[:MAX_TITLE].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-–—") + "…"


@dataclass(frozen=True)
class DocumentListing:
    """A document as a list shows it: everything but its text."""

    id: str
    source: str
    chars: int
    metadata: dict[str, Any]


#: A document's columns, and the same read from a query that calls the table ``d``.
DOCUMENT = "id, text, source, metadata"
DOCUMENT_D = "d.id, d.text, d.source, d.metadata"


def document_of(row: Any) -> Document:
    """A `documents` row (or one that selects its columns) as a `Document`."""
    return decode(Document, row)


def metadata_json(metadata: dict[str, Any]) -> str:
    return json.dumps(metadata, ensure_ascii=False, sort_keys=True)


class Documents(Repository):
    """The `documents` table: ingest adds, every other stage reads.

    Reached as ``store.documents``.
    """

    def add(
        self, doc_id: str, content_hash: str, text: str, source: str, metadata: dict[str, Any]
    ) -> bool:
        """Insert a document unless its content is known; True when it was new.

        The id is a prefix of the content hash; two different texts sharing it (a
        collision) are refused rather than taken for one.
        """
        with self.db.conn:
            cursor = self.db.conn.execute(
                "insert or ignore into documents "
                "(id, content_hash, source, metadata, text, chars, ingested_at) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                [doc_id, content_hash, source, metadata_json(metadata), text, len(text), now()],
            )
        if cursor.rowcount > 0:
            return True
        known = self.db.execute(
            "select content_hash from documents where id = ?", [doc_id]
        ).fetchone()[0]
        if known != content_hash:
            raise InputError(
                f"{source}: its id {doc_id} is already taken by another text (a hash "
                "collision): rename nothing, report it, and ingest it into another store"
            )
        return False

    def count(self) -> int:
        return int(self.db.execute("select count(*) from documents").fetchone()[0])

    def get(self, document_id: str) -> Document:
        """A document by its id (the primary key); NotFoundError when there is none."""
        rows = self._rows(f"select {DOCUMENT} from documents where id = ?", [document_id])
        if not rows:
            raise NotFoundError(f"no document {document_id!r} in {self.path}")
        return document_of(rows[0])

    def find(self, ref: str) -> Document:
        """A document by id, id prefix, source path or the start of its file name.

        For people typing at `annotate show`; code reads documents by id. NotFoundError
        (a LookupError) when nothing or several documents match.
        """
        for sql, params in _FIND_DOCUMENT:
            rows = self._rows(f"select {DOCUMENT} from documents where {sql} limit 2", params(ref))
            if len(rows) > 1:
                raise NotFoundError(f"{ref!r} matches several documents: give more of the id")
            if rows:
                return document_of(rows[0])
        raise NotFoundError(f"no document matches {ref!r}: see `annotate show` for the list")

    def listing(self, batch: int = 1024) -> Iterator[DocumentListing]:
        """Every document without its text, in ingest order (what a list shows)."""
        sql = "select rowid, id, source, chars, metadata from documents where rowid > ?"
        for row in self._paged(sql, [], batch):
            yield decode(DocumentListing, row)

    def iter(self, batch: int = 256) -> Iterator[Document]:
        """Every document in ingest order, read in batches so memory stays flat."""
        sql = f"select rowid, {DOCUMENT} from documents where rowid > ?"
        for row in self._paged(sql, [], batch):
            yield document_of(row)


def _like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (escaped with a backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: How `find` tries a reference, most exact first.
_FIND_DOCUMENT: list[tuple[str, Any]] = [
    ("id = ?", lambda ref: [ref]),
    ("source = ?", lambda ref: [ref]),
    ("id like ? escape '\\'", lambda ref: [_like(ref) + "%"]),
    # a path's tail, or the start of the file name ("003" finds "seeds/003_f937....txt")
    ("source like ? escape '\\' or source like ? escape '\\' or source like ? escape '\\'",
     lambda ref: ["%/" + _like(ref), "%/" + _like(ref) + "%", _like(ref) + "%"]),
]  # fmt: skip
