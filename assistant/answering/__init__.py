"""Answering: build a cited answer from retrieved passages."""
