"""The errors a user can act on, one class per thing to fix.

Every failure the user (not a bug) can cause ends in an `AnnotateError` whose
message is one line that names what to fix. The CLI catches them in one place
(`annotate.cli`) and prints ``error: <message>`` with exit status 1; library
callers can catch the base class or the kind they care about.

This module sits at the bottom of the package: anything may import it and it
imports nothing from ``annotate``. Messages never carry secrets (API keys,
Label Studio tokens): whoever raises one redacts first.
"""

from __future__ import annotations


class AnnotateError(Exception):
    """Something the user can fix; the message says what."""


class ConfigurationError(AnnotateError):
    """A setting is missing or wrong: environment variable, option, config file."""


class InputError(AnnotateError):
    """What the user asked for does not exist or cannot be used (a document, a value)."""


class StoreError(AnnotateError):
    """The SQLite store cannot be opened, is locked, or was written by a newer annotate."""


class ProviderError(AnnotateError):
    """The LLM endpoint refuses the credentials or cannot be reached: the run cannot go on."""


class StudioError(AnnotateError):
    """Label Studio refused a request, failed, or holds something ambiguous."""


class NotFoundError(InputError, LookupError):
    """A document (or other named thing) does not exist; still a `LookupError` for callers."""


def one_line(message: str, limit: int = 500) -> str:
    """`message` on one line (newlines and runs of spaces collapsed), cut at `limit` chars."""
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
