"""Ingest: files, folders and JSON Lines into the store, de-duplicated by content."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from annotate.store import Store

from .readers import Candidate, Rejection, Skipped, read_path


@dataclass
class IngestReport:
    """What one ingest did. New and known documents are counted, not listed: a feed of
    millions of lines is read line by line, and its report stays as small."""

    #: documents new to the store
    added: int = 0
    #: documents whose text the store already had
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    #: (source, invalid UTF-8 sequences replaced by U+FFFD) of documents kept with them
    replaced: list[tuple[str, int]] = field(default_factory=list)
    #: files of types ingest does not read, counted by suffix
    skipped: Counter[str] = field(default_factory=Counter)
    #: paths given that yielded no document at all (only skipped or rejected files, or none)
    empty: list[str] = field(default_factory=list)


ID_LENGTH = 16


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_id(text: str) -> str:
    """The first 16 hex digits of the content hash: short to type, unique in practice."""
    return content_hash(text)[:ID_LENGTH]


def ingest_paths(store: Store, paths: list[Path], *, replace_invalid: bool = False) -> IngestReport:
    """Add every valid document under `paths`; reject bad ones by name with a reason.

    Valid documents are committed one by one, so a rejection (or a crash) never
    loses the documents already read. With `replace_invalid`, bytes that are not
    UTF-8 become U+FFFD instead of rejecting their file (counted in the report).
    """
    report = IngestReport()
    for path in paths:
        found = False
        for item in read_path(path, replace_invalid=replace_invalid):
            if isinstance(item, Rejection):
                report.rejected.append(item)
            elif isinstance(item, Skipped):
                report.skipped[item.suffix] += 1
            else:
                found = True
                _add(store, item, report)
                if item.replaced:
                    report.replaced.append((item.source, item.replaced))
        if not found and path.exists():
            report.empty.append(str(path))
    return report


def _add(store: Store, candidate: Candidate, report: IngestReport) -> None:
    digest = content_hash(candidate.text)
    new = store.documents.add(
        digest[:ID_LENGTH], digest, candidate.text, candidate.source, candidate.metadata
    )
    if new:
        report.added += 1
    else:
        report.duplicates += 1


__all__ = ["IngestReport", "content_hash", "document_id", "ingest_paths"]
