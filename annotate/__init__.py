"""annotate: LLM-assisted annotation and fact comparison of news.

The library is usable without the CLI::

    from annotate import Store, ingest_paths, make_provider, preannotate
    store = Store("annotate.db")
    ingest_paths(store, [Path("seeds")])
    summary = asyncio.run(preannotate(store, make_provider("rules")))

Names are imported lazily so that ``import annotate.schemas`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Store": "annotate.store",
    "ingest_paths": "annotate.ingest",
    "make_provider": "annotate.preannotate.providers",
    "preannotate": "annotate.preannotate.pipeline",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'annotate' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
