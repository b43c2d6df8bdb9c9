"""The documentation keeps up with the code: every command has help text, a generated
entry in docs/commands.md that matches its --help, and a line in the README's index;
every page's links resolve and every command a page names exists."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.cli.reference import REGENERATE, anchor, commands, render

from .docs_pages import DOCS, ROOT, page, pages

COMMANDS = commands(app)
NAMES = [name for name, _ in COMMANDS]
GROUPS = {name for name, command in COMMANDS if hasattr(command, "list_commands")}
PAGES = pages()
PAGE_IDS = [str(path.relative_to(ROOT)) for path in PAGES]
FENCE = re.compile(r"^ {0,3}```.*?^ {0,3}```[^\n]*$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)\)")
#: `inline code` or ``inline code with a ` inside``.
INLINE = re.compile(r"(``?)(.+?)\1(?!`)", re.DOTALL)
#: `annotate COMMAND [SUBCOMMAND]`, after the global options that may come first; a
#: subcommand may be written as a choice (`annotate batch status|collect|cancel`).
MENTION = re.compile(
    r"(?<![\w.-])annotate((?: --debug| --db \S+)*) ([a-z][\w-]*)(?: ([a-z][\w|-]*))?"
)


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


# ---------------------------------------------------------------- the command reference


def test_the_command_reference_is_current() -> None:
    """docs/commands.md is each command's --help as it prints today."""
    assert page("docs/commands.md") == render(app), (
        f"docs/commands.md is out of date with the commands' --help: run `{REGENERATE}`"
    )


@pytest.mark.parametrize("name", NAMES)
def test_command_in_reference_and_readme_index(name: str) -> None:
    """Each command has its entry in the reference, and a line of the README links to it."""
    reference = page("docs/commands.md")
    assert f"\n## annotate {name}\n" in reference, f"`annotate {name}` not in docs/commands.md"
    assert anchor(name) in anchors(reference)
    index = page("README.md").split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    link = rf"\[`annotate {re.escape(name)}\b[^`]*`\]\(docs/commands\.md#{anchor(name)}\)"
    assert re.search(link, index), f"no line of the README's command index links `{name}`"


# ---------------------------------------------------------------- every page


def prose(text: str) -> str:
    """The text outside fenced code blocks (a link inside one is an example, not a link)."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """The anchor GitHub makes of a heading: lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor in a page (a repeated heading gets -1, -2, ... as on GitHub)."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", prose(text), re.MULTILINE):
        name, n = slug(heading), 0
        while (name if n == 0 else f"{name}-{n}") in found:
            n += 1
        found.add(name if n == 0 else f"{name}-{n}")
    return found


def code(text: str) -> list[str]:
    """The code of a page, piece by piece: its `inline code` (prose says "annotate" as a
    verb: "annotate also grounds"), and the commands of its fenced blocks: a line's start,
    or what follows `$ `, `&&` or `/` (`.venv/bin/annotate`), comments and output left out."""
    spans = [" ".join(span.split()) for _, span in INLINE.findall(prose(text))]
    lines = [
        line.split(" #", 1)[0]
        for block in FENCE.findall(text)
        for line in block.splitlines()
        if not line.lstrip().startswith("#")
    ]
    commands = [
        command.group(1)
        for line in lines
        for command in re.finditer(r"(?:^\s*|\$ |&& |/)(annotate\b.*?)(?=&&|$)", line)
    ]
    return spans + commands


def relative_links(path: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(prose(path.read_text(encoding="utf-8")))
        if not re.match(r"[a-z][a-z+.-]*:", target)  # http:, https:, mailto:
    ]


def test_every_page_is_read() -> None:
    """The pages checked below are the README and every page in docs/, which exist."""
    assert len(PAGES) >= 10 and all(path.exists() for path in PAGES)
    assert set(DOCS.glob("*.md")) <= set(PAGES)


@pytest.mark.parametrize("path", PAGES, ids=PAGE_IDS)
def test_every_relative_link_resolves(path: Path) -> None:
    """A link to a file (page or picture) finds it; a link to #anchor finds its heading."""
    broken = []
    for target in relative_links(path):
        file, _, fragment = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists():
            broken.append(f"{target}: no file {linked}")
        elif fragment and fragment not in anchors(linked.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading #{fragment} in {linked.name}")
    assert not broken, f"{path.name}: " + "; ".join(broken)


def test_every_page_and_picture_is_linked() -> None:
    """No orphan: each page in docs/ and each picture is reached by a link of some page."""
    linked = {
        (path.parent / target.partition("#")[0]).resolve()
        for path in PAGES
        for target in relative_links(path)
        if target.partition("#")[0]
    }
    orphans = [
        p.name for p in [*DOCS.glob("*.md"), *DOCS.glob("*.png")] if p.resolve() not in linked
    ]
    assert not orphans, f"not linked from any page: {orphans}"


@pytest.mark.parametrize("path", PAGES, ids=PAGE_IDS)
def test_every_command_a_page_names_exists(path: Path) -> None:
    """`annotate NAME` in a page's code is a command; under a group, a subcommand."""
    unknown = []
    pieces = code(path.read_text(encoding="utf-8"))
    for _, first, second in (found for piece in pieces for found in MENTION.findall(piece)):
        if first not in NAMES:
            unknown.append(first)
        elif first in GROUPS and second:
            unknown += [f"{first} {s}" for s in second.split("|") if f"{first} {s}" not in NAMES]
    assert not unknown, f"{path.name} names commands that do not exist: {sorted(set(unknown))}"


def test_mentions_are_found() -> None:
    """The pattern above finds the forms the pages use (else the test would pass on none)."""
    text = "Use `annotate --db x.db compare`, `annotate batch\nstatus|collect`, annotate also"
    text += " counts, `annotate.db`, `annotate: title`\n```bash\n.venv/bin/annotate push\n```"
    found = [mention for piece in code(text) for mention in MENTION.findall(piece)]
    assert [(first, second) for _, first, second in found] == [
        ("compare", ""),
        ("batch", "status|collect"),
        ("push", ""),
    ]
