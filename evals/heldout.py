"""A figure on an eval file that is also training data is measured with a bank
without that file: the adapter refitted and the neighbours without its questions.

    with held_out(retriever, "evals/wild.jsonl"):
        ...  # retrieval and answers as if wild.jsonl had never been trained on
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

_CACHE: dict[tuple[int, str], object] = {}


def training_writer(path: str | Path) -> str:
    return f"evals:{Path(path).stem}"


@contextmanager
def held_out(retriever, path: str | Path, assistant=None):
    """Swap the retriever's bank for one without the file's questions (when it
    has any), clear what was cached with the full bank, and restore it after."""
    full = getattr(retriever, "bank", None)
    writer = training_writer(path)
    if full is None or writer not in set(full.writers):
        yield False
        return
    key = (id(full), writer)
    if key not in _CACHE:
        _CACHE[key] = full.without(writer, retriever.search_vectors, retriever.store)

    def clear():
        retriever._ask_candidates.cache_clear()
        if assistant is not None and hasattr(assistant, "_cached_answer"):
            assistant._cached_answer.cache_clear()

    retriever._bank = _CACHE[key]
    clear()
    try:
        yield True
    finally:
        retriever._bank = full
        clear()
