"""How well a text covers the question: IDF-weighted share of the question's
content stems that occur in it. Used to rank sentences and to decide when the
sources do not answer (abstain)."""

from __future__ import annotations

import math
import re

from assistant.index.keyword import KeywordIndex
from assistant.index.tokenize import QueryUnit, tokenize_document
from assistant.parsing.text import sentence_spans

_TIME_QUESTION = re.compile(r"\b(hur lång|hur länge|när|senast|inom|tidsfrist|frist|deadline|dagar|veckor|månader|tid på sig)\b", re.I)
_TIME_TEXT = re.compile(
    r"\b(\d+|en|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|fjorton|trettio)\s+(dagar|dag|veckor|vecka|månader|månad|år)\b|\bgenast\b|\bskyndsamt\b|\bsenast\b",
    re.I,
)


UNKNOWN_WEIGHT = 1.0  # weight of a word the sources never use, relative to the rarest word
# An unknown word's weight also scales with how rare it is in general Swedish
# (wordfreq's Zipf scale): Zipf 3 or rarer counts fully, Zipf 5 ("fredag",
# "kolla") a fifth.
SPECIFICITY_COMMON = 5.0
SPECIFICITY_SPAN = 2.0
SPECIFICITY_FLOOR = 0.2


class QuestionTerms:
    """The question's words (QueryUnit) with their weights: the IDF of the rarest
    corpus stem that stands for the word; a word for which the sources have no
    stem at all (not its own, a part, a typo fix or an abbreviation's expansion)
    weighs heavily, because it is a sign that they do not answer."""

    def __init__(self, question: str, keyword: KeywordIndex):
        self.keyword = keyword
        self.question = question
        vocab = keyword.bm25.vocab_dict
        n = max(keyword.size, 1)
        df = _document_frequencies(keyword)
        max_idf = math.log(1 + n)

        def idf(stem: str) -> float:
            d = df.get(vocab[stem], 0)
            return math.log(1 + (n - d + 0.5) / (d + 0.5))

        self.units: list[QueryUnit] = []
        self.weights: list[float] = []
        self.known: list[bool] = []
        for unit in keyword.units(question):
            own = [s for s in unit.stems if s in vocab]
            other = [s for s in unit.parts + unit.expansion if s in vocab]
            if own:
                weight, known = max(idf(s) for s in own), True
            elif other:
                weight, known = max(idf(s) for s in other), True
            elif unit.surface.isdigit():
                continue  # a number the sources never use says nothing either way
            else:
                weight, known = UNKNOWN_WEIGHT * max_idf * specificity(unit.surface), False
            self.units.append(unit)
            self.weights.append(weight)
            self.known.append(known)
        self.total = sum(self.weights) or 1.0
        self.asks_time = bool(_TIME_QUESTION.search(question))

    @property
    def unknown_share(self) -> float:
        """Share of the question's weight carried by words the sources never use."""
        return sum(w for w, k in zip(self.weights, self.known) if not k) / self.total

    @property
    def unknown_words(self) -> list[str]:
        return [u.surface for u, k in zip(self.units, self.known) if not k]

    def coverage(self, tokens: set[str]) -> float:
        return sum(w * u.credit(tokens) for u, w in zip(self.units, self.weights)) / self.total


def specificity(word: str) -> float:
    """How much an unknown word says about the topic, from its frequency in
    general Swedish: an everyday word ("fredag", "granne") is likely part of a
    case description; a rare one ("vräkning", "omkostnadsersättning") names a
    topic the sources may not cover."""
    zipf = _zipf(word)
    return min(1.0, max(SPECIFICITY_FLOOR, (SPECIFICITY_COMMON - zipf) / SPECIFICITY_SPAN))


def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "sv")


def text_tokens(text: str, keyword: KeywordIndex) -> set[str]:
    return set(tokenize_document(text, keyword.vocabulary))


def passage_tokens(passage, keyword: KeywordIndex) -> set[str]:
    """The stems of a passage together with its headings."""
    return text_tokens(f"{passage.chapter_title} {passage.heading} {passage.text}", keyword)


def passage_coverage(terms: QuestionTerms, passage, keyword: KeywordIndex) -> float:
    """Coverage of the question by a passage together with its headings."""
    return terms.coverage(passage_tokens(passage, keyword))


_DEFINES = re.compile(r"\b(avses|menas|betyder|definieras)\b|\([a-zåäö]+\)", re.I)


def _defining_sentences(passage, keyword: KeywordIndex) -> list[set[str]]:
    """The tokens of each sentence of the passage that defines a word (cached on
    the keyword index: passages do not change while an index is open)."""
    cache = keyword.__dict__.setdefault("_defining_sentences", {})
    if passage.id not in cache:
        spans = sentence_spans(passage.text)
        cache[passage.id] = [text_tokens(passage.text[a:b], keyword) for a, b in spans
                             if _DEFINES.search(passage.text[a:b])]
    return cache[passage.id]


def definition_coverage(terms: QuestionTerms, passage, keyword: KeywordIndex) -> float:
    """Coverage of the question by the best sentence of the passage that defines
    a word ("Med barn avses i denna lag ...", "... (vistelsekommunen)"), 0 if none does."""
    return max((terms.coverage(tokens) for tokens in _defining_sentences(passage, keyword)), default=0.0)


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
