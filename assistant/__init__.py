"""Retrieval-augmented assistant for the Swedish Socialtjänstlag (SFS 2025:400)."""

__version__ = "0.1.0"
