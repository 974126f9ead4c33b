"""BM25 keyword index (bm25s) over Swedish tokens, persisted beside Chroma.

Row i of the BM25 matrix is passage i of the passage store; the vocabulary of
corpus words (for compound splitting and typo correction) is saved with it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from assistant.index.tokenize import stopwords, tokenize_document, tokenize_query, words
from assistant.types import Passage


def index_text(p: Passage) -> str:
    """What the keyword index sees: the passage with its headings and label."""
    return "\n".join(x for x in (p.label, p.chapter_title, p.heading, p.text) if x)


def build_vocabulary(passages: list[Passage]) -> frozenset[str]:
    stop = stopwords()
    return frozenset(
        w for p in passages for w in words(index_text(p)) if len(w) >= 3 and not w.isdigit() and w not in stop
    )


class KeywordIndex:
    def __init__(self, bm25, vocabulary: frozenset[str], size: int):
        self.bm25 = bm25
        self.vocabulary = vocabulary
        self.size = size
        self._stems: frozenset[str] | None = None

    @classmethod
    def build(cls, passages: list[Passage]) -> "KeywordIndex":
        import bm25s

        vocabulary = build_vocabulary(passages)
        corpus_tokens = [tokenize_document(index_text(p), vocabulary) or ["∅"] for p in passages]
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        bm25.index(corpus_tokens, show_progress=False)
        return cls(bm25, vocabulary, len(passages))

    def save(self, directory: Path) -> None:
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.bm25.save(str(tmp), show_progress=False)
        (tmp / "vocabulary.json").write_text(
            json.dumps(sorted(self.vocabulary), ensure_ascii=False), encoding="utf-8"
        )
        (tmp / "size.json").write_text(json.dumps({"size": self.size}))
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> "KeywordIndex":
        import bm25s

        bm25 = bm25s.BM25.load(str(directory), show_progress=False)
        vocabulary = frozenset(json.loads((directory / "vocabulary.json").read_text(encoding="utf-8")))
        size = json.loads((directory / "size.json").read_text())["size"]
        return cls(bm25, vocabulary, size)

    @property
    def stems(self) -> frozenset[str]:
        """The stems (tokens) the index knows."""
        if self._stems is None:
            self._stems = frozenset(self.bm25.vocab_dict)
        return self._stems

    def query_tokens(self, query: str) -> list[str]:
        known = self.bm25.vocab_dict
        return [t for t in tokenize_query(query, self.vocabulary, self.stems) if t in known]

    def scores(self, query: str) -> np.ndarray:
        tokens = self.query_tokens(query)
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return self.bm25.get_scores(tokens)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        scores = self.scores(query)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
