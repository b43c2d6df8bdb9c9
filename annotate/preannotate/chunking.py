"""Split documents longer than the model's window into overlapping chunks.

Chunks end at a paragraph break where one is near, else a sentence end, else a
space, so that a quote is rarely cut in two; the overlap gives a quote cut at
one chunk's end a whole copy at the next chunk's start. Offsets stay relative
to the full text, and duplicates found twice in an overlap are merged after
grounding (`grounding.merge_annotations`).
"""

from __future__ import annotations

from .textrange import TextRange

#: Share of a chunk repeated at the start of the next one.
OVERLAP_RATIO = 0.15
_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")


def split_text(text: str, max_chars: int | None) -> list[TextRange]:
    """Cover `text` with chunks of at most `max_chars` that overlap by ~15%."""
    if max_chars is None or len(text) <= max_chars:
        return [TextRange(0, len(text))]
    if max_chars < 20:
        raise ValueError(f"max_chars={max_chars} is too small to split text sensibly")
    overlap = int(max_chars * OVERLAP_RATIO)
    chunks: list[TextRange] = []
    start = 0
    while True:
        end = _break_before(text, start, min(start + max_chars, len(text)))
        chunks.append(TextRange(start, end))
        if end >= len(text):
            return chunks
        start = max(_break_after(text, end - overlap, end), start + 1)


def split_chunk(chunk: TextRange, text: str) -> list[TextRange]:
    """Halve a chunk whose output did not fit (finish_reason=length)."""
    half = (chunk.end - chunk.start) // 2 + (chunk.end - chunk.start) // 8
    return [
        TextRange(c.start + chunk.start, c.end + chunk.start)
        for c in split_text(chunk.of(text), max(half, 20))
    ]


def _break_before(text: str, start: int, limit: int) -> int:
    """The best break in the last half of [start, limit): prefer paragraphs."""
    if limit >= len(text):
        return len(text)
    floor = start + (limit - start) // 2
    for sep in _BREAKS:
        at = text.rfind(sep, floor, limit)
        if at != -1:
            return at + len(sep)
    return limit


def _break_after(text: str, position: int, limit: int) -> int:
    """The first word start at or after `position` (before `limit`)."""
    at = text.find(" ", max(position, 0), limit)
    return position if at == -1 else at + 1
