"""Follow-up questions: a message that lacks a topic of its own ("och för
äldre?", "vad stod i gamla lagen?", "gäller det även LVU?") is read together with
the previous question; a question with its own topic stands alone, whatever its
length or first word.

The detector reads the message with these tests from Swedish grammar:

0. an explicit change of topic set off at the start ("Då en annan sak: …", "Ny
   fråga – …", "apropå något annat, …") makes the message stand alone;
1. unresolved anaphora: a pronoun or pro-adverb (hen, det, den, dessa, där, då,
   i så fall, ändå, samma, motsvarande, båda, clause-final "också", …) with no
   antecedent earlier in the message. Forward-pointing "det" is not anaphoric:
   extraposition in subject position ("vad innebär det att …", "går det att …",
   not the object in "uppfylla det utan att …"), existential "finns det/står det
   något …", "det här med …", and a statement opening with "Det" that introduces
   its own content ("Det har kommit en orosanmälan …"). A topic put first, before
   the question word, is an antecedent (left dislocation: "samarbetssamtal vad är
   det"), and "samma" comparing things the message names ("samma regler för
   familjehem och jourhem") needs none;
2. ellipsis: a fragment that only changes a parameter of the previous question,
   i.e. one opening with a conjunction, preposition, subordinator or focus adverb
   and containing no main clause ("och för äldre?", "även om hen är 16?",
   "varför inte bosättningskommunen?"), and a requirement or existence question
   with no domain ("finns det en åldersgräns?", "krävs tillstånd?");
3. an added condition: "(och/men) om …" or "(och) efter att …" whose subject is a
   definite noun for an entity of the previous question ("och om beslutet bara
   delvis …" after "beslut om avslag", "om personen också har …" after "en
   person") continues the previous case; a condition with a new subject ("Och om
   en orosanmälan gäller ett ofött barn, …") opens a new scenario;
4. no own topic: no informative content word of its own ("kan du ge en lista?",
   "vad är lagrummet?"). A word is informative when it is rare in general Swedish
   (wordfreq's Zipf frequency below TOPIC_ZIPF, chosen by 5-fold
   cross-validation over the development sets) or one of the lexicon's
   abbreviations. Words that point back to the previous question by another form
   of one of its words (bridging: "beslutet" after "beslut", "rapportera" after
   "rapportering", "överklagandet" after "överklagas") are not the message's own
   topic; a word repeated in the same form, or an abbreviation, names its topic
   anew ("Tillstånd för HVB?" after "… för HVB för barn?").

Word lists here hold closed-class words, discourse markers and meta nouns only
(lagrum, paragraf, källa, exempel, lista, …). A message naming a paragraph
("20 kap. 2 §") stands alone unless it compares with something unnamed ("fanns
det något motsvarande i 4 kap. 1 §?").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.retrieval.references import find_references

# A word rarer than TOPIC_ZIPF in general Swedish is a topic (chosen by 5-fold
# cross-validation: python -m evals.followup_eval), and so are TOPIC_WORDS content
# words together, a clause's worth ("Om ett barn far illa, vem ska anmäla?").
TOPIC_ZIPF = 4.6
TOPIC_WORDS = 3

# --- closed-class words ------------------------------------------------------
QUESTION_WORDS = frozenset("vad vem vems vilka vilken vilket hur när var vart varför".split())
CONJUNCTIONS = frozenset("och men samt eller fast plus".split())
SUBORDINATORS = frozenset("om ifall när medan eftersom innan trots tills".split())
FOCUS_ADVERBS = frozenset("även också bara inte heller dessutom ens endast enbart just".split())
PREPOSITIONS = frozenset(
    "för i på till med av från om vid under efter utan enligt hos mot inom utanför över bland genom åt "
    "jämfört före bakom mellan trots angående gällande beträffande kring runt sedan".split())
DISCOURSE = frozenset("hm hmm mm okej ok alltså jaha aha ja nej tack så jo precis juste".split())
# Auxiliaries, the copula and the light verbs of asking: a clause starts with one.
LIGHT_VERBS = frozenset(
    "är var vara varit blir bli blev har hade ha kan kunna kunde får fick ska skall skulle måste bör borde "
    "vill kommer gäller gällde gälla finns fanns står stod krävs krävdes behövs behöver händer hände "
    "innebär innebar betyder menas avses säger sa sägs gör gjorde göra går gick räknas stämmer ingår "
    "brukar funkar fungerar ge ger gav".split())
EXISTENTIAL_VERBS = frozenset(
    "finns fanns står stod krävs krävdes behövs förekommer saknas kommer kom ingår uppstår".split())
ARTICLES = frozenset("en ett".split())
SUBJECT_PRONOUNS = frozenset("det den de dom hen han hon man vi jag du ni detta dessa denna".split())
PERSONAL_ANAPHORS = frozenset("hen han hon henne honom hens hans hennes dem deras".split())
DEFINITE_PRONOUNS = frozenset("den de dom".split())
DEMONSTRATIVES = frozenset("detta denna dessa sådan sådant sådana dylik dylikt dylika".split())
COMPARATIVES = frozenset("samma motsvarande likadant likadan likadana liknande".split())
PRO_ADVERBS = frozenset("där dit därifrån därför ändå".split())  # "då" is handled apart
INDEFINITES = frozenset("en ett någon något några många flera inga ingen inget".split())
DUMMY_NOUNS = frozenset("sak saken saker grej grejen grejer fall fallet sätt".split())
# Words for the sources of the previous topic, and their qualifiers.
SOURCE_WORDS = frozenset(
    "lag lagen lagar lagarna lagstiftning lagstiftningen lagtext lagtexten förordning förordningen "
    "förarbete förarbeten förarbetena proposition propositionen prop paragraf paragrafen paragrafer "
    "paragraferna kapitel kapitlet kap sfs sol socialtjänstlag socialtjänstlagen källa källan källor "
    "källorna lagrum lagrummet lagrummen lagstöd lagstödet hänvisning hänvisningen referens referensen "
    "lydelse lydelsen stycke stycket punkt punkten bestämmelse bestämmelsen bestämmelser "
    "bestämmelserna regel regeln gamla nya nuvarande tidigare förra dagens gällande innan förut nu "
    "idag numera".split())
# Nouns that ask for a form of answer about the previous topic ("kan du ge en lista?").
REQUEST_WORDS = frozenset(
    "lista listan exempel exemplet sammanfattning förklaring förtydligande översikt konkret konkreta".split())
# Closed-class words that announce a new topic ("då en annan sak:", "ny fråga –").
SWITCH_NOUNS = frozenset("fråga frågor sak grej ämne spår".split())
SWITCH_ADJECTIVES = frozenset("annan annat andra ny nytt helt".split())
ADDITIVE_ADVERBS = frozenset("också".split())  # clause-final "too": "… en riskbedömning också"
OTHER_FUNCTION = frozenset(
    "jag vi man du ni mig oss dig er sig själv själva sin sitt sina min mitt mina vår vårt våra din ditt "
    "dina som att så än än ju väl nog kanske mer mest mycket lite alla allt allting varje annan annat "
    "andra någon något några ingen inget inga en ett här hur typ liksom alltid aldrig ofta redan "
    "fortfarande egentligen verkligen faktiskt också först sen sedan ännu igen gärna hel helt".split())
BOUNDARY_WORDS = frozenset("som att när eftersom sedan medan innan tills men".split())
QUANTIFIER_ANAPHORS = frozenset("båda bägge".split())
MODALS = frozenset("kan får ska skall måste bör vill behöver orkar vågar brukar".split())

_TOKEN = re.compile(r"\d+-?åring\w*|[a-zåäöéüæø]+(?:[:-][a-zåäöéüæø]+)*|\d+|[,;:–—(]|\s-\s|¶", re.I)
# A sentence that ends before another begins ("… pågår fortfarande. Vilken lag …"); not an
# abbreviation's point ("27 kap. att").
_SENTENCE_END = re.compile(r"\.(?=\s+[A-ZÅÄÖ])|[?!](?=\s+\S)")
_AGE_OR_NUMBER = re.compile(r"^\d|^\d*-?åring")
_WEAK_ADJECTIVE = re.compile(r"(a|e|es|as)$")


_CLOSED = (QUESTION_WORDS | CONJUNCTIONS | SUBORDINATORS | FOCUS_ADVERBS | PREPOSITIONS | DISCOURSE
           | LIGHT_VERBS | SUBJECT_PRONOUNS | PERSONAL_ANAPHORS | DEMONSTRATIVES | COMPARATIVES
           | PRO_ADVERBS | QUANTIFIER_ANAPHORS | MODALS | INDEFINITES | DUMMY_NOUNS | SOURCE_WORDS
           | REQUEST_WORDS | OTHER_FUNCTION | {"då"})


# --- lazily loaded resources -------------------------------------------------
@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    """The lexicon's abbreviations (HVB, SIP, lex Sarah, …): each one a topic."""
    import yaml

    from assistant.index.tokenize import LEXICON_FILE

    data = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    return frozenset(str(w).lower() for w in data["abbreviations"])


@lru_cache(maxsize=4096)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "sv")


@lru_cache(maxsize=1)
def _frequent_words() -> dict[tuple[str, int], list[str]]:
    """The 40 000 commonest Swedish words by first two letters and length, for
    typo fixes (typos rarely hit a word's first letters)."""
    from wordfreq import top_n_list

    buckets: dict[tuple[str, int], list[str]] = {}
    for w in top_n_list("sv", 40000):
        if w.isalpha():
            buckets.setdefault((w[:2], len(w)), []).append(w)
    return buckets


@lru_cache(maxsize=4096)
def _spelling(word: str) -> str:
    """A much more common word one typo away ("exmpel" -> "exempel"), or the word."""
    if len(word) < 4 or not word.isalpha() or _zipf(word) >= 2.5:
        return word
    buckets = _frequent_words()
    candidates = [c for n in (len(word) - 1, len(word), len(word) + 1) for c in buckets.get((word[:2], n), ())]
    for match in difflib.get_close_matches(word, candidates, n=3, cutoff=0.8):
        if _zipf(match) >= _zipf(word) + 1.5:
            return match
    return word


# --- analysis ------------------------------------------------------------------
@dataclass
class _Token:
    word: str
    segment: int  # index of the clause-like segment the word belongs to
    part: int  # index of the part between punctuation marks


def _tokens(message: str) -> list[_Token]:
    out: list[_Token] = []
    segment = part = 0
    for raw in _TOKEN.findall(_SENTENCE_END.sub(" ¶ ", message).lower()):
        if raw.strip() in {",", ";", ":", "–", "—", "(", "-", "¶"}:
            segment += 1
            part += 1
            continue
        word = _spelling(raw)
        if word in BOUNDARY_WORDS and out:
            segment += 1
        elif word in QUESTION_WORDS and out and out[-1].part == part and _is_content(out[-1].word):
            segment += 1  # left dislocation: "samarbetssamtal vad är det"
        out.append(_Token(word, segment, part))
    return out


def _is_content(word: str) -> bool:
    return word not in _CLOSED and not _AGE_OR_NUMBER.match(word) and len(word) > 1


def _is_topic(word: str, threshold: float) -> bool:
    """An informative content word: rare in general Swedish, or an abbreviation."""
    if word in _abbreviations():
        return True
    return _is_content(word) and _zipf(word) < threshold


def _antecedent_before(toks: list[_Token], i: int) -> bool:
    """Whether a content word in an earlier segment, or before the "och" that opens the
    pronoun's clause ("… en utredning i maj och den pågår"), can be the antecedent of toks[i]."""
    if i and toks[i - 1].word == "och":
        return any(_is_content(t.word) for t in toks[:i - 1])
    return any(_is_content(t.word) for t in toks if t.segment < toks[i].segment)


def _expletive_det(toks: list[_Token], i: int) -> bool:
    """Whether the "det" at i points forward (extraposition, existential,
    presentational, "det här med") rather than back."""
    words = [t.word for t in toks]
    rest = [t.word for t in toks[i + 1:] if t.part == toks[i].part]
    after = [w for w in rest if w not in FOCUS_ADVERBS]
    nxt = after[0] if after else ""
    prev = words[i - 1] if i else ""
    subject_position = prev not in PREPOSITIONS and not _is_content(prev)  # not "uppfylla det utan att"
    if subject_position and "att" in rest:  # "är det tillåtet att …", "går det inte att …"
        return True
    if nxt == "som" or rest[:2] in (["här", "med"], ["där", "med"]) or rest[:1] == ["med"]:
        return True
    if prev in EXISTENTIAL_VERBS and nxt and nxt not in PREPOSITIONS and nxt not in SUBORDINATORS:
        return True  # "finns det undantag", "står det något i lagen"
    fronted = any(_is_content(t.word) for t in toks[:i] if t.part == toks[i].part)
    if prev in EXISTENTIAL_VERBS and fronted:
        return True  # "vilka insatser finns det för unga"
    if rest[:1] and rest[0] in EXISTENTIAL_VERBS and len(after) > 1 and after[1] not in PREPOSITIONS:
        return True  # "om det finns anhöriga"
    starts_part = i == 0 or toks[i - 1].part != toks[i].part or prev in DISCOURSE
    if starts_part and any(w == "att" or w in INDEFINITES for w in rest[1:]):
        return True
    # determiner: "det nya kapitlet" (not a subject after its verb: "gäller det privata …")
    return bool(prev not in LIGHT_VERBS and nxt and _is_content(nxt) and _WEAK_ADJECTIVE.search(nxt)
                and len(after) > 1 and _is_content(after[1]))


def _unresolved_anaphor(toks: list[_Token]) -> bool:
    words = [t.word for t in toks]
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        prev = words[i - 1] if i else ""
        if prev in ARTICLES and w in SUBJECT_PRONOUNS:  # "en dom" (a judgment) is a noun, not "dem"
            continue
        if w in COMPARATIVES:
            pronominal = not _is_content(nxt) or nxt in DUMMY_NOUNS
            if "som" in words[i + 1:] or _coordinated_after(toks, i):
                continue
            if pronominal or not _antecedent_before(toks, i):
                return True
        elif w == "i" and nxt == "så" and i + 2 < len(words) and words[i + 2] == "fall":
            if not _antecedent_before(toks, i):
                return True
        elif w == "då" or w in PRO_ADVERBS:
            if not _antecedent_before(toks, i):
                return True
        elif w in PERSONAL_ANAPHORS:
            if not _antecedent_before(toks, i):
                return True
        elif w in QUANTIFIER_ANAPHORS:  # "båda föräldrarna" is a determiner, "måste båda …" a pronoun
            determiner = _is_content(nxt) and nxt.endswith(("na", "en", "et", "två", "de"))
            if not determiner and not _antecedent_before(toks, i):
                return True
        elif w in ADDITIVE_ADVERBS and i > 0 and (i + 1 == len(toks) or toks[i + 1].part != toks[i].part
                                                  or nxt in CONJUNCTIONS):
            # clause-final "också" adds to something said before, unless to a
            # coordination in its own clause ("hemtjänst och färdtjänst också")
            if not any(t.word == "och" for t in toks[:i] if t.segment == toks[i].segment):
                return True
        elif w in DEMONSTRATIVES:
            if not _antecedent_before(toks, i):
                return True
        elif w in DEFINITE_PRONOUNS:
            if nxt == "som":
                continue
            determiner = _is_content(nxt) and _WEAK_ADJECTIVE.search(nxt) and prev not in LIGHT_VERBS
            if not determiner and not _antecedent_before(toks, i):
                return True
        elif w in {"det", "de"}:
            if not _expletive_det(toks, i) and not _antecedent_before(toks, i):
                return True
    return _verb_ellipsis(toks)


def _coordinated_after(toks: list[_Token], i: int) -> bool:
    """Whether the comparative at i compares things named after it ("samma regler
    för familjehem och jourhem"): content words on both sides of a coordination."""
    words = [t.word for t in toks[i + 1:] if t.part == toks[i].part]
    for j, w in enumerate(words):
        if w in {"och", "respektive"} and 0 < j < len(words) - 1:
            if any(_is_content(x) for x in words[1:j]) and _is_content(words[j + 1]):
                return True
    return False


def _verb_ellipsis(toks: list[_Token]) -> bool:
    """A modal with its verb left out, as in "… när man inte behöver?" or "om
    brukaren inte vill?": the verb phrase is the previous question's."""
    parts: dict[int, list[str]] = {}
    for t in toks:
        parts.setdefault(t.part, []).append(t.word)
    for words in parts.values():
        core = [w for w in words if w not in FOCUS_ADVERBS and w not in {"då", "ändå", "nu"}]
        if len(core) >= 2 and core[-1] in MODALS and core[-2] not in QUESTION_WORDS:
            return True
    return False


def _starts_clause(words: list[str]) -> bool:
    """Whether a segment reads as a main clause: a question word, a finite verb
    first, or subject + verb."""
    words = [w for w in words if w not in DISCOURSE and w not in CONJUNCTIONS]
    if not words:
        return False
    first, second = words[0], words[1] if len(words) > 1 else ""
    if first in QUESTION_WORDS:
        return second not in FOCUS_ADVERBS and second != "då"
    if first in LIGHT_VERBS:
        return True
    if second in SUBJECT_PRONOUNS and _is_content(first):
        return True  # V1 question: "rapporteras det …", "ändras det …"
    return first in SUBJECT_PRONOUNS and second in LIGHT_VERBS


def _elliptic(toks: list[_Token]) -> bool:
    """A fragment opening with a conjunction, preposition, subordinator or focus
    adverb, with no main clause ("och för äldre?", "även om …?")."""
    words = [t.word for t in toks if t.word not in DISCOURSE]
    if not words:
        return False
    opener = words[0]
    rest = words[1:] if opener in CONJUNCTIONS else words
    if not rest:
        return True
    head = rest[0]
    if head in PREPOSITIONS and len(rest) > 1 and rest[1] in QUESTION_WORDS:
        return not _starts_clause(rest[1:])  # "för vilka gäller …?"
    if opener in QUESTION_WORDS or (opener in CONJUNCTIONS and head in QUESTION_WORDS):
        return not _starts_clause(rest)
    if not (opener in CONJUNCTIONS or head in PREPOSITIONS | SUBORDINATORS | FOCUS_ADVERBS):
        return False
    segments: dict[int, list[str]] = {}
    for t in toks:
        segments.setdefault(t.segment, []).append(t.word)
    ordered = [segments[k] for k in sorted(segments)]
    first = ordered[0]
    if opener in CONJUNCTIONS and _starts_clause(first) and rest[0] not in PREPOSITIONS | SUBORDINATORS | FOCUS_ADVERBS:
        return False
    return not any(_starts_clause(seg) for seg in ordered[1:])


def _topic_switch(toks: list[_Token]) -> bool:
    """An explicit change of topic in the opening part ("Då en annan sak: …", "Ny
    fråga –", "apropå något annat, …"): what follows stands alone. The marker
    must be set off from the question ("är det en annan sak om …?" is no switch)."""
    first = [t.word for t in toks if t.part == toks[0].part]
    if len(first) == len(toks):
        return False
    for j, w in enumerate(first):
        before = first[j - 1] if j else ""
        if w in SWITCH_NOUNS and before in SWITCH_ADJECTIVES:
            return True
        if w == "apropå" and first[j + 1:j + 3] in (["något", "annat"], ["en", "annan"]):
            return True
        if w == "byta" and first[j + 1:j + 2] == ["ämne"]:
            return True
    return False


# --- the previous question -----------------------------------------------------
_SUFFIXES = ("arna", "erna", "orna", "ens", "ets", "en", "et", "na", "n", "t")


@lru_cache(maxsize=8192)
def _base(word: str) -> str:
    """A crude stem that also drops the definite and plural endings Snowball keeps
    ("beloppet" -> "belopp", "brottet" -> "brott")."""
    from assistant.index.tokenize import stem_words

    stem = stem_words([word])[0]
    for suffix in _SUFFIXES:
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 4:
            return stem[: -len(suffix)]
    return stem


@dataclass(frozen=True)
class _Previous:
    words: frozenset[str]  # the previous question's word forms
    bases: frozenset[str]  # the bases of its content words and compound parts


_NO_PREVIOUS = _Previous(frozenset(), frozenset())


def _previous(previous: str | None) -> _Previous:
    if not previous:
        return _NO_PREVIOUS
    words = [t.word for t in _tokens(previous)]
    parts = [p for w in words for p in w.split("-") if len(p) > 2]
    return _Previous(frozenset(words), frozenset(_base(p) for p in parts if _is_content(p)))


def _bridges(word: str, previous: _Previous) -> bool:
    """Whether `word` points back to an entity of the previous question: another
    form of one of its words, or a compound of one ("beslutet" ~ "beslut",
    "rapportera" ~ "rapportering", "dottern" ~ "dotter"). A word repeated in the
    same form, or an abbreviation, names its topic again ("Tillstånd för HVB?")
    rather than pointing back."""
    if not previous.bases or not _is_content(word) or word in previous.words or word in _abbreviations():
        return False
    for part in word.split("-"):
        b = _base(part)
        for p in previous.bases:
            short, long_ = (b, p) if len(b) <= len(p) else (p, b)
            compound = long_.startswith(short) or (long_.endswith(short) and len(long_) - len(short) >= 3)
            if short == long_ or (len(short) >= 5 and compound):
                return True
    return False


def _definite(word: str) -> bool:
    """A definite noun form ("beslutet", "dottern", "föräldrarna"): ends in a
    definite suffix that the stem drops."""
    return (_is_content(word) and len(word) > 4 and word.endswith(("en", "et", "na", "rn", "ln"))
            and _base(word) != word)


def _added_condition(toks: list[_Token], previous: _Previous) -> bool:
    """A condition added to the previous case: "(och/men/även) om X …" or "(och)
    efter att X …" whose subject X is a definite noun for an entity of the previous
    question ("och om beslutet bara delvis …", "om personen också har …"). A
    condition with a new subject ("Och om en orosanmälan gäller …") opens a new
    scenario."""
    words = [t.word for t in toks if t.word not in DISCOURSE and t.word not in CONJUNCTIONS
             and t.word not in FOCUS_ADVERBS]
    if words[:2] == ["efter", "att"]:
        rest = words[2:]
    elif words and words[0] in SUBORDINATORS:
        rest = words[1:]
    else:
        return False
    subject = rest[0] if rest else ""
    return _definite(subject) and (subject in previous.words or _bridges(subject, previous))


def _domainless_existential(toks: list[_Token]) -> bool:
    """A requirement or existence question with no domain ("finns det en
    åldersgräns?", "krävs tillstånd?"): the domain is the previous question's."""
    words = [t.word for t in toks if t.word not in DISCOURSE]
    if not words or words[0] not in EXISTENTIAL_VERBS | {"gäller"} or len({t.part for t in toks}) > 1:
        return False
    rest = [w for w in words[1:] if w != "det" and w not in INDEFINITES and w not in FOCUS_ADVERBS]
    if not rest or len(rest) > 2 or any(w in PREPOSITIONS | SUBORDINATORS | BOUNDARY_WORDS for w in rest):
        return False
    return all(_is_content(w) for w in rest) and not any(w in _abbreviations() for w in rest)


def _has_topic(toks: list[_Token], threshold: float, min_words: int,
               previous: _Previous = _NO_PREVIOUS) -> bool:
    """Whether the message has a topic of its own; words for entities of the
    previous question ("beslutet" after "beslut om avslag") are not its own."""
    own = [t for t in toks if not _bridges(t.word, previous)]
    content = {t.word for t in own if _is_content(t.word)}
    text = f" {' '.join(t.word for t in toks)} "
    return (any(_is_topic(t.word, threshold) for t in own) or len(content) >= min_words
            or any(f" {phrase} " in text for phrase in _abbreviations() if " " in phrase))


def is_follow_up(message: str, previous: str | None = None, *,
                 threshold: float = TOPIC_ZIPF, min_words: int = TOPIC_WORDS) -> bool:
    """Whether `message` needs the previous question to be understood. The
    message is read on its own; `previous`, when given, only serves to recognise
    words that point back to it (bridging, added conditions). `threshold` and
    `min_words` are the fitted topic parameters (for evaluation)."""
    toks = _tokens(message)
    if not toks or _topic_switch(toks):
        return False
    if find_references(message):  # the paragraph is the topic, unless compared with another
        return any(t.word in COMPARATIVES for t in toks) and _unresolved_anaphor(toks)
    if _unresolved_anaphor(toks) or _elliptic(toks) or _domainless_existential(toks):
        return True
    prev = _previous(previous)
    if _added_condition(toks, prev):
        return True
    return not _has_topic(toks, threshold, min_words, prev)


def content_text(content) -> str:
    """A message's content as text: a string, or Gradio 6's list of content parts."""
    if isinstance(content, list):
        return " ".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
    return content if isinstance(content, str) else ""


def user_messages(history: list) -> list[str]:
    """The user's messages of a history: Gradio message dicts or plain strings."""
    out = []
    for m in history or []:
        if isinstance(m, str):
            out.append(m)
            continue
        if m.get("role") == "user":
            out.append(content_text(m.get("content")))
    return out


def standalone_question(message: str, history: list) -> str:
    """A follow-up is read together with the previous full question; a full
    question stands alone."""
    previous = [q for q in user_messages(history) if q.strip()]
    if not previous or not is_follow_up(message, previous[-1]):
        return message
    # The previous question may itself have been a follow-up: walk back to a full one.
    base = previous[-1]
    for i in range(len(previous) - 1, -1, -1):
        base = previous[i]
        if i == 0 or not is_follow_up(previous[i], previous[i - 1]):
            break
    return f"{base.rstrip(' ?.')} – {message.strip()}"
