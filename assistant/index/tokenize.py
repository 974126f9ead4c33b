"""Swedish tokenisation for keyword retrieval.

lower-case words -> stopwords removed -> Snowball Swedish stems, plus:
- legal references as single tokens: "20 kap. 2 §" -> "§k20p2" and "§k20",
  "1 a §" -> "§p1a", so references stay searchable;
- compound parts: "orosanmälan" -> "oro" + "anmälan" when both parts are words
  of the corpus (also with the linking -s), on both the index and the query side;
- on the query side only: domain abbreviations expanded (SoL, HVB, LVU, IVO ...)
  and unknown words corrected to a close corpus word (typos).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

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

# Domain abbreviations and everyday words staff type, mapped to the law's wording.
ABBREVIATIONS = {
    "sol": "socialtjänstlagen",
    "hvb": "hem för vård eller boende",
    "lvu": "vård av unga särskilda bestämmelser",
    "lvm": "vård av missbrukare LVM-hem",
    "lss": "stöd och service till vissa funktionshindrade",
    "ivo": "Inspektionen för vård och omsorg",
    "bbic": "utredning barns behov",
    "soc": "socialnämnden socialtjänsten",
    "socialen": "socialnämnden socialtjänsten",
    "sis": "Statens institutionsstyrelse särskilda ungdomshem",
    "säbo": "särskilt boende för äldre personer",
    "försörjningsstöd": "ekonomiskt bistånd försörjningsstöd",
    "fb": "förhandsbedömning",
    "biståndsbedömning": "behovsprövning bistånd",
    "behovsbedömning": "behovsprövning",
    "biståndsbeslut": "beslut om insatser bistånd",
    "orosanmälan": "anmälan om oro barn far illa",
    "orosanmälningar": "anmälan om oro barn far illa",
    "anmälningsplikt": "skyldiga att anmäla",
    "lex sarah": "missförhållanden rapportera",
    "ungdomar": "unga",
    "tonåring": "barn unga",
    "tjej": "barn",
    "kille": "barn",
    "flicka": "barn",
    "pojke": "barn",
    "mamma": "vårdnadshavare förälder",
    "pappa": "vårdnadshavare förälder",
    "mamman": "vårdnadshavare förälder",
    "pappan": "vårdnadshavare förälder",
    "föräldrar": "vårdnadshavare",
    "föräldrarna": "vårdnadshavare",
    "pensionär": "äldre personer",
    "pensionärer": "äldre personer",
    "jobba": "arbeta",
    "jobbar": "arbetar",
    "privat": "enskild verksamhet",
    "privata": "enskild verksamhet",
    "företag": "enskild verksamhet",
    "bolag": "enskild verksamhet",
    "anhörig": "närstående",
    "anhöriga": "närstående",
    "journal": "personakt dokumentation handlingar",
    "journalen": "personakt dokumentation handlingar",
    "placera": "vård utanför det egna hemmet",
    "placering": "vård utanför det egna hemmet",
    "placeras": "vård utanför det egna hemmet",
    "tvång": "utan samtycke",
    "frivilligt": "samtycke",
    "pengar": "ekonomiskt bistånd",
    "betala tillbaka": "återkrav återbetala",
    "kräva tillbaka": "återkrav återbetala",
    "missbrukare": "missbruk beroende",
    "alkohol": "missbruk beroende",
    "droger": "missbruk beroende",
    "deadline": "inom tid",
    "tidsfrist": "inom tid",
    "lämna ut": "uppgiftsskyldighet lämna uppgifter",
    "socialsekreterare": "personal handläggning",
    "handläggare": "personal handläggning",
}


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


def expand_query(text: str) -> str:
    lowered = text.lower()
    extra = []
    if re.search(r"\b\d{1,2}[- ]?åri(g|ng)", lowered):
        extra.append("barn unga")
    for abbr, expansion in ABBREVIATIONS.items():
        if re.search(rf"(?<![\wåäö]){re.escape(abbr)}(?![\wåäö])", lowered):
            extra.append(expansion)
    return text + (" " + " ".join(extra) if extra else "")


def tokenize_query(text: str, vocabulary: frozenset[str] | set[str] = frozenset()) -> list[str]:
    text = expand_query(text)
    stop = stopwords()
    ws = [w for w in words(text) if w not in stop and (len(w) > 1 or w.isdigit())]
    extra: list[str] = []
    if vocabulary:
        for w in ws:
            parts = split_compound(w, vocabulary)
            extra += parts
            if not parts and (fixed := correct_word(w, vocabulary)):
                extra.append(fixed)
    return stem_words(ws + extra) + reference_tokens(text)
