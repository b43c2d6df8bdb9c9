"""The documentation the tests hold to its word: the README and the pages in docs/.

A test that checks a promise of the documentation reads the page the promise lives
on through `page`, so that moving a passage means changing one path, not the test.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def page(path: str) -> str:
    """The text of a page, by its path from the repository root (``docs/real-models.md``)."""
    return (ROOT / path).read_text(encoding="utf-8")


def pages() -> list[Path]:
    """Every page: the README, then docs/*.md in name order."""
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
