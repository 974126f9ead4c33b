"""Read the bill's författningskommentar: which paragraph of the 2001 law each
paragraph of the new law corresponds to ("Paragrafen motsvarar 11 kap. 1 a § i
2001 års lag", "Paragrafen är ny"), and its comparison table rows. These
statements are authoritative where the bill is in the corpus."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.labels import statute_label

NEW_SFS = "SFS 2025:400"
OLD_SFS = "SFS 2001:453"

_CHAPTER = re.compile(r"^(\d+(?: [a-z])?) kap\.\s+[A-ZÅÄÖ]")
_PARAGRAPH = re.compile(r"^(\d+(?: ?[a-z])?) §(?!§)\s")
# The 2001 law as the bill names it ("i 2001 års lag") and as the inquiry did
# while it was in force ("nuvarande 4 kap. 1 § första stycket SoL").
_OLD_LAW = (r"(?:(?:i|enligt) (?:2001 års lag|den tidigare socialtjänstlagen|socialtjänstlagen \(2001:453\)|"
            r"den upphävda lagen|nuvarande socialtjänstlag)|nuvarande \d+(?: [a-z])? kap\..*?\bSoL\b)")
_ORDINAL = r"(?:Första|Andra|Tredje|Fjärde|Femte|Sjätte|Sjunde)"
_SUBJECT = re.compile(rf"^(?:Paragrafen|Bestämmelsen|Bestämmelserna|{_ORDINAL} stycket|Stycket|"
                      rf"I (?:{_ORDINAL.lower()}|{_ORDINAL}) stycket\s*,? som)\b")
_VERB = re.compile(r"\b(?P<verb>motsvarar|har sin motsvarighet i|saknar motsvarighet|är ny)\b")
_REFS = re.compile(r"(\d+(?: [a-z])?) kap\.\s+((?:\d+(?: ?[a-z])?(?:\s*(?:,|och|–|-)\s*))*\d+(?: ?[a-z])?)\s*§§?")
_TABLE_ROW = re.compile(
    r"^(\d+(?: [a-z])?) kap\. (\d+(?: [a-z])?) §\s+(?:[–-]|(\d+(?: [a-z])?) kap\. (\d+(?: [a-z])?) §)\s*$"
)


@dataclass
class BillStatement:
    new: str | None  # label in SFS 2025:400, None for a table row without a new paragraph
    old: list[str] = field(default_factory=list)
    relation: str = "reworded"  # reworded | moved_in_part | new | removed
    page: int = 0
    text: str = ""
    source: str = "commentary"  # commentary | table


def _expand(chapter: str, numbers: str) -> list[str]:
    out = []
    for part in re.split(r"\s*(?:,|och)\s*", numbers):
        part = part.strip()
        if m := re.fullmatch(r"(\d+)\s*[–-]\s*(\d+)", part):
            out += [str(n) for n in range(int(m[1]), int(m[2]) + 1)]
        elif part:
            out.append(re.sub(r"(\d+)\s*([a-z])", r"\1 \2", part))
    return [statute_label(OLD_SFS, chapter, n) for n in out]


def old_references(text: str) -> list[str]:
    labels: list[str] = []
    for m in _REFS.finditer(text):
        for label in _expand(m[1], m[2]):
            if label not in labels:
                labels.append(label)
    return labels


def _statements_for(label: str, text: str, page: int, into: dict[str, BillStatement]) -> None:
    from assistant.parsing.text import sentences

    for sentence in sentences(re.sub(r"\s+", " ", text)):
        m = _VERB.search(sentence)
        if not _SUBJECT.match(sentence) or not m:
            continue
        st = into.setdefault(label, BillStatement(label, [], "reworded", page, ""))
        st.text = (st.text + " " + sentence).strip()
        if m["verb"] in ("är ny", "saknar motsvarighet"):
            if not st.old:
                st.relation = "new"
            continue
        if not re.search(_OLD_LAW, sentence):
            continue
        stated = sentence[m.end():]
        if "SoL" in stated:  # the inquiry's form: what follows the law's name is about other rules
            stated = stated[: stated.index("SoL")]
        refs = old_references(stated)
        for ref in refs:
            if ref not in st.old:
                st.old.append(ref)
        if refs:
            partly = re.search(r"\b(delvis|del av)\b", sentence)
            if partly or st.relation == "moved_in_part":
                st.relation = "moved_in_part"
            else:
                st.relation = "reworded"


def statements_in(text: str) -> BillStatement | None:
    """What one paragraph's commentary says of its origin (None if it says nothing)."""
    found: dict[str, BillStatement] = {}
    _statements_for("", text, 0, found)
    return found.get("")


def parse_commentary(pages: list[tuple[int, str]]) -> list[BillStatement]:
    """pages: (printed page number, text), in order. A chapter heading ("20 kap.
    Bedömning …") and a paragraph line ("2 § Om en anmälan …") open the new-law
    paragraph that the following statements are about."""
    statements: dict[str, BillStatement] = {}
    table: list[BillStatement] = []
    chapter = paragraph = None
    buffer: list[str] = []
    buffer_page = 0

    def flush():
        if chapter and paragraph and buffer:
            _statements_for(statute_label(NEW_SFS, chapter, paragraph), "\n".join(buffer), buffer_page, statements)
        buffer.clear()

    for page, text in pages:
        for line in (l.strip() for l in text.splitlines()):
            if m := _TABLE_ROW.match(line):
                old = statute_label(OLD_SFS, m[1], m[2])
                new = statute_label(NEW_SFS, m[3], m[4]) if m[3] else None
                table.append(BillStatement(new, [old], "reworded" if new else "removed", page, line, "table"))
                continue
            if m := _CHAPTER.match(line):
                flush()
                chapter, paragraph = m[1], None
                continue
            if (m := _PARAGRAPH.match(line)) and chapter:
                flush()
                paragraph = re.sub(r"(\d+)\s*([a-z])", r"\1 \2", m[1])
                buffer_page = page
            if paragraph:
                buffer.append(line)
    flush()
    return list(statements.values()) + table
