"""Pre-annotation providers: one module per backend, chosen by name."""

from __future__ import annotations

import os

from annotate.errors import ConfigurationError
from annotate.llm import EndpointSettings

from .base import EndpointFailed, ExtractionFailed, Provider, ProviderResult, Usage

PROVIDERS = ("rules", "openai")


def default_provider_name() -> str:
    """`openai` when an endpoint or key is configured, else the offline rules."""
    configured = os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY")
    return "openai" if configured else "rules"


def make_provider(
    name: str, settings: EndpointSettings | None = None, *, prompt: str | None = None
) -> Provider:
    """Build provider `name`; the rules need neither the endpoint's `settings` nor a `prompt`."""
    if name == "rules":
        from .rules import RulesProvider

        return RulesProvider()
    if name == "openai":
        from .openai_chat import OpenAIChatProvider

        return OpenAIChatProvider(settings, prompt=prompt)
    raise ConfigurationError(f"unknown provider {name!r}: choose one of {', '.join(PROVIDERS)}")


__all__ = [
    "PROVIDERS",
    "EndpointFailed",
    "ExtractionFailed",
    "Provider",
    "ProviderResult",
    "Usage",
    "default_provider_name",
    "make_provider",
]
