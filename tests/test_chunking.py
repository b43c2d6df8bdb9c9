from __future__ import annotations

from pathlib import Path

import pytest

from annotate.preannotate.chunking import split_chunk, split_text


def _check_cover(text: str, chunks: list, max_chars: int) -> None:
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for chunk in chunks:
        assert 0 < chunk.end - chunk.start <= max_chars
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.start < after.start < before.end  # overlapping, always advancing


def test_short_text_is_one_chunk() -> None:
    assert [(c.start, c.end) for c in split_text("short", 100)] == [(0, 5)]
    assert len(split_text("x" * 10_000, None)) == 1


@pytest.mark.parametrize("max_chars", [200, 500, 1000])
def test_seed_chunks_cover_and_overlap(seeds_dir: Path, max_chars: int) -> None:
    text = (seeds_dir / "002_dd1880603ed16906.txt").read_text()
    _check_cover(text, split_text(text, max_chars), max_chars)


def test_chunks_prefer_paragraph_breaks(seeds_dir: Path) -> None:
    text = (seeds_dir / "002_dd1880603ed16906.txt").read_text()
    for chunk in split_text(text, 800)[:-1]:
        assert text[chunk.end - 1] in "\n .", text[chunk.end - 10 : chunk.end]


def test_unbroken_text_still_splits() -> None:
    text = "x" * 1000
    _check_cover(text, split_text(text, 300), 300)


def test_split_chunk_halves_within_bounds(seeds_dir: Path) -> None:
    text = (seeds_dir / "002_dd1880603ed16906.txt").read_text()
    chunk = split_text(text, 1500)[1]
    parts = split_chunk(chunk, text)
    assert len(parts) >= 2
    assert parts[0].start == chunk.start and parts[-1].end == chunk.end
