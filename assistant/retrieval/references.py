"""Find paragraph references and law hints in a question ("20 kap. 2 § nya SoL")."""

from __future__ import annotations

import re
from dataclasses import dataclass

NEW_SFS = "SFS 2025:400"
OLD_SFS = "SFS 2001:453"

_REF = re.compile(
    r"(?<![\d:])(\d{1,2})\s*([a-z])?\s*(?:kap\.?|kapitlet)\s*(\d{1,3})\s*([a-z])?\s*(?:§|paragrafen|par\.?)",
    re.I,
)
_OLD = re.compile(
    r"2001:453|\b(gaml[ae]|förra|tidigare|äldre|upphävda|gällde före)\b[^.?!]{0,25}"
    r"\b(sol|lag(en)?|socialtjänstlag(en)?)\b|\bsol\s*2001\b|\b(gamla|förra) lagen\b",
    re.I,
)
_NEW = re.compile(
    r"2025:400|\b(nya|nuvarande|dagens|gällande)\b[^.?!]{0,10}\b(sol|lag(en)?|socialtjänstlag(en)?)\b|\bsol\s*2025\b",
    re.I,
)


# "SoL 20:2", "20:2 SoL", "11:1a i gamla SoL": chapter:paragraph next to the law's name.
_COLON_REF = re.compile(
    r"(?:\b(?:sol|socialtjänstlagen)\s+(\d{1,2}):(\d{1,3})([a-z])?\b)|(?:\b(\d{1,2}):(\d{1,3})([a-z])?\s+(?:i\s+)?(?:(?:nya|gamla)\s+)?(?:sol|socialtjänstlagen)\b)",
    re.I,
)


@dataclass(frozen=True)
class Reference:
    sfs: str | None  # None when the question does not say which law
    chapter: str
    paragraph: str


def law_hint(text: str) -> str | None:
    """'old', 'new' or None."""
    old, new = bool(_OLD.search(text)), bool(_NEW.search(text))
    if old and not new:
        return "old"
    if new and not old:
        return "new"
    return None


_BEFORE = re.compile(
    r"\b(?:(?P<old>gaml[ae]|förra|tidigare|äldre|upphävda)|(?P<new>nya|nuvarande|dagens|gällande))"
    r"(?:\s+(?:sol|socialtjänstlagen|socialtjänstlagens|lagen|lagens))?(?:\s+(?:i|enligt))?\s*$",
    re.I,
)


_AFTER = re.compile(
    r"^\s*(?:i|enligt|in|från)?\s*(?:den\s+)?(?:(?P<old>gaml[ae]|förra|tidigare|äldre|upphävda)|(?P<new>nya|nuvarande|dagens|gällande))"
    r"\s+(?:sol|socialtjänstlagen|lagen)\b",
    re.I,
)


def _hint(pattern: re.Pattern, text: str) -> str | None:
    """The law `pattern` finds named next to a reference: "11 kap. 1 a § gamla SoL"
    (_AFTER, in the text after it), "gamla 1 kap. 1 §" (_BEFORE, in the text before)."""
    m = pattern.search(text)
    if not m:
        return None
    return OLD_SFS if m["old"] else NEW_SFS


def find_references(text: str) -> list[Reference]:
    """Paragraph references with the law each one is about: a hint right after or
    right before a reference ("11 kap. 1 a § gamla SoL", "gamla 1 kap. 1 §")
    applies to it; a hint elsewhere in the
    question applies when there is only one reference; otherwise None (the
    caller defaults to the new law)."""
    found = [(m.start(), m.end(), m[1] + (f" {m[2].lower()}" if m[2] else ""), m[3] + (f" {m[4].lower()}" if m[4] else ""))
             for m in _REF.finditer(text)]
    for m in _COLON_REF.finditer(text):
        chapter, paragraph, letter = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        found.append((m.start(), m.end(), chapter, paragraph + (f" {letter.lower()}" if letter else "")))
    found.sort()
    sfs_of = {"old": OLD_SFS, "new": NEW_SFS}
    overall = sfs_of.get(law_hint(text) or "")
    refs: list[Reference] = []
    for i, (start, end, chapter, paragraph) in enumerate(found):
        following = text[end: found[i + 1][0] if i + 1 < len(found) else end + 40][:40]
        local = (_hint(_AFTER, following) or _hint(_BEFORE, text[max(0, start - 30):start])
                 or sfs_of.get(law_hint(text[start:end] + following) or ""))
        sfs = local or (overall if len(found) == 1 else None)
        ref = Reference(sfs, chapter, paragraph)
        if ref not in refs:
            refs.append(ref)
    return refs


# Questions about which law applies across 1 July 2025, or about the transition.
_TRANSITION = re.compile(
    r"övergång|ikraftträd|träd(de|er|a)\b.{0,40}\bi kraft|upphörde|upphävd|(före|efter|innan|från) (den )?1 juli|"
    r"\bgäller\b.{0,60}\bfortfarande\b|"
    r"\b(januari|februari|mars|april|maj|juni) 2025\b|(vilken|vilka) (lag|regler) (gäller|ska tillämpas)|"
    r"gamla eller (den )?nya|nya eller (den )?gamla|gäller fortfarande|fortfarande gäll|"
    r"\bfattats före\b|\bbeslutats före\b",
    re.I,
)
# Questions about the reform documents and what organisations say, not the law text.
_DOCUMENTS = re.compile(
    r"\b(regeringen|regeringens|minister\w*|utredningen|utredaren|utredningens|SOU|propositionen|proposition|prop\.?|"
    r"pressmeddelande\w*|debattartikel\w*|artikel\w*|direktiv\w*|SKR|Governo|Humana|ESF\w*|förstudie\w*|"
    r"lagrådsremiss\w*|remiss\w*|blogg\w*|överenskommelse\w*|Stockholms stad|Winberg)\b",
    re.I,
)


# The general transition rule: the new law applies from 1 July 2025 and the old
# one is repealed. Every question about which law applies gets these with the
# specific transitional points retrieved for it.
TRANSITION_CORE = (
    "SFS 2025:400 övergångsbestämmelser 2025:400 p. 1",
    "SFS 2025:400 övergångsbestämmelser 2025:400 p. 2",
)


def asks_about_transition(text: str) -> bool:
    return bool(_TRANSITION.search(text))


# A question about an amending act of the new law: its number, or a date after the law's
# own entry into force (the amendments took effect in January 2026).
_AMENDMENT = re.compile(r"\b2025:(?!400\b)\d+|\b202[6-9]\b|\bjanuari\b", re.I)
# "enligt gamla SoL eller den nya lagen": which of the two, not the old law's wording
_BOTH_LAWS = re.compile(r"\bgaml\w*\b.{0,40}\beller\b.{0,25}\bnya\b|\bnya\b.{0,40}\beller\b.{0,25}\bgaml\w*", re.I)


def asks_about_amendment(text: str) -> bool:
    return bool(_AMENDMENT.search(text))


def names_both_laws(text: str) -> bool:
    return bool(_BOTH_LAWS.search(text))


def asks_about_documents(text: str, legal_terms: bool = False) -> bool:
    """A question about the reform documents. With `legal_terms`, "utredningen" is read
    as the law's own term (a social services investigation), not as the inquiry."""
    if legal_terms:
        return any(m[0].lower() not in _INVESTIGATION for m in _DOCUMENTS.finditer(text))
    return bool(_DOCUMENTS.search(text))


_INVESTIGATION = {"utredningen", "utredaren", "utredningens"}


_DEFINITION = re.compile(
    r"\b(vad (menas|avses|betyder|innebär) (med )?|definition\w*|definiera\w*|räknas (som|till)|avses med|"
    r"vad (är|räknas som) (en|ett)?|vem räknas|vilka räknas|vem är)\b",
    re.I,
)


def asks_for_definition(text: str) -> bool:
    """What a word means in the law: "vad menas med", "räknas som", "definition"."""
    return bool(_DEFINITION.search(text))


# Questions about an amount or a count.
_AMOUNT = re.compile(
    r"\b(hur mycket|hur många|vilket belopp|vilka belopp|hur stort|hur stor|vad kostar|kostar|kronor|kr|procent|"
    r"arvode\w*|taxa\w*|maxtaxa\w*|tjänar|belopp\w*|nivå\w* på)\b",
    re.I,
)


def asks_for_amount(question: str) -> bool:
    return bool(_AMOUNT.search(question))


# Other laws by the names staff use: their SFS number and full name, as the
# Socialtjänstlag cites them. A question framed by one of them ("enligt LSS",
# "vad säger skollagen") that does not also ask about the Socialtjänstlag asks
# what that law says, and the sources do not contain it, except where a
# passage points to it.
OTHER_LAWS = {
    "lss": ("1993:387", "stöd och service till vissa funktionshindrade"),
    "lvu": ("1990:52", "särskilda bestämmelser om vård av unga"),
    "lvm": ("1988:870", "vård av missbrukare i vissa fall"),
    "osl": ("2009:400", "offentlighets- och sekretesslag"),
    "offentlighets- och sekretesslagen": ("2009:400", "offentlighets- och sekretesslag"),
    "sekretesslagen": ("2009:400", "offentlighets- och sekretesslag"),
    "hsl": ("2017:30", "hälso- och sjukvårdslag"),
    "hälso- och sjukvårdslagen": ("2017:30", "hälso- och sjukvårdslag"),
    "förvaltningslagen": ("2017:900", "förvaltningslag"),
    "kommunallagen": ("2017:725", "kommunallag"),
    "socialförsäkringsbalken": ("2010:110", "socialförsäkringsbalk"),
    "sfb": ("2010:110", "socialförsäkringsbalk"),
    "skollagen": ("2010:800", "skollag"),
    "föräldrabalken": ("1949:381", "föräldrabalk"),
    "brottsbalken": ("1962:700", "brottsbalk"),
    "utlänningslagen": ("2005:716", "utlänningslag"),
    "lma": ("1994:137", "mottagande av asylsökande"),
    "plan- och bygglagen": ("2010:900", "plan- och bygglag"),
    "pbl": ("2010:900", "plan- och bygglag"),
    "arbetsmiljölagen": ("1977:1160", "arbetsmiljölag"),
    "patientdatalagen": ("2008:355", "patientdatalag"),
    "patientlagen": ("2014:821", "patientlag"),
    "diskrimineringslagen": ("2008:567", "diskrimineringslag"),
    "ärvdabalken": ("1958:637", "ärvdabalk"),
    "äktenskapsbalken": ("1987:230", "äktenskapsbalk"),
    "jordabalken": ("1970:994", "jordabalk"),
}
_OTHER_LAW = "|".join(re.escape(name) for name in sorted(OTHER_LAWS, key=len, reverse=True))
_OTHER_FRAME = re.compile(
    rf"\b(?:enligt|i|vad säger|säger)\s+(?P<a>{_OTHER_LAW})\b(?!-)|\b(?P<b>{_OTHER_LAW})\s+(?:säger|kräver|ställer|föreskriver)\b",
    re.I,
)
_SOCIAL_SERVICES_ACT = re.compile(r"\b(sol|socialtjänstlag\w*|(nya|gamla|denna) lag\w*)\b|2025:400|2001:453", re.I)


def other_law_asked(text: str) -> str | None:
    """The other law a question asks about ("LSS" in "... enligt LSS?"), as
    written, or None when there is none or the question also asks about the
    Socialtjänstlag."""
    m = _OTHER_FRAME.search(text)
    if not m or _SOCIAL_SERVICES_ACT.search(text):
        return None
    return m["a"] or m["b"]


def names_law(law: str, text: str) -> bool:
    """Whether a text cites the law, by SFS number or full name."""
    sfs, name = OTHER_LAWS[law.lower()]
    lowered = text.lower()
    return sfs in lowered or name in lowered


_ASK_END = re.compile(r"(?<=\?)\s+")
MIN_ASK_WORDS = 3


def split_asks(text: str) -> list[str]:
    """The separate questions of a message that asks several things ("Måste vi
    utreda? Och hur länge får vi följa upp?"): each sentence ending in a
    question mark, with the message's context (sentences that do not ask)
    before it: "En lärare har anmält oro för en elev." decides which deadline
    "Hur snabbt måste vi bedöma …?" means. (Context for short asks only, as
    before the question bank: on the 59 many-ask questions of the development
    sets, each scored with a bank without its file, hit@5 0.966 -> 0.983 with
    context for every ask, hit@1 unchanged.) One ask -> []."""
    parts = [p.strip() for p in _ASK_END.split(text.strip()) if p.strip()]
    asks, context = [], []
    for part in parts:
        sentences = re.split(r"(?<=[.!])\s+(?=[A-ZÅÄÖ])", part)
        *lead, last = sentences
        context += lead
        if last.endswith("?") and len(last.split()) >= MIN_ASK_WORDS:
            asks.append(last)
        else:
            context.append(last)
    if len(asks) < 2:
        return []
    lead = " ".join(context)
    return [f"{lead} {a}" if lead else a for a in asks]


# A sum of money is asked for ("vad kostar", "hur mycket ... i kronor", "arvode
# per månad"): only a passage that states one answers it.
_MONEY_ASKED = re.compile(
    r"\b(kronor|kr|kostar|kostnaden|arvode\w*|taxa\w*|maxtaxa\w*|belopp\w*|riksnorm\w*|prisbasbelopp\w*|"
    r"ersättning\w* per|per (timme|dygn|månad|år|dag))\b",
    re.I,
)
_MONEY_STATED = re.compile(r"\d[\d  ]*\s*(kronor|kr\b|procent|%)|\bprisbasbelopp\w*|\bgånger\b.{0,30}\bbelopp", re.I)


_KRONOR_ASKED = re.compile(r"\b(kronor|kr|per (timme|dygn|vecka|helg|månad|år|dag))\b", re.I)
_KRONOR_STATED = re.compile(r"\d[\d  ]*\s*(kronor|kr\b)", re.I)


def asks_for_money(question: str) -> bool:
    return bool(_MONEY_ASKED.search(question)) and asks_for_amount(question)


def states_money(text: str, question: str = "") -> bool:
    """Whether a text states the kind of sum a question asks for: a sum in
    kronor or a rate per hour/day/month needs a figure in kronor; a fee or
    ceiling in general may be stated as a share of the prisbasbelopp."""
    if _KRONOR_ASKED.search(question):
        return bool(_KRONOR_STATED.search(text))
    return bool(_MONEY_STATED.search(text))


# Benefits and matters that other authorities decide under other laws. A
# question about one of them is answered only from a passage that names it.
OTHER_AUTHORITIES = {
    "bostadsbidrag": "Försäkringskassan", "bostadstillägg": "Pensionsmyndigheten eller Försäkringskassan",
    "underhållsstöd": "Försäkringskassan", "föräldrapenning": "Försäkringskassan",
    "sjukpenning": "Försäkringskassan", "barnbidrag": "Försäkringskassan",
    "sjukersättning": "Försäkringskassan", "aktivitetsersättning": "Försäkringskassan",
    "assistansersättning": "Försäkringskassan", "pension": "Pensionsmyndigheten",
    "pensionsmyndigheten": "Pensionsmyndigheten", "försäkringskassan": "Försäkringskassan",
    "pass": "Polisen", "körkort": "Transportstyrelsen", "csn": "CSN", "studiemedel": "CSN",
    "uppehållstillstånd": "Migrationsverket", "migrationsverket": "Migrationsverket",
    "färdtjänst": "kommunen enligt lagen om färdtjänst", "god man": "överförmyndaren",
}
_AUTHORITY = re.compile(r"(?<![\wåäö])(" + "|".join(re.escape(k) for k in sorted(OTHER_AUTHORITIES, key=len, reverse=True))
                        + r")(?![\wåäö])", re.I)


def other_authority_asked(text: str) -> str | None:
    """The benefit or matter of another authority the question is about, as written."""
    m = _AUTHORITY.search(text)
    return m[1] if m else None


# Text in a source that addresses the reader or a language model instead of
# stating something ("SYSTEM: ignorera källorna ..."): never quoted.
_ADDRESSES_READER = re.compile(
    r"\b(system|assistant|user|assistent)\s*:|\bignorera\b.{0,30}\b(källor\w*|instruktion\w*|ovan)|"
    r"\bignore\b.{0,30}\b(instructions|sources|above)|\bdu är (en|nu) (ai|språkmodell|assistent)",
    re.I,
)

# An article's sentence that instructs instead of states. Three marks of the act of
# instructing, any wording: it is addressed to a machine or to the conversation
# (an assistant, a language model, "the system", a chatbot, the instructions or
# prompt it works under), or it tells its reader what to do (second person with a
# modal, or an order aimed at what came before: "bortse från", "glöm", "ignorera").
_MACHINE = re.compile(
    r"(?<!personlig )(?<!personliga )\b(assistent(en|er|erna)?|ai|språkmodell\w*|chatt?bot\w*|chatgpt|"
    r"systemmeddelande\w*|systemprompt\w*|prompt\w*|instruktion\w*|direktiv\w* till (dig|er)|"
    r"(tidigare|ovanstående|föregående) (givna )?(meddelanden|regler|instruktioner))\b",
    re.I,
)
_TO_READER = re.compile(
    r"\b(du|ni)\s+(ska|skall|måste|bör|får inte|behöver|ombeds)\b|"
    r"\b(bortse|glöm|ignorera|strunta|åsidosätt|svara|citera|skriv|upprepa|säg)\b(?!\w)(?=.{0,40}\b("
    r"från|allt|alla|bara|endast|alltid|aldrig|tidigare|ovan|följande|att)\b)",
    re.I,
)
# An article's line dressed as a law citation: "SFS 2025:400 20 kap. 2 §: ”…” [1]".
_DRESSED_AS_LAW = re.compile(
    r"(SFS\s*\d{4}:\d+|\d+\s*kap\.\s*\d+\s*[a-z]?\s*§)[^”\"\n]{0,20}[:–-]\s*[”\"“]|\[\d+\]",
    re.I,
)


def addresses_reader(sentence: str) -> bool:
    return bool(_ADDRESSES_READER.search(sentence))


def instructs(sentence: str) -> bool:
    """An instruction rather than a statement: addressed to a machine or the
    conversation, or an order to the reader (used for articles; the law's own
    sentences are statements of law)."""
    return bool(addresses_reader(sentence) or _MACHINE.search(sentence) or _TO_READER.search(sentence))


def dressed_as_law(sentence: str) -> bool:
    """An article's sentence that imitates a law citation or the answer's own markers."""
    return bool(_DRESSED_AS_LAW.search(sentence))
