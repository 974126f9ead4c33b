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


def _hint_after(text: str) -> str | None:
    """The law named right after a reference: "11 kap. 1 a § gamla SoL", "… i nya lagen"."""
    m = _AFTER.search(text)
    if not m:
        return None
    return OLD_SFS if m["old"] else NEW_SFS


def _hint_before(text: str) -> str | None:
    """The law named right before a reference: "gamla 1 kap. 1 §", "nya lagens 20 kap. 2 §"."""
    m = _BEFORE.search(text)
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
        local = (_hint_after(following) or _hint_before(text[max(0, start - 30):start])
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


def asks_about_documents(text: str) -> bool:
    return bool(_DOCUMENTS.search(text))


_DEFINITION = re.compile(
    r"\b(vad (menas|avses|betyder|innebär) (med )?|definition\w*|definiera\w*|räknas (som|till)|avses med|"
    r"vad (är|räknas som) (en|ett)?|vem räknas|vilka räknas|vem är)\b",
    re.I,
)


def asks_for_definition(text: str) -> bool:
    """What a word means in the law: "vad menas med", "räknas som", "definition"."""
    return bool(_DEFINITION.search(text))
