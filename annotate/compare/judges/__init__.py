"""Judges of candidate pairs: `rules` (offline, the default) and `openai` (any compatible API)."""

from .base import Judge, JudgeUsage, Pair, Unjudged, ground_values

__all__ = ["Judge", "JudgeUsage", "Pair", "Unjudged", "ground_values"]
