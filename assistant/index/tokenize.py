"""Swedish tokenisation for keyword retrieval.

lower-case words -> stopwords removed -> Snowball Swedish stems, plus:
- legal references as single tokens: "20 kap. 2 §" -> "§k20p2" and "§k20",
  "1 a §" -> "§p1a", so references stay searchable;
- compound parts: "orosanmälan" -> "oro" + "anmälan" when both parts are words
  of the corpus (also with the linking -s), on both the index and the query side;
- on the query side only (query_units): abbreviations and everyday words
  expanded to the sources' words (lexicon.yaml), words of asking dropped,
  unknown words corrected to a close corpus word (typos) or stem variant,
  words typed without å, ä and ö respelled (restore_diacritics).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_WORD = re.compile(r"[a-zåäöéüæø]+|\d+")
_REF_FULL = re.compile(r"(\d+)\s*([a-z])?\s*kap\.?\s*(\d+)\s*([a-z])?\s*§", re.I)
_REF_CHAPTER = re.compile(r"(\d+)\s*([a-z])?\s*kap\b", re.I)
_REF_PARA = re.compile(r"(?<![\d.])(\d+)\s*([a-z])?\s*§", re.I)

EXTRA_STOPWORDS = {
    "ska", "skall", "får", "finns", "vad", "hur", "när", "vilka", "vilken", "vilket", "gäller",
    "enligt", "även", "samt", "dock", "kan", "inte", "eller", "också", "sig", "någon", "något",
    "andra", "annan", "annat", "ju", "väl", "typ", "alltså", "säger", "står", "mig", "vi", "jag",
    "man", "bör", "behöver", "måste", "om", "the", "lag", "lagen", "kap", "st", "p",
}

LEXICON_FILE = Path(__file__).with_name("lexicon.yaml")


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def lexicon() -> tuple[dict[str, str], frozenset[str]]:
    """The query-side lexicon: {word or phrase: the sources' words} and the
    question words that are never searched (see lexicon.yaml)."""
    import yaml

    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    synonyms = {str(k).lower(): str(v) for section in ("abbreviations", "everyday") for k, v in data[section].items()}
    return synonyms, frozenset(str(w).lower() for w in data["question_words"])


def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("swedish")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_SWEDISH

    return frozenset(STOPWORDS_SWEDISH) | EXTRA_STOPWORDS


_STEM = None


def stem_words(words: list[str]) -> list[str]:
    global _STEM
    if _STEM is None:
        _STEM = _stemmer()
    return _STEM.stemWords(words)


def reference_tokens(text: str) -> list[str]:
    tokens = []
    for m in _REF_FULL.finditer(text):
        ch = (m[1] + (m[2] or "")).lower()
        tokens += [f"§k{ch}p{(m[3] + (m[4] or '')).lower()}", f"§k{ch}"]
    for m in _REF_CHAPTER.finditer(text):
        tokens.append(f"§k{(m[1] + (m[2] or '')).lower()}")
    return tokens


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def split_compound(word: str, vocabulary: frozenset[str] | set[str]) -> list[str]:
    """Two-part split of a Swedish compound into corpus words, or []."""
    if len(word) < 7:
        return []
    best: list[str] = []
    best_score = 0
    for i in range(3, len(word) - 2):
        left, right = word[:i], word[i:]
        if right not in vocabulary:
            continue
        for candidate in (left, left[:-1] if left.endswith("s") else None):
            if candidate and len(candidate) >= 3 and candidate in vocabulary:
                score = min(len(candidate), len(right))
                if score > best_score:
                    best, best_score = [candidate, right], score
    return best


def tokenize_document(text: str, vocabulary: frozenset[str] | set[str] = frozenset()) -> list[str]:
    stop = stopwords()
    ws = [w for w in words(text) if w not in stop and (len(w) > 1 or w.isdigit())]
    extra: list[str] = []
    if vocabulary:
        for w in ws:
            extra += split_compound(w, vocabulary)
    return stem_words(ws + extra) + reference_tokens(text)


def correct_word(word: str, vocabulary: frozenset[str] | set[str]) -> str | None:
    """A close corpus word for an unknown query word (typo), or None."""
    if word in vocabulary or len(word) < 5 or word.isdigit():
        return None
    candidates = [v for v in vocabulary if v[:1] == word[:1] and abs(len(v) - len(word)) <= 2]
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.82)
    return match[0] if match else None


_FOLDABLE = {"a": "aåä", "o": "oö"}
MAX_FOLDED = 5  # words with more a/o than this are not tried (3^5 variants at most)
MIN_SWEDISH_ZIPF = 2.5  # wordfreq's Zipf scale: a word seen about 3 times per 10 million


@lru_cache(maxsize=1)
def _query_side_words() -> frozenset[str]:
    """Words the query side knows without the corpus: stopwords, words of asking, lexicon keys."""
    synonyms, question_words = lexicon()
    return stopwords() | question_words | frozenset(synonyms)


def restore_diacritics(word: str, vocabulary: frozenset[str] | set[str]) -> str | None:
    """The word a question typed without å, ä and ö stands for ("nar" -> "när",
    "arende" -> "ärende"): of the spellings with å/ä for a and ö for o that the
    corpus or the stopword list has, the most common in Swedish (wordfreq); else
    a common Swedish word ("tonaring" -> "tonåring") when the word as typed is
    not one. None for a known word, one with å/ä/ö already, or one with no such
    spelling."""
    import itertools

    from wordfreq import zipf_frequency

    stop = _query_side_words()
    if word in vocabulary or word in stop or re.search("[åäö]", word) or not word.isalpha():
        return None
    slots = [i for i, c in enumerate(word) if c in _FOLDABLE]
    if not slots or len(slots) > MAX_FOLDED:
        return None
    found = []
    for letters in itertools.product(*(_FOLDABLE[word[i]] for i in slots)):
        chars = list(word)
        for i, c in zip(slots, letters):
            chars[i] = c
        found.append("".join(chars))
    found.remove(word)
    known = [w for w in found if w in vocabulary or w in stop]
    if known:
        return max(known, key=lambda w: zipf_frequency(w, "sv"))
    if zipf_frequency(word, "sv") >= MIN_SWEDISH_ZIPF:
        return None  # a word as typed ("boende", "hand")
    common = [w for w in found if zipf_frequency(w, "sv") >= MIN_SWEDISH_ZIPF]
    return max(common, key=lambda w: zipf_frequency(w, "sv")) if common else None


def deep_split(word: str, vocabulary: frozenset[str] | set[str], depth: int = 3) -> list[str]:
    """Split a compound into up to `depth` corpus words ("barnavårdsutredning" ->
    "barn" + "vård" + "utredning"), preferring the fewest, longest parts; [] if none."""
    parts = split_compound(word, vocabulary)
    if parts or depth <= 2 or len(word) < 10:
        return parts or _head(word, vocabulary)
    best: list[str] = []
    for i in range(len(word) - 3, 2, -1):
        right = word[i:]
        if right not in vocabulary or len(right) < 3:
            continue
        left = word[:i]
        for candidate in (left, left[:-1] if left.endswith("s") else None):
            if candidate and len(candidate) >= 7:
                head = split_compound(candidate, vocabulary)
                if head and (not best or min(map(len, head + [right])) > min(map(len, best))):
                    best = head + [right]
    return best or _head(word, vocabulary)


def _head(word: str, vocabulary: frozenset[str] | set[str]) -> list[str]:
    """The longest corpus word that ends a compound whose first part is not a
    corpus word ("hemtjänstföretag" -> ... "företag" if known): in Swedish the
    last part carries the meaning."""
    if word in vocabulary:
        return []
    for i in range(3, len(word) - 4):
        if word[i:] in vocabulary:
            return [word[i:]]
    return []


def stem_variant(stem: str, stems: frozenset[str] | set[str]) -> str | None:
    """A corpus stem that differs from an unknown stem only in its ending, as the
    stemmer's forms of one word do ("föräld" for "förälder", "föräldr" for
    "föräldrar"), or None."""
    if len(stem) < 5 or stem in stems:
        return None
    for cut in range(0, 3):
        base = stem[: len(stem) - cut] if cut else stem
        if len(base) < 5:
            break
        found = sorted(v for v in stems if v.startswith(base) and 0 < len(v) - len(base) <= 2 and v != stem)
        if found:
            return found[0]
    return None


def _lexicon_head(word: str, vocabulary, synonyms: dict[str, str]) -> tuple[list[str], list[str]] | None:
    """A compound of a corpus word and a lexicon word ("hemtjänst" + "företag"):
    the corpus word as a part, the lexicon word's expansion; or None."""
    for i in range(len(word) - 3, 3, -1):
        left, right = word[:i], word[i:]
        if right in synonyms:
            for candidate in (left, left[:-1] if left.endswith("s") else None):
                if candidate and len(candidate) >= 4 and candidate in vocabulary:
                    return [candidate], _content_words(synonyms[right])
    return None


def lemmatize(word: str) -> str:
    """The dictionary form of a Swedish word ("åldrar" -> "ålder", "föräldrar" ->
    "förälder"), where the stemmer leaves forms of one word apart. Loads
    simplemma's whole Swedish dictionary (0.7 s): an index carries the part it
    needs instead (lemma_table)."""
    import simplemma

    return simplemma.lemmatize(word, lang="sv").lower()


@lru_cache(maxsize=1)
def lexicon_version() -> str:
    import hashlib

    return hashlib.sha256(LEXICON_FILE.read_bytes()).hexdigest()[:16]


def lemma_table(stems: frozenset[str] | set[str]) -> dict[str, str]:
    """{word form: dictionary form} for the Swedish forms whose stem the corpus
    lacks but whose dictionary form the corpus or the lexicon has: all that
    query_units asks of the lemmatizer, for a corpus with these stems."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    synonyms, question_words = lexicon()
    entries = [(f.lower(), lem.lower()) for f, lem in DefaultDictionaryFactory().get_dictionary("sv").items()
               if f.isalpha() and f.lower() != lem.lower()]
    form_stems = stem_words([f for f, _ in entries])
    lemma_stems = stem_words([lem for _, lem in entries])
    return {
        f: lem for (f, lem), fs, ls in zip(entries, form_stems, lemma_stems)
        if fs not in stems and (ls in stems or lem in synonyms or lem in question_words)
    }


_AGE = re.compile(r"^åri(g|ng)")


@dataclass(frozen=True)
class QueryUnit:
    """One word (or abbreviation phrase) of a question, with the stems that can
    stand for it in the sources."""

    surface: str
    stems: tuple[str, ...]  # its own stem, a typo fix, a stem variant: each a full match
    parts: tuple[str, ...] = ()  # compound parts: a match in proportion to the parts present
    expansion: tuple[str, ...] = ()  # the law's words for an abbreviation or everyday word

    def tokens(self) -> list[str]:
        return list(dict.fromkeys(self.stems + self.parts + self.expansion))

    def credit(self, present: set[str] | frozenset[str]) -> float:
        """How far a text with the stems `present` speaks of this word, 0..1."""
        if any(s in present for s in self.stems):
            return 1.0
        best = 0.0
        for group in (self.parts, self.expansion):
            if group:
                best = max(best, sum(s in present for s in group) / len(group))
        return best


def _content_words(text: str, drop: frozenset[str] = frozenset()) -> list[str]:
    stop = stopwords()
    return [w for w in words(text) if w not in stop and w not in drop and (len(w) > 1 or w.isdigit())]


def query_units(text: str, vocabulary: frozenset[str] | set[str] = frozenset(),
                stems: frozenset[str] | set[str] = frozenset(),
                lemmas: dict[str, str] | None = None) -> list[QueryUnit]:
    """The question's content words as units (see QueryUnit); `vocabulary` holds the
    corpus's words, `stems` its stems (both empty: no compound splits, typo fixes
    or variants)."""
    lowered = text.lower()
    if vocabulary:
        lowered = _WORD.sub(lambda m: restore_diacritics(m[0], vocabulary) or m[0], lowered)
    synonyms, question_words = lexicon()
    units: list[QueryUnit] = []
    for phrase, expansion in synonyms.items():  # multi-word phrases first, then removed
        if " " in phrase:
            pattern = rf"(?<![\wåäö]){re.escape(phrase)}(?![\wåäö])"
            if re.search(pattern, lowered):
                units.append(QueryUnit(phrase, (), (), tuple(stem_words(_content_words(expansion)))))
                lowered = re.sub(pattern, " ", lowered)
    for phrase in question_words:
        if " " in phrase:
            lowered = re.sub(rf"(?<![\wåäö]){re.escape(phrase)}(?![\wåäö])", " ", lowered)
    by_stem: dict[str, QueryUnit] = {}
    for w in _content_words(lowered, question_words):
        stem = stem_words([w])[0]
        if stem in by_stem:
            continue
        known = not stems or stem in stems
        if known or w.isdigit():
            lemma = w
        else:
            lemma = lemmas.get(w, w) if lemmas is not None else lemmatize(w)
        if lemma in question_words:
            continue
        full = [w, lemma]
        parts: list[str] = []
        expansion: list[str] = []
        if vocabulary and not w.isdigit():
            parts = deep_split(w, vocabulary)
            if w not in vocabulary and not parts and (fixed := correct_word(w, vocabulary)):
                full.append(fixed)
        full = stem_words(full)
        if not known and (variant := stem_variant(stem, stems)):
            full.append(variant)
        if w in synonyms or lemma in synonyms:
            expansion = _content_words(synonyms.get(w) or synonyms[lemma])
        elif not known and not parts and (split := _lexicon_head(w, vocabulary, synonyms)):
            parts, expansion = split  # "hemtjänstföretag": "hemtjänst" + the law's words for "företag"
        elif _AGE.match(w):
            expansion = ["barn", "unga"]
        by_stem[stem] = QueryUnit(w, tuple(dict.fromkeys(full)), tuple(dict.fromkeys(stem_words(parts))),
                                  tuple(dict.fromkeys(stem_words(expansion))))
    return units + list(by_stem.values())
