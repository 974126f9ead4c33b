"""The conversation: one pipeline from a chat message to a cited, verified turn."""

from assistant.conversation.pipeline import Assistant, Turn, load_concordance

__all__ = ["Assistant", "Turn", "load_concordance"]
