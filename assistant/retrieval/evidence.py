"""How well a text covers the question: IDF-weighted share of the question's
content stems that occur in it. Used to rank sentences and to decide when the
sources do not answer (abstain)."""

from __future__ import annotations

import math
import re

from assistant.index.keyword import KeywordIndex
from assistant.index.tokenize import tokenize_document, tokenize_query

_TIME_QUESTION = re.compile(r"\b(hur lång|hur länge|när|senast|inom|tidsfrist|frist|deadline|dagar|veckor|månader|tid på sig)\b", re.I)
_TIME_TEXT = re.compile(
    r"\b(\d+|en|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|fjorton|trettio)\s+(dagar|dag|veckor|vecka|månader|månad|år)\b|\bgenast\b|\bskyndsamt\b|\bsenast\b",
    re.I,
)


UNKNOWN_WEIGHT = 1.0  # weight of a word the sources never use, relative to the rarest word


class QuestionTerms:
    """The question's stems with their weights (IDF; unknown words weigh heavily,
    because a word the sources never use is a sign they do not answer)."""

    def __init__(self, question: str, keyword: KeywordIndex):
        self.keyword = keyword
        self.question = question
        vocab = keyword.bm25.vocab_dict
        n = max(keyword.size, 1)
        tokens = dict.fromkeys(t for t in tokenize_query(question, keyword.vocabulary) if not t.startswith("§"))
        self.weights: dict[str, float] = {}
        self.known: set[str] = set()
        df = _document_frequencies(keyword)
        max_idf = math.log(1 + n)
        for t in tokens:
            if t in vocab:
                d = df.get(vocab[t], 0)
                self.weights[t] = math.log(1 + (n - d + 0.5) / (d + 0.5))
                self.known.add(t)
            elif not t.isdigit():
                self.weights[t] = UNKNOWN_WEIGHT * max_idf
        self.total = sum(self.weights.values()) or 1.0
        self.asks_time = bool(_TIME_QUESTION.search(question))

    @property
    def unknown_share(self) -> float:
        """Share of the question's weight carried by words the sources never use."""
        return sum(w for t, w in self.weights.items() if t not in self.known) / self.total

    def coverage(self, tokens: set[str]) -> float:
        return sum(w for t, w in self.weights.items() if t in tokens) / self.total


def text_tokens(text: str, keyword: KeywordIndex) -> set[str]:
    return set(tokenize_document(text, keyword.vocabulary))


def passage_coverage(terms: "QuestionTerms", passage, keyword: KeywordIndex) -> float:
    """Coverage of the question by a passage together with its headings."""
    return terms.coverage(text_tokens(f"{passage.chapter_title} {passage.heading} {passage.text}", keyword))


def mentions_time(text: str) -> bool:
    return bool(_TIME_TEXT.search(text))


_DF_CACHE: dict[int, dict[int, int]] = {}


def _document_frequencies(keyword: KeywordIndex) -> dict[int, int]:
    """Document frequency per token id, from the BM25 matrix (cached per index)."""
    key = id(keyword)
    if key not in _DF_CACHE:
        import numpy as np

        counts = np.diff(keyword.bm25.scores["indptr"])  # CSC: one column per token
        _DF_CACHE[key] = {i: int(c) for i, c in enumerate(counts)}
    return _DF_CACHE[key]
