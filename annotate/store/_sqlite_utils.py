"""Import sqlite-utils without pandas or numpy: a third of a CPU second off the import.

sqlite-utils imports pandas and numpy, when they are installed, only to map
``pandas.Timestamp`` to TEXT and numpy's scalar types to INTEGER or REAL when it makes
columns from Python values. The store makes its tables in migrations from plain Python
types and never hands pandas or numpy values to sqlite-utils, yet a command that loaded it
paid for both imports (pandas 0.25 CPU s of a 1.2 s start on the development machine;
numpy 0.1 s more). The store loads sqlite-utils only for a pending migration
(`StoreConnection.sqlite_utils`). A module that needs pandas or numpy imports it as
usual: they are hidden during this one import only.
"""

from __future__ import annotations

import sys

#: What sqlite-utils imports only to type columns made from their values.
HIDDEN = ("pandas", "numpy")


def import_without_pandas() -> None:
    """Import sqlite-utils with ``import pandas`` and ``import numpy`` failing meanwhile.

    One imported already is not hidden: sqlite-utils then maps its types as usual.
    """
    if "sqlite_utils" in sys.modules:
        return
    hidden = [name for name in HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import NAME: ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]

