"""annotate: LLM-assisted annotation and fact comparison of news.

The library is usable without the CLI::

    from annotate import Store, ingest_paths, make_provider, preannotate
    store = Store("annotate.db")
    ingest_paths(store, [Path("seeds")])
    summary = asyncio.run(preannotate(store, make_provider("rules")))
"""

from annotate.ingest import ingest_paths
from annotate.preannotate.pipeline import preannotate
from annotate.preannotate.providers import make_provider
from annotate.store import Store

__all__ = ["Store", "ingest_paths", "make_provider", "preannotate"]
__version__ = "0.1.0"
