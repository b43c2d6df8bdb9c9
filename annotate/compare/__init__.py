"""Fact comparison across documents: claims, actors, candidate pairs, verdicts, facts."""
