"""Course mode for trainers: topic modules, quizzes and handouts built from the sources."""

from __future__ import annotations


def module_passages(module, retriever, date=None):
    """The passages of a module's paragraphs, in the version in force on `date`."""
    return [p for label in module.paragraphs for p in retriever.lookup(label, date)]
