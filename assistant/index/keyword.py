"""BM25 keyword index (bm25s) over Swedish tokens, persisted beside Chroma.

Row i of the BM25 matrix is passage i of the passage store; the vocabulary of
corpus words (for compound splitting and typo correction) and a table of the
Swedish word forms that lead to them (lemmas.json; loading the lemmatizer's whole
dictionary instead would add 0.7 s to every cold start) are saved with it.
"""

from __future__ import annotations

import json
import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.index.tokenize import (
    QueryUnit,
    lemma_table,
    lexicon_version,
    query_units,
    reference_tokens,
    stopwords,
    tokenize_document,
    words,
)
from assistant.types import ONLY_WHEN_ASKED, Passage

# Bump when the document-side tokenisation changes: ingest then rebuilds the index.
TOKENIZER_VERSION = 2


def index_text(p: Passage) -> str:
    """What the keyword index sees: the passage with its headings and label."""
    return "\n".join(x for x in (p.label, p.chapter_title, p.heading, p.text) if x)


def build_vocabulary(passages: list[Passage]) -> frozenset[str]:
    stop = stopwords()
    return frozenset(
        w for p in passages for w in words(index_text(p)) if len(w) >= 3 and not w.isdigit() and w not in stop
    )


class KeywordIndex:
    def __init__(self, bm25, vocabulary: frozenset[str], size: int, directory: Path | None = None):
        self.bm25 = bm25
        self.vocabulary = vocabulary
        self.size = size
        self.directory = directory
        self._stems: frozenset[str] | None = None
        self._lemmas: dict[str, str] | None = None
        self._lemmas_read = False
        # Retrieval, re-ranking and the answerer all read the same question.
        self.units = lru_cache(maxsize=256)(self._units)

    @classmethod
    def build(cls, passages: list[Passage]) -> KeywordIndex:
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
        (tmp / "lemmas.json").write_text(
            json.dumps({"tokenizer": TOKENIZER_VERSION, "lexicon": lexicon_version(),
                        "lemmas": lemma_table(self.stems)}, ensure_ascii=False),
            encoding="utf-8",
        )
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        import bm25s

        bm25 = bm25s.BM25.load(str(directory), show_progress=False)
        vocabulary = frozenset(json.loads((directory / "vocabulary.json").read_text(encoding="utf-8")))
        size = json.loads((directory / "size.json").read_text())["size"]
        return cls(bm25, vocabulary, size, directory)

    @staticmethod
    def is_current(directory: Path) -> bool:
        """Whether a saved index was built by this tokeniser and lexicon."""
        try:
            data = json.loads((directory / "lemmas.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return data.get("tokenizer") == TOKENIZER_VERSION and data.get("lexicon") == lexicon_version()

    @property
    def stems(self) -> frozenset[str]:
        """The stems (tokens) the index knows."""
        if self._stems is None:
            self._stems = frozenset(self.bm25.vocab_dict)
        return self._stems

    @property
    def lemmas(self) -> dict[str, str] | None:
        """The saved lemma table; None (use the lemmatizer itself) for an index
        saved before the table existed or with another lexicon."""
        if not self._lemmas_read and self.directory is not None:
            self._lemmas_read = True
            path = self.directory / "lemmas.json"
            if path.exists():
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("lexicon") == lexicon_version():
                    self._lemmas = data["lemmas"]
        return self._lemmas

    def _units(self, question: str) -> tuple[QueryUnit, ...]:
        """The question's words as this index reads them (query_units); memoised in `units`."""
        return tuple(query_units(question, self.vocabulary, self.stems, self.lemmas))

    def query_tokens(self, query: str) -> list[str]:
        known = self.bm25.vocab_dict
        tokens = [t for unit in self.units(query) for t in unit.tokens()] + reference_tokens(query)
        return [t for t in tokens if t in known]

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


# --- one index per search scope -----------------------------------------------------
# The passages searched by default (the law, the articles) and those searched only
# when asked (the inquiry: 2 million characters) get separate indexes, so that the
# inquiry changes neither the law's term statistics and lengths nor the vocabulary
# questions are read with.

SCOPES = {"bm25": lambda p: p.kind not in ONLY_WHEN_ASKED, "bm25-inquiry": lambda p: p.kind in ONLY_WHEN_ASKED}


def build_scopes(passages: list[Passage], index_dir: Path) -> None:
    for name, belongs in SCOPES.items():
        part = [p for p in passages if belongs(p)]
        directory = index_dir / name
        if not part:
            shutil.rmtree(directory, ignore_errors=True)
            continue
        index = KeywordIndex.build(part)
        index.save(directory)
        (directory / "ids.json").write_text(json.dumps([p.id for p in part]), encoding="utf-8")


BM25_FILES = ("ids.json", "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy")


def scopes_current(index_dir: Path) -> bool:
    """Every scope's keyword index is there, whole, and built by this tokeniser."""
    return all(KeywordIndex.is_current(index_dir / name) and all((index_dir / name / f).exists() for f in BM25_FILES)
               for name in SCOPES if (index_dir / name).exists()) and (index_dir / "bm25").exists()


class ScopedKeywordIndex:
    """The scopes' indexes as one: positions are the passage store's."""

    def __init__(self, parts: list[tuple[KeywordIndex, np.ndarray]]):
        self.parts = parts
        self.main = parts[0][0]  # the default scope's: its vocabulary reads the questions

    @classmethod
    def load(cls, index_dir: Path, store) -> ScopedKeywordIndex:
        position = {p.id: i for i, p in enumerate(store.passages)}
        parts = []
        for name in SCOPES:
            directory = index_dir / name
            if not directory.exists():
                continue
            index = KeywordIndex.load(directory)
            ids_path = directory / "ids.json"
            ids = json.loads(ids_path.read_text(encoding="utf-8")) if ids_path.exists() else \
                [p.id for p in store.passages]
            parts.append((index, np.array([position[i] for i in ids], dtype=np.int64)))
        return cls(parts)

    def search(self, query: str, k: int, mask: np.ndarray) -> list[tuple[int, float]]:
        found: list[tuple[int, float]] = []
        for index, positions in self.parts:
            part_mask = mask[positions]
            if part_mask.any():
                found += [(int(positions[i]), s) for i, s in index.search(query, k, part_mask)]
        return sorted(found, key=lambda x: -x[1])[:k]
