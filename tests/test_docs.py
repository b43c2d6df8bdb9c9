"""The documentation keeps up with the code: every command has help text, a generated
entry in docs/commands.md that matches its --help, and a line in the README's index;
every page's links resolve and every command a page names exists."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.cli.reference import REGENERATE, commands, render

from .docs_pages import page

README = page("README.md")
COMMANDS = commands(app)
NAMES = [name for name, _ in COMMANDS]


def test_there_are_commands() -> None:
    for expected in (
        "ingest",
        "preannotate",
        "tasks",
        "runs",
        "show",
        "push",
        "pull",
        "studio start",
    ):
        assert expected in NAMES


@pytest.mark.parametrize("name,command", COMMANDS, ids=NAMES)
def test_command_has_help(name: str, command: object) -> None:
    help_text = getattr(command, "help", None)
    assert help_text and len(help_text.strip()) > 20, name
    result = CliRunner().invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output


def test_the_command_reference_is_current() -> None:
    """docs/commands.md is each command's --help as it prints today."""
    expected = render(app)
    assert page("docs/commands.md") == expected, (
        f"docs/commands.md is out of date with the commands' --help: run `{REGENERATE}`"
    )


@pytest.mark.parametrize("name", NAMES)
def test_command_in_reference(name: str) -> None:
    assert f"\n## annotate {name}\n" in page("docs/commands.md"), f"`annotate {name}` not in docs"


@pytest.mark.parametrize("name", NAMES)
def test_command_in_readme(name: str) -> None:
    assert re.search(rf"annotate {re.escape(name)}\b", README), f"`annotate {name}` not in README"
