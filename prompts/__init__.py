"""Prompt templates, versioned by content hash.

The prompt text lives in Markdown files beside this module so that it can be
read and edited without touching code. Its hash is recorded with every
prediction, and is part of the LLM cache key: editing the prompt invalidates
the cache exactly for the calls it affects.

Prompts other than the default (``extract``) live here too, one ``.md`` file
each; `read_prompt` finds one by name or reads any file, and its version is
the hash of its text, as the default's is (the same text, the same version).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path

from annotate.errors import InputError


@cache
def load_prompt(name: str = "extract") -> str:
    """Return the text of prompt `name` (``prompts/<name>.md``)."""
    return resources.files(__package__).joinpath(f"{name}.md").read_text(encoding="utf-8")


def prompt_version(name: str = "extract") -> str:
    """A short content hash of the prompt text."""
    return prompt_hash(load_prompt(name))


def prompt_hash(text: str) -> str:
    """The version of a prompt's text: a short hash of its content."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def read_prompt(ref: str | Path) -> tuple[str, str]:
    """A prompt's name and text: `ref` is a file, or the name of one in ``prompts/``.

    The name is the file's stem (``prompts/terse.md`` and ``terse`` are both
    ``terse``). A missing or empty file is an `InputError`.
    """
    path = Path(ref)
    if not path.is_file():
        bundled = resources.files(__package__).joinpath(path.name)
        bundled_md = resources.files(__package__).joinpath(f"{path.name}.md")
        found = next((p for p in (bundled_md, bundled) if p.is_file()), None)
        if found is None or path.name == "__init__.py":
            raise InputError(f"no prompt file {str(ref)!r} (a path, or a name in prompts/)")
        text = found.read_text(encoding="utf-8")
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read prompt file {str(ref)!r}: {exc}") from exc
    if not text.strip():
        raise InputError(f"prompt file {str(ref)!r} is empty")
    return (path.stem if path.suffix == ".md" else path.name), text
