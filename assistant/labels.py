"""The one place that builds and reads canonical citation labels.

Forms (used in index metadata, answers and evals alike):
    SFS 2025:400 20 kap. 2 §
    SFS 2001:453 11 kap. 1 a §
    SFS 2025:400 övergångsbestämmelser 2025:1501 p. 2
    Prop. 2024/25:89 s. 512
    SOU 2020:47 s. 123            (printed page, only from the PDF)
    SOU 2020:47 avsnitt 17.3.2    (a numbered section of the report)
    SOU 2020:47 avsnitt 28.1, förslaget 11 kap. 5 §   (the inquiry's draft paragraph,
                                  in its own numbering, not the enacted law's)
    seed:<file stem> / regeringen:<file stem>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TRANSITIONAL = "övergångsbestämmelser"


def normalize_number(value: str) -> str:
    """'1a', '1 a', ' 1  A ' -> '1 a' (chapter and paragraph numbers)."""
    m = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]?)\s*", value)
    if not m:
        raise ValueError(f"not a chapter/paragraph number: {value!r}")
    number, letter = m.groups()
    return f"{int(number)} {letter.lower()}" if letter else str(int(number))


def statute_label(sfs: str, chapter: str, paragraph: str) -> str:
    return f"{sfs} {normalize_number(chapter)} kap. {normalize_number(paragraph)} §"


def transitional_label(sfs: str, amendment: str, point: str | int | None = None) -> str:
    base = f"{sfs} {TRANSITIONAL} {amendment}"
    return f"{base} p. {point}" if point not in (None, "") else base


def page_label(prefix: str, page: int) -> str:
    return f"{prefix} s. {page}"


def section_label(prefix: str, section: str, draft_chapter: str = "", draft_paragraph: str = "") -> str:
    """A section of a report; with a draft paragraph for the draft law (1.1) and its
    commentary (28.1): 'SOU 2020:47 avsnitt 28.1, förslaget 11 kap. 5 §'."""
    base = f"{prefix} avsnitt {section}"
    if draft_chapter:
        return f"{base}, förslaget {normalize_number(draft_chapter)} kap. {normalize_number(draft_paragraph)} §"
    return base


def article_label(prefix: str, stem: str) -> str:
    """prefix is 'seed' or 'regeringen' (with or without the colon)."""
    return f"{prefix.rstrip(':')}:{stem}"


@dataclass(frozen=True)
class LabelParts:
    kind: str  # paragraph | transitional | page | section | article
    document: str  # "SFS 2025:400", "Prop. 2024/25:89", "seed", ...
    chapter: str = ""
    paragraph: str = ""
    amendment: str = ""
    point: str = ""
    page: int = 0
    stem: str = ""
    section: str = ""  # "17.3.2"; with chapter and paragraph of the inquiry's draft for 1.1 / 28.1


_PARAGRAPH = re.compile(r"^(SFS \d{4}:\d+) (\d+(?: [a-z])?) kap\. (\d+(?: [a-z])?) §$")
_TRANSITIONAL = re.compile(rf"^(SFS \d{{4}}:\d+) {TRANSITIONAL} (\d{{4}}:\d+)(?: p\. (\d+))?$")
_PAGE = re.compile(r"^((?:Prop\. \d{4}/\d{2}:\d+)|(?:SOU \d{4}:\d+)) s\. (\d+)$")
_SECTION = re.compile(r"^(SOU \d{4}:\d+) avsnitt (\d+(?:\.\d+)*)"
                      r"(?:, förslaget (\d+(?: [a-z])?) kap\. (\d+(?: [a-z])?) §)?$")
_ARTICLE = re.compile(r"^(seed|regeringen):(\S+)$")


def parse_label(label: str) -> LabelParts:
    """Split a canonical label into its parts; ValueError if it is not canonical."""
    if m := _PARAGRAPH.match(label):
        return LabelParts("paragraph", m[1], chapter=m[2], paragraph=m[3])
    if m := _TRANSITIONAL.match(label):
        return LabelParts("transitional", m[1], amendment=m[2], point=m[3] or "")
    if m := _PAGE.match(label):
        return LabelParts("page", m[1], page=int(m[2]))
    if m := _SECTION.match(label):
        return LabelParts("section", m[1], chapter=m[3] or "", paragraph=m[4] or "", section=m[2])
    if m := _ARTICLE.match(label):
        return LabelParts("article", m[1], stem=m[2])
    raise ValueError(f"not a canonical citation label: {label!r}")


def chapter_key(label: str) -> str:
    """The label's enclosing unit, for lenient matching: 'SFS 2025:400 20 kap.',
    'SFS 2025:400 övergångsbestämmelser 2025:400', the document for pages and articles."""
    parts = parse_label(label)
    if parts.kind == "paragraph":
        return f"{parts.document} {parts.chapter} kap."
    if parts.kind == "transitional":
        return f"{parts.document} {TRANSITIONAL} {parts.amendment}"
    if parts.kind == "article":
        return label
    if parts.kind == "section":
        return f"{parts.document} avsnitt {parts.section.split('.')[0]}"
    return parts.document


def source_name(label: str, kind: str, title: str = "") -> str:
    """How a quoted source is named to a reader: a law paragraph in words, an article by
    its title (users see titles, not file stems), the inquiry as preparatory work."""
    if kind == "article":
        return f"{title or label} (artikel – inte lagtext)"
    if kind == "inquiry":
        return f"{label} (förarbete – utredningens förslag 2020, inte gällande lag)"
    return label_in_words(label)


_LAW_NAMES = {"SFS 2025:400": "socialtjänstlagen (2025:400)", "SFS 2001:453": "gamla socialtjänstlagen (2001:453)"}


def label_in_words(label: str) -> str:
    """The label as a reader names it: '20 kap. 2 § socialtjänstlagen (2025:400)',
    'punkt 2 i övergångsbestämmelserna till socialtjänstlagen (2025:400)',
    'propositionen 2024/25:89 s. 512'. Articles and other forms stay as they are
    (callers name articles by their titles)."""
    try:
        parts = parse_label(label)
    except ValueError:
        return label
    law = _LAW_NAMES.get(parts.document, parts.document)
    if parts.kind == "paragraph":
        return f"{parts.chapter} kap. {parts.paragraph} § {law}"
    if parts.kind == "transitional":
        sfs = parts.document.removeprefix("SFS ")
        to = law if parts.amendment == sfs else f"lag ({parts.amendment}) om ändring i {law}"
        point = f"punkt {parts.point} i " if parts.point else ""
        return f"{point}övergångsbestämmelserna till {to}"
    if parts.kind == "page" and parts.document.startswith("Prop."):
        return f"propositionen {parts.document.removeprefix('Prop. ')} s. {parts.page}"
    return label
