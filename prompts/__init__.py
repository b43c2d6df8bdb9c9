"""Prompt templates, versioned by content hash.

The prompt text lives in Markdown files beside this module so that it can be
read and edited without touching code. Its hash is recorded with every
prediction, and is part of the LLM cache key: editing the prompt invalidates
the cache exactly for the calls it affects.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources


@cache
def load_prompt(name: str = "extract") -> str:
    """Return the text of prompt `name` (``prompts/<name>.md``)."""
    return resources.files(__package__).joinpath(f"{name}.md").read_text(encoding="utf-8")


def prompt_version(name: str = "extract") -> str:
    """A short content hash of the prompt text."""
    return hashlib.sha256(load_prompt(name).encode()).hexdigest()[:12]
