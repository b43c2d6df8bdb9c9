"""The command reference (docs/commands.md), rendered from each command's own ``--help``.

The help text lives once, beside each option in the code; this page is made from it so
that it cannot drift: ``tests/test_docs.py`` renders it again and fails when the page
differs. Regenerate it with::

    .venv/bin/python -m annotate.cli.reference > docs/commands.md

Help is rendered as a user sees it, by typer through rich, at a fixed width of
`WIDTH` columns with no colour, whatever the terminal or environment the command
runs in (so that the page is the same on every machine).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer.main
import typer.rich_utils
from typer.testing import CliRunner

WIDTH = 100
REGENERATE = ".venv/bin/python -m annotate.cli.reference > docs/commands.md"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: Variables that would change what --help prints (width, colour, defaults read from them).
_PREFIXES = ("ANNOTATE_", "OPENAI_", "LABEL_STUDIO_", "_TYPER_")
_COLOUR = ("FORCE_COLOR", "PY_COLORS", "CLICOLOR_FORCE", "GITHUB_ACTIONS", "TERMINAL_WIDTH")


def commands(app: typer.Typer) -> list[tuple[str, Any]]:
    """Every command and subcommand of `app`, with its full name, in the order of --help.

    Commands are typer's own click objects (typer vendors click), so a group is told by
    what it can do, not by its class.
    """
    root = typer.main.get_command(app)
    return list(_walk(root, ""))


def _walk(command: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if not hasattr(command, "list_commands"):
        return
    context = command.context_class(command)
    for name in command.list_commands(context):
        sub = command.get_command(context, name)
        if sub is None or sub.hidden:
            continue
        full = f"{prefix}{name}"
        yield full, sub
        yield from _walk(sub, full + " ")


def help_text(app: typer.Typer, name: str) -> str:
    """What ``annotate NAME --help`` prints, at `WIDTH` columns, without colour or
    trailing spaces (the top-level help for an empty name)."""
    runner = CliRunner(env=_environment())
    with _plain_rich():
        result = runner.invoke(app, [*name.split(), "--help"], prog_name="annotate")
    if result.exit_code != 0:
        raise RuntimeError(f"annotate {name} --help exited {result.exit_code}: {result.output}")
    lines = [line.rstrip() for line in _ANSI.sub("", result.output).splitlines()]
    return "\n".join(lines).strip("\n")


def _environment() -> dict[str, str | None]:
    """COLUMNS and a dumb terminal; every variable that could colour or change help unset."""
    unset: dict[str, str | None] = {
        key: None for key in os.environ if key.startswith(_PREFIXES) or key in _COLOUR
    }
    return {**unset, "COLUMNS": str(WIDTH), "LINES": "50", "TERM": "dumb", "NO_COLOR": "1"}


@contextmanager
def _plain_rich() -> Iterator[None]:
    """typer reads width and colour settings from the environment once, at import: fix
    them for the rendering and put them back afterwards."""
    fixed: dict[str, Any] = {"MAX_WIDTH": WIDTH, "FORCE_TERMINAL": False, "COLOR_SYSTEM": None}
    saved = {key: getattr(typer.rich_utils, key) for key in fixed}
    for key, value in fixed.items():
        setattr(typer.rich_utils, key, value)
    try:
        yield
    finally:
        for key, value in saved.items():
            setattr(typer.rich_utils, key, value)


def anchor(name: str) -> str:
    """The anchor GitHub gives the heading of command `name` (``annotate batch status``)."""
    return "annotate-" + name.replace(" ", "-") if name else "annotate"


def render(app: typer.Typer) -> str:
    """The whole page: an index, then each command's help under its own heading."""
    names = [name for name, _ in commands(app)]
    index = [f"- [`annotate {name}`](#{anchor(name)})" for name in names]
    sections = [_section(app, "")] + [_section(app, name) for name in names]
    header = [
        "# Command reference",
        "",
        "Every command's `--help`, as it prints at 100 columns. This page is generated: do not",
        "edit it by hand. After changing a command's options or help, regenerate it with",
        "",
        f"    {REGENERATE}",
        "",
        "(`tests/test_docs.py` fails while it is out of date). Every command also takes",
        "`--db PATH` and `--help`; errors and exit statuses are in [Reliability](reliability.md).",
        "",
        *index,
    ]
    return "\n".join(header) + "\n\n" + "\n\n".join(sections) + "\n"


def _section(app: typer.Typer, name: str) -> str:
    title = f"annotate {name}".strip()
    return f"## {title}\n\n```text\n{help_text(app, name)}\n```"


def main() -> None:
    """Print the page (UTF-8, whatever the locale: the help panels draw boxes)."""
    from annotate.cli import app

    sys.stdout.buffer.write(render(app).encode("utf-8"))


if __name__ == "__main__":
    main()
