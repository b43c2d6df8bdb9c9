"""Read candidate documents from files, folders and JSON Lines.

Readers yield `Candidate`s or `Rejection`s and never raise on bad input: one
unreadable file must not cost the user the hundred good ones beside it. Each
rejection names the input and says what to do about it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TEXT_SUFFIXES = {".txt", ".md"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED = TEXT_SUFFIXES | JSONL_SUFFIXES
#: Optional per-folder metadata: a JSON list of {"file": NAME, ...fields}.
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Candidate:
    text: str
    source: str
    metadata: dict[str, Any] = field(default_factory=dict)
    #: invalid UTF-8 sequences replaced by U+FFFD (only with ``replace_invalid``)
    replaced: int = 0


@dataclass(frozen=True)
class Rejection:
    source: str
    reason: str


@dataclass(frozen=True)
class Skipped:
    """A file in a folder of a type ingest does not read (an .html page, a .pdf): named in
    the report by type, so a folder of them does not look like a folder of duplicates."""

    source: str
    suffix: str


def read_path(
    path: Path, *, replace_invalid: bool = False
) -> Iterator[Candidate | Rejection | Skipped]:
    """Everything under `path`, in a stable order (folders sorted by name).

    Bytes that are not UTF-8 reject their file, unless `replace_invalid`: then
    they become U+FFFD and the candidate counts them (for text with stray
    binary noise in it; a file in another encoding should be converted instead).
    """
    if path.is_dir():
        yield from _read_folder(path, replace_invalid)
    elif not path.exists():
        yield Rejection(str(path), "no such file or folder")
    elif path.suffix.lower() not in SUPPORTED:
        yield Rejection(str(path), f"unsupported type {path.suffix!r}: use .txt, .md or .jsonl")
    else:
        yield from _read_file(path, {}, replace_invalid)


def _read_folder(folder: Path, replace_invalid: bool) -> Iterator[Candidate | Rejection | Skipped]:
    manifest = _load_manifest(folder)
    if isinstance(manifest, Rejection):
        yield manifest
        manifest = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == MANIFEST_NAME or _hidden(path, folder):
            continue
        if path.suffix.lower() in SUPPORTED:
            yield from _read_file(path, manifest.get(path.name, {}), replace_invalid)
        else:
            yield Skipped(str(path), path.suffix.lower() or "(no suffix)")


def _hidden(path: Path, folder: Path) -> bool:
    """Dot files and folders (.git, .DS_Store) are housekeeping, not skipped input."""
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


def _load_manifest(folder: Path) -> dict[str, dict[str, Any]] | Rejection:
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        return {entry["file"]: {k: v for k, v in entry.items() if k != "file"} for entry in entries}
    except (ValueError, TypeError, KeyError) as exc:
        return Rejection(str(path), f"not a list of {{'file': ..., ...}} objects ({exc})")


def _read_file(
    path: Path, metadata: dict[str, Any], replace_invalid: bool
) -> Iterator[Candidate | Rejection]:
    if path.suffix.lower() in JSONL_SUFFIXES:
        yield from _read_jsonl(path, replace_invalid)
        return
    raw = path.read_bytes()
    decoded = decode_text(raw, replace_invalid)
    if not isinstance(decoded, str):
        yield Rejection(str(path), decoded.reason)
    elif not decoded.strip():
        yield Rejection(str(path), "empty file: nothing to annotate")
    else:
        replaced = decoded.count("\ufffd") - raw.count("\ufffd".encode()) if replace_invalid else 0
        yield Candidate(decoded, str(path), {"file": path.name, **metadata}, replaced)


def _read_jsonl(path: Path, replace_invalid: bool) -> Iterator[Candidate | Rejection]:
    """One record per line, read line by line: a large feed never sits in memory."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            yield from _jsonl_record(path, number, raw, replace_invalid)


def _jsonl_record(
    path: Path, number: int, raw: bytes, replace_invalid: bool
) -> Iterator[Candidate | Rejection]:
    where = f"{path}:{number}"
    line = decode_text(raw, replace_invalid)
    if not isinstance(line, str):
        yield Rejection(where, line.reason)
        return
    if line.strip():
        try:
            record = json.loads(line)
        except ValueError as exc:
            yield Rejection(where, f"not valid JSON ({exc.args[0]})")
            return
        yield _jsonl_candidate(path, number, record)


def _jsonl_candidate(path: Path, number: int, record: Any) -> Candidate | Rejection:
    where = f"{path}:{number}"
    text = record.get("text") if isinstance(record, dict) else None
    if not isinstance(text, str) or not text.strip():
        return Rejection(where, "no non-empty string field 'text'")
    extra = {k: v for k, v in record.items() if k != "text"}
    return Candidate(normalize_newlines(text), where, {"file": path.name, "line": number, **extra})


@dataclass(frozen=True)
class _Undecodable:
    reason: str


def decode_text(raw: bytes, replace_invalid: bool = False) -> str | _Undecodable:
    """UTF-8 text with a BOM stripped and newlines normalized, or why not."""
    if b"\x00" in raw:
        return _Undecodable("binary file (contains NUL bytes): give a text file")
    try:
        text = raw.decode("utf-8-sig", errors="replace" if replace_invalid else "strict")
    except UnicodeDecodeError as exc:
        return _Undecodable(
            f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}): "
            "convert it, e.g. `iconv -f latin1 -t utf-8`, or keep it with "
            "`--invalid-utf8 replace`"
        )
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    """CRLF and CR become LF, so offsets mean the same on every platform."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
