"""Writing output folders so that a reader never finds one half written.

Exports and comparisons are folders of files that belong together (a manifest
and the files it lists; facts and the pairs they were made of). Each is
written under a hidden name beside its place and renamed into it when
complete, so a killed run leaves the previous complete folder, or none.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh folder beside `out` that replaces `out` when the block ends without error.

    The swap is two renames (the old folder aside, the new one in), so `out` is
    at any moment either the old folder, the new one, or briefly absent; never
    a mix. What a killed run left under the hidden names is cleared first.
    """
    out = out.resolve()
    partial, old = (out.parent / f".{out.name}.{what}" for what in ("partial", "old"))
    for leftover in (partial, old):
        shutil.rmtree(leftover, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if out.exists():
        out.rename(old)
    partial.rename(out)
    shutil.rmtree(old, ignore_errors=True)
