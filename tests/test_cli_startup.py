"""`annotate` imports a command's module only when that command runs (issue 22).

Importing every command's module (openai, sqlite_utils, pyarrow, the gold report,
the comparison stage) cost each run about a second of CPU that most commands never
used. Imports are checked in a fresh interpreter: this one has loaded everything.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from annotate.cli import COMMANDS, app, load_command
from annotate.testing.llm_server import running_llm_server

from .conftest import ROOT

#: What no command needs before it is chosen (modules of commands, stages, heavy libraries).
HEAVY = ("annotate.gold", "annotate.compare", "annotate.preannotate", "annotate.workflows",
         "annotate.store", "annotate.llm", "openai", "pyarrow", "sqlite_utils",
         "pandas")  # fmt: skip


def loaded_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    """The annotate and heavy modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=ROOT, env=env)  # fmt: skip
    return json.loads(result.stdout.splitlines()[-1])


def invoking(args: list[str], shown: str) -> str:
    """Code that runs ``annotate ARGS`` in process and checks that it printed `shown`."""
    return ("from typer.testing import CliRunner\nfrom annotate.cli import app\n"
            f"result = CliRunner().invoke(app, {args!r})\n"
            f"assert result.exit_code == 0 and {shown!r} in result.output, "
            "result.output")  # fmt: skip


def unwanted(modules: list[str], allowed: tuple[str, ...] = ()) -> list[str]:
    """The command modules and `HEAVY` ones among `modules`, but for `allowed`."""
    commands = {module for module, _ in COMMANDS.values()}
    return [m for m in modules
            if (m in commands or m.split(".")[0] in HEAVY or m.startswith(HEAVY))
            and not m.startswith(allowed)]  # fmt: skip


def test_importing_the_cli_loads_no_command() -> None:
    assert unwanted(loaded_after("import annotate.cli")) == []


def test_the_command_listing_loads_no_command() -> None:
    assert unwanted(loaded_after(invoking(["--help"], "preannotate"))) == []


def test_a_command_loads_its_own_module_only() -> None:
    modules = loaded_after(invoking(["runs", "--help"], "--json"))
    assert "annotate.cli.runs" in modules
    others = [module for name, (module, _) in COMMANDS.items() if name != "runs"]
    assert [m for m in others if m in modules] == []
    assert [m for m in modules if m.startswith(("annotate.compare", "annotate.gold.report"))] == []
    assert "pyarrow" not in modules


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_listing_line_is_the_commands_own(name: str) -> None:
    """`COMMANDS` repeats each command's first paragraph of help: it must not drift."""
    command = load_command(name)
    assert command.name == name
    first = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
    assert COMMANDS[name][1] == first.strip()


def test_every_command_module_is_listed() -> None:
    """A module of cli/ with a ``register`` is a command: it must be in `COMMANDS`."""
    registering = {f"annotate.cli.{path.stem}" for path in (ROOT / "annotate" / "cli").glob("*.py")
                   if "\ndef register(" in path.read_text(encoding="utf-8")}  # fmt: skip
    assert registering == {module for module, _ in COMMANDS.values()}


def test_commands_in_the_order_of_the_listing() -> None:
    group = typer.main.get_group(app)
    context = group.context_class(group)
    assert group.list_commands(context) == list(COMMANDS)
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    positions = [result.output.index(f" {name} ") for name in COMMANDS]
    assert positions == sorted(positions)


def test_a_mistyped_command_is_still_suggested() -> None:
    result = CliRunner().invoke(app, ["preanotate"])
    assert result.exit_code == 2
    assert "Did you mean 'preannotate'?" in result.output


def test_the_store_imports_sqlite_utils_without_pandas_or_numpy(tmp_path: Path) -> None:
    """sqlite-utils imports them only to type columns made from their values, which the store
    never asks it to (annotate/store/_sqlite_utils.py): hidden during that one import."""
    db = tmp_path / "new.db"
    modules = loaded_after(f"from annotate.store import Store\nStore({str(db)!r}).close()")
    assert "sqlite_utils.db" in modules, "a new store's migrations are made by sqlite-utils"
    assert [m for m in modules if m.split(".")[0] in ("numpy", "pandas")] == []


def test_a_store_already_up_to_date_opens_without_sqlite_utils(tmp_path: Path) -> None:
    """Only a pending migration needs sqlite-utils (with click, dateutil, pluggy, tabulate:
    35 ms of each start, issue 22); opening a store whose migrations are applied loads none."""
    db = tmp_path / "store.db"
    loaded_after(f"from annotate.store import Store\nStore({str(db)!r}).close()")
    modules = loaded_after(f"from annotate.store import Store\nStore({str(db)!r}).close()")
    assert "annotate.store.database" in modules
    assert [m for m in modules if m.split(".")[0] in ("sqlite_utils", "click", "dateutil")] == []


def test_numpy_imported_first_is_not_hidden_from_sqlite_utils() -> None:
    code = ("import numpy\nfrom annotate.store import Store\nStore(':memory:').close()\n"
            "from sqlite_utils.db import COLUMN_TYPE_MAPPING\n"
            "assert COLUMN_TYPE_MAPPING[numpy.int64] == 'INTEGER'")  # fmt: skip
    assert "numpy" in loaded_after(code)


def test_a_run_of_the_rules_loads_no_sdk(tmp_path: Path) -> None:
    """`--provider rules` calls no endpoint: the openai SDK (0.44 CPU s of a start on the
    development machine), httpx and numpy stay unloaded (annotate/llm imports them where used)."""
    db = str(tmp_path / "rules.db")
    ingest = invoking(["ingest", str(ROOT / "seeds"), "--db", db], "ingested 5 new")
    run = invoking(["preannotate", "--provider", "rules", "--db", db], "5 predicted")
    modules = loaded_after(f"{ingest}\n{run}")
    assert "annotate.preannotate.pipeline" in modules
    assert [m for m in modules if m.split(".")[0] in ("openai", "httpx", "numpy", "pandas")] == []


#: What only some runs of `annotate preannotate` use: fuzzy quotes (rapidfuzz), the batch
#: route (``--batch``), the comparison stage's repositories and verdict schema.
ONLY_SOME_RUNS = ("rapidfuzz", "annotate.preannotate.batch", "annotate.llm.batch_client",
                  "annotate.schemas.compare", "annotate.store.comparisons",
                  "annotate.store.verification", "annotate.store.reviews")  # fmt: skip


def test_an_online_run_loads_only_what_it_uses(tmp_path: Path) -> None:
    """A job against an endpoint, then the same job again with nothing to send (issue 22:
    each module above cost every start 4-14 ms of CPU); their own runs import them."""
    db = str(tmp_path / "online.db")
    ingest = invoking(["ingest", str(ROOT / "seeds"), "--db", db], "ingested 5 new")
    args = ["preannotate", "--provider", "openai", "--model", "m", "--db", db]
    with running_llm_server() as server:
        env = dict(os.environ, OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="x")
        modules = loaded_after(f"{ingest}\n{invoking(args, '5 predicted')}\n"
                               f"{invoking(args, '0 predicted')}", env)  # fmt: skip
    assert "annotate.preannotate.grounding" in modules and "openai" in modules
    assert [m for m in modules if m.startswith(ONLY_SOME_RUNS)] == []
    ingested = invoking(["ingest", str(ROOT / "seeds"), "--db", db], "0 new")
    assert "sqlite_utils" not in loaded_after(ingested), "the store's migrations are applied"
