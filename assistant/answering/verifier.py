"""Check every sentence of a generated answer against the passages it cites.

A sentence is kept only if it cites at least one passage that was given to the
model (no number out of range), and is supported by it: enough of its content
words (Swedish stems, IDF-weighted) occur in the cited passage, its embedding is
close enough to the passage's, and every number or deadline in it occurs in the
passage. Unsupported sentences are removed (or marked "ej belagt i källorna").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from assistant.index.tokenize import tokenize_document
from assistant.parsing.text import sentence_spans

UNSUPPORTED_MARK = "(ej belagt i källorna)"
SUPPORT_THRESHOLD = 0.5  # combined support needed to keep a sentence
LEXICAL_WEIGHT = 0.75  # the rest is embedding similarity

_CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
NUMBER_WORDS = {
    "en": 1, "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "åtta": 8, "nio": 9, "tio": 10,
    "elva": 11, "tolv": 12, "tretton": 13, "fjorton": 14, "femton": 15, "sexton": 16, "sjutton": 17, "arton": 18,
    "nitton": 19, "tjugo": 20, "trettio": 30, "fyrtio": 40, "femtio": 50, "sextio": 60, "nittio": 90,
}
_UNITS = r"(?:dag|dagar|dagars|vecka|veckor|veckors|månad|månader|månaders|år|års|timmar|timme)"
_NUMBER_RE = re.compile(rf"\b(\d+|{'|'.join(k for k in NUMBER_WORDS if k not in ('en', 'ett'))})\b", re.I)
_DEADLINE_RE = re.compile(rf"\b(\d+|{'|'.join(NUMBER_WORDS)})\s+{_UNITS}\b", re.I)


def _value(token: str) -> int | None:
    token = token.lower()
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)


def numbers_in(text: str) -> set[int]:
    """Numbers written as digits or Swedish words, plus deadline amounts ("en vecka")."""
    values = {v for m in _NUMBER_RE.finditer(text) if (v := _value(m[1])) is not None}
    values |= {v for m in _DEADLINE_RE.finditer(text) if (v := _value(m[1])) is not None}
    return values


def _reference_numbers(text: str) -> set[int]:
    """Numbers that are part of legal references ("20 kap. 2 §", "(2001:453)"): not claims."""
    out = set()
    for m in re.finditer(r"(\d+)\s*(?:[a-z]\s*)?kap\.\s*(\d+)|(\d+)\s*(?:[a-z]\s*)?§|(\d{4}):(\d+)", text):
        out |= {int(g) for g in m.groups() if g}
    return out


@dataclass
class SentenceCheck:
    text: str  # the sentence as the model wrote it
    cited: list[int]
    supported: bool
    reason: str = ""  # why not, in Swedish
    support: float = 0.0
    best: int | None = None  # the cited passage that supports it best
    per_citation: dict[int, bool] = field(default_factory=dict)  # does each cited passage alone support it


@dataclass
class Verification:
    sentences: list[SentenceCheck] = field(default_factory=list)

    @property
    def kept(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.supported]

    @property
    def removed(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if not s.supported]

    @property
    def removed_share(self) -> float:
        return len(self.removed) / len(self.sentences) if self.sentences else 0.0

    def text(self, mode: str = "remove") -> str:
        parts = []
        for s in self.sentences:
            if s.supported:
                parts.append(s.text)
            elif mode == "mark":
                parts.append(f"{s.text} {UNSUPPORTED_MARK}")
        return " ".join(parts)


class Verifier:
    def __init__(self, keyword, embed=None, threshold: float = SUPPORT_THRESHOLD):
        """keyword: the KeywordIndex (vocabulary and IDF); embed: text -> unit vector, optional."""
        self.keyword = keyword
        self.embed = embed
        self.threshold = threshold
        vocab = keyword.bm25.vocab_dict
        import numpy as np

        df = np.diff(keyword.bm25.scores["indptr"])
        n = max(keyword.size, 1)
        self._idf = {t: math.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5)) for t, i in vocab.items() if i < len(df)}
        self._max_idf = math.log(1 + n)

    def _lexical(self, sentence: str, passage: str) -> float:
        stems = [t for t in dict.fromkeys(tokenize_document(sentence, self.keyword.vocabulary))
                 if not t.startswith("§") and not t.isdigit()]
        if not stems:
            return 0.0
        present = set(tokenize_document(passage, self.keyword.vocabulary))
        weight = {t: self._idf.get(t, self._max_idf) for t in stems}
        return sum(w for t, w in weight.items() if t in present) / sum(weight.values())

    def _dense(self, sentence: str, passage: str) -> float:
        if self.embed is None:
            return 0.0
        import numpy as np

        return float(np.dot(self.embed(sentence), self.embed(passage)))

    def check_sentence(self, sentence: str, passages: list[str]) -> SentenceCheck:
        cited = []
        for m in _CITE.finditer(sentence):
            cited += [int(x) for x in re.split(r"\s*[,;]\s*", m[1])]
        content = _CITE.sub("", sentence).strip()
        if not cited:
            return SentenceCheck(sentence, [], False, "saknar källhänvisning")
        bad = [n for n in cited if not 1 <= n <= len(passages)]
        if bad:
            return SentenceCheck(sentence, cited, False, f"hänvisar till källa som inte fanns: {', '.join(map(str, bad))}")
        if len(re.findall(r"\w+", content)) < 2:
            return SentenceCheck(sentence, cited, False, "innehåller inget påstående")
        claims = numbers_in(content) - _reference_numbers(content)
        best, best_score, reason = None, 0.0, "stöds inte av den citerade källan"
        per_citation: dict[int, bool] = {}
        for n in dict.fromkeys(cited):
            passage = passages[n - 1]
            lexical = self._lexical(content, passage)
            dense = self._dense(content, passage) if self.embed else lexical
            score = LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * max(0.0, (dense - 0.3) / 0.7 if self.embed else dense)
            missing = claims - numbers_in(passage)
            per_citation[n] = not missing and score >= self.threshold
            if missing:
                reason = f"siffran/tidsfristen {', '.join(map(str, sorted(missing)))} finns inte i källan"
                continue
            if score > best_score:
                best, best_score = n, score
        supported = best is not None and best_score >= self.threshold
        return SentenceCheck(sentence, cited, supported, "" if supported else reason, round(best_score, 3), best,
                             per_citation)

    def verify(self, answer_text: str, passages: list[str]) -> Verification:
        result = Verification()
        # "… dagar. [1] Nästa …" -> "… dagar [1]. Nästa …": a citation after the full stop
        # belongs to the sentence before it.
        text = re.sub(r"([.!?])\s*((?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+)", lambda m: f" {m[2].strip()}{m[1]} ", answer_text)
        text = re.sub(r"[ \t]+", " ", text).strip()
        spans = sentence_spans(text)
        # A citation written after the full stop ("… dagar. [1]") belongs to that sentence.
        merged: list[str] = []
        for a, b in spans:
            piece = text[a:b]
            if merged and re.fullmatch(r"(\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+[.]?", piece):
                merged[-1] += " " + piece
            else:
                merged.append(piece)
        for sentence in merged:
            result.sentences.append(self.check_sentence(sentence, passages))
        return result
