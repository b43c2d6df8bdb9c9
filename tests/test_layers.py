"""The layers hold: no import runs back up, and no stage imports a stage beside it.

`cli/` -> `workflows/` -> the stages (`ingest/`, `preannotate/`, `studio/`,
`gold/`, `compare/`) -> `codec/`, `llm/`, `store/` -> `schemas/` and the bottom
modules. Read from the source with `ast` (imports inside functions count: a
lazy import is still a dependency); docs/architecture.md draws the same picture.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "annotate"
#: Packages of annotate kept at the repository's root (pyproject's package-dir).
MAPPED = {ROOT / "schemas": "annotate.schemas", ROOT / "prompts": "annotate.prompts"}
STAGES = ("ingest", "preannotate", "studio", "gold", "compare")
SHARED = ("codec", "llm", "store")
#: Each layer, top down, with the layers it may import (itself always allowed).
MAY_IMPORT: dict[str, set[str]] = {
    "cli": {"workflows", *STAGES, *SHARED, "schemas", "bottom"},
    "workflows": {*STAGES, *SHARED, "schemas", "bottom"},
    **{stage: {*SHARED, "schemas", "bottom"} for stage in STAGES},
    "codec": {"store", "schemas", "bottom"},
    "llm": {"schemas", "bottom"},
    "store": {"schemas", "bottom"},
    "schemas": {"bottom"},
    "bottom": {"bottom"},
}


def layer_of(module: str) -> str | None:
    """``annotate.gold.report`` -> ``gold``; top-level modules are the bottom layer."""
    parts = module.split(".")
    if parts[0] != "annotate" or len(parts) < 2:
        return None
    if parts[1] in MAY_IMPORT:
        return parts[1]
    if parts[1] in ("testing", "__main__"):
        return None  # tests' helpers and the entry point sit outside the layers
    return "bottom"


def module_of(path: Path) -> str:
    for folder, package in MAPPED.items():
        if path.is_relative_to(folder):
            return ".".join([package, *path.relative_to(folder).with_suffix("").parts])
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def imports_of(path: Path) -> list[str]:
    module = module_of(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append(base)
    return found


SOURCES = sorted(p for folder in (PACKAGE, *MAPPED) for p in folder.rglob("*.py")
                 if layer_of(module_of(p)) is not None)  # fmt: skip


def test_there_are_modules_in_every_layer() -> None:
    layers = {layer_of(module_of(p)) for p in SOURCES}
    assert layers == set(MAY_IMPORT)


@pytest.mark.parametrize("path", SOURCES, ids=[module_of(p) for p in SOURCES])
def test_no_import_runs_up_or_sideways(path: Path) -> None:
    own = layer_of(module_of(path))
    assert own is not None
    wrong = [name for name in imports_of(path)
             if (layer := layer_of(name)) is not None and layer != own
             and layer not in MAY_IMPORT[own]]  # fmt: skip
    assert not wrong, f"{path.relative_to(ROOT)} ({own}) imports {wrong}"
