"""Every CLI command has help text and is documented in the README."""

from __future__ import annotations

import re

import click
import pytest
import typer.main
from typer.testing import CliRunner

from annotate.cli import app

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        found.append((full, command))
        if hasattr(command, "commands"):  # a group (typer's own, not always click's class)
            found.extend(_commands(command, full + " "))  # type: ignore[arg-type]
    return found


COMMANDS = _commands(typer.main.get_command(app))  # type: ignore[arg-type]


def test_there_are_commands() -> None:
    names = [name for name, _ in COMMANDS]
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
        assert expected in names


@pytest.mark.parametrize("name,command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_has_help(name: str, command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 20, name
    result = CliRunner().invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_command_in_readme(name: str) -> None:
    assert re.search(rf"annotate {re.escape(name)}\b", README), f"`annotate {name}` not in README"
