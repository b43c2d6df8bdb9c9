"""pyproject's explicit package list keeps step with the folders on disk."""

from __future__ import annotations

import tomllib

from .conftest import ROOT


def test_every_package_folder_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "annotate").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add to pyproject packages: {sorted(on_disk - listed)}"
    assert {"annotate.schemas", "annotate.prompts"} <= listed
