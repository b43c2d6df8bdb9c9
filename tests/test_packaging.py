"""pyproject's explicit package list keeps step with the folders on disk."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from annotate.cli import COMMANDS

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
    # a folder of data files (templates) is a package too, or setuptools warns at set-up
    data_folders = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "annotate").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert data_folders <= listed, f"add to pyproject packages: {sorted(data_folders - listed)}"


@pytest.mark.slow
def test_set_up_prints_no_warnings(tmp_path: Path) -> None:
    """The package installs, as scripts/setup.sh installs it (today's pip, through
    scripts/quiet-pip), without a warning (it printed 45 lines of setuptools' when a
    folder of templates was not declared, and 11 of its editable-install notice)."""
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", str(python.parent.parent)], check=True)
    quiet = str(ROOT / "scripts" / "quiet-pip")
    for command in (["--upgrade", "pip"], ["--no-deps", "-e", str(ROOT)]):
        installed = subprocess.run(
            [quiet, str(python), "-m", "pip", "install", "-q", *command],
            capture_output=True, text=True, timeout=600, cwd=ROOT,
        )  # fmt: skip
        assert installed.returncode == 0, installed.stderr
        said = (installed.stdout + installed.stderr).lower()
        assert "warning" not in said and "editable installation" not in said, said


def _import_without(blocked: list[str], module: str) -> subprocess.CompletedProcess[str]:
    """Import `module` in a fresh interpreter where the `blocked` packages are missing."""
    code = (
        "import sys\n"
        + "".join(f"sys.modules[{name!r}] = None\n" for name in blocked)
        + f"import {module}\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_the_tool_and_its_test_helpers_import_without_dev_only_packages() -> None:
    dev_only = ["aiohttp", "playwright", "pandas", "datasets", "pytest"]
    commands = ", ".join(module for module, _ in COMMANDS.values())  # imported when they run
    for module in (f"annotate.cli, {commands}", "annotate.testing.gold_corpus",
                   "annotate.testing.browser"):  # fmt: skip
        result = _import_without(dev_only, module)
        assert result.returncode == 0, result.stderr
    server = _import_without(dev_only, "annotate.testing.llm_server")
    assert server.returncode != 0 and "pip install 'annotate[testing]'" in server.stderr


def test_every_imported_package_is_declared() -> None:
    """Third-party imports of the tool itself are dependencies (extras for test helpers)."""
    declared = " ".join(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
                        ["dependencies"]).lower()  # fmt: skip
    names = {"label_studio_sdk": "label-studio-sdk", "sqlite_utils": "sqlite-utils",
             "pydantic_core": "pydantic", "yaml": "pyyaml", "sklearn": "scikit-learn"}  # fmt: skip
    found = set()
    for path in (ROOT / "annotate").rglob("*.py"):
        if "testing" in path.parts:
            continue
        for module in _imported(path):  # parsed: a docstring line "from the ..." is no import
            if module not in sys.stdlib_module_names | {"annotate", "__future__"}:
                found.add(names.get(module, module))
    assert {name for name in found if name not in declared} == set()


def _imported(path: Path) -> set[str]:
    """The top-level names of the absolute imports in `path`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found
