"""Parse a Swedish consolidated statute (the plain `forfattningstext` format).

The text is hard-wrapped, split into blocks by blank lines. A block that starts
with "N kap." opens a chapter, "N §" / "N a §" a paragraph, "Övergångsbestämmelser"
the transitional provisions. A line inside a block that starts with "5 §" is a
wrapped cross-reference, never a new paragraph: only block starts are structure,
and chapter/paragraph numbers must increase, which catches cross-references that
happen to start a block.

Dated versions: "1 § /Upphör att gälla U:2026-01-15/" and
"1 § /Träder i kraft I:2026-01-15/" give two paragraphs with the same number and
their own validity dates; "/Rubriken träder i kraft I:.../" dates a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_AVDELNING = re.compile(r"^AVDELNING ([IVXLC]+)\.\s*(.*)$")
_CHAPTER = re.compile(r"^(\d+)(?: ([a-z]))? kap\.\s+(\S.*)$")
_PARAGRAPH = re.compile(r"^(\d+)(?: ([a-z]))? §(?!§)\s*(?:/([^/]*)/)?\s*(.*)$")
_MARKER = re.compile(r"(Upphör att gälla U|Träder i kraft I):\s*(\d{4}-\d{2}-\d{2})")
_HEADING_MARKER = re.compile(r"^/Rubriken (?:träder i kraft I|upphör att gälla U):\s*(\d{4}-\d{2}-\d{2})/$")
_AMENDMENT = re.compile(r"^(\d{4}:\d+)$")
_POINT = re.compile(r"^(\d+)\.\s+(.*)$", re.S)
_LIST_ITEM = re.compile(r"^(?:\d+\.|[a-z]\)|[-–•])\s")
_REPEALED = re.compile(r"^(?:Har upphävts|Kapitlet har upphävts) genom lag \(\d{4}:\d+\)\.?$")
_HEADER_TITLE = re.compile(r"^(.*?)\s*\((\d{4}:\d+)\)\s*$")
_IKRAFT = re.compile(r"Ikraft:\s*(\d{4}-\d{2}-\d{2})")
_AMENDED = re.compile(r"Ändring införd:\s*t\.o\.m\.\s*(SFS \d{4}:\d+)")

TRANSITIONAL_HEADING = "Övergångsbestämmelser"


@dataclass
class Stycke:
    text: str
    points: list[str] = field(default_factory=list)

    def render(self) -> str:
        return "\n".join([self.text, *self.points]) if self.text else "\n".join(self.points)


@dataclass
class Paragraph:
    chapter: str
    number: str
    chapter_title: str
    avdelning: str
    heading: str
    stycken: list[Stycke]
    valid_from: str = ""
    valid_to: str = ""
    heading_valid_from: str = ""
    repealed: bool = False

    @property
    def text(self) -> str:
        return "\n\n".join(s.render() for s in self.stycken)


@dataclass
class TransitionalPoint:
    amendment: str
    point: str  # "" when the amendment's provision has no numbered points
    text: str


@dataclass
class Statute:
    sfs: str  # "SFS 2025:400"
    title: str
    in_force: str
    chapters: dict[str, str]  # "2 a" -> chapter title
    paragraphs: list[Paragraph]
    transitional: list[TransitionalPoint]
    repealed_chapters: list[str] = field(default_factory=list)
    amended_through: str = ""  # "SFS 2025:1501": the consolidated text's last amendment


class StatuteParseError(ValueError):
    pass


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def reflow(lines: list[str]) -> str:
    """Join hard-wrapped lines into one line of text ("14-" + "17 kap." -> "14-17 kap.")."""
    joined = ""
    for line in lines:
        if not joined:
            joined = line
        elif re.search(r"\d[-–]$", joined) and line[:1].isdigit():
            joined += line
        else:
            joined += " " + line
    return re.sub(r"\s+", " ", joined).strip()


def _key(number: str, letter: str | None) -> tuple[int, str]:
    return int(number), letter or ""


def _number(key: tuple[int, str]) -> str:
    return f"{key[0]} {key[1]}" if key[1] else str(key[0])


_TRAILING_ABBREVIATION = re.compile(r"\s(?:m\.m|m\.fl|o\.d|o\.s\.v|etc)\.$")


def _is_heading_candidate(block: list[str]) -> bool:
    text = _TRAILING_ABBREVIATION.sub("", reflow(block))  # "Socialnämndens uppgiftsskyldighet m.m."
    return (
        len(block) <= 3
        and len(text) <= 160
        and text[:1].isupper()
        and not _LIST_ITEM.match(text)
        and not text.endswith((".", ",", ";", ":"))
        and not _PARAGRAPH.match(text)
    )


def _split_header(text: str) -> tuple[dict[str, str], str]:
    """The mirror's files carry a few metadata lines on top; riksdagen text does not."""
    lines = text.splitlines()
    meta: dict[str, str] = {}
    if lines and _HEADER_TITLE.match(lines[0].strip()) and not _AVDELNING.match(lines[0]):
        m = _HEADER_TITLE.match(lines[0].strip())
        meta["title"], meta["number"] = m[1], m[2]
        i = 1
        while i < len(lines) and lines[i].strip():
            if m := _IKRAFT.search(lines[i]):
                meta["in_force"] = m[1]
            if m := _AMENDED.search(lines[i]):
                meta["amended_through"] = m[1]
            i += 1
        return meta, "\n".join(lines[i:])
    return meta, text


def parse_statute(text: str, sfs: str = "", in_force: str = "") -> Statute:
    """Parse the consolidated text of a statute into chapters, paragraphs, transitional points."""
    meta, body = _split_header(text.replace("\r\n", "\n"))
    sfs = sfs or (f"SFS {meta['number']}" if "number" in meta else "")
    in_force = in_force or meta.get("in_force", "")
    if not sfs:
        raise StatuteParseError("okänt SFS-nummer: ange det i manifestet")
    blocks = _blocks(body)

    chapters: dict[str, str] = {}
    repealed_chapters: list[str] = []
    paragraphs: list[Paragraph] = []
    transitional: list[TransitionalPoint] = []

    avdelning = ""
    chapter_key: tuple[int, str] | None = None
    chapter_title = ""
    heading_parts: list[str] = []
    heading_from = ""
    pending_heading_from = ""
    heading_closed = True  # the next heading block starts a new heading
    para_key: tuple[int, str] | None = None
    para_open_version = ""  # "U" when the last paragraph was an expiring version
    current: Paragraph | None = None
    in_transitional = False
    amendment = ""

    def next_chapter_ok(key: tuple[int, str]) -> bool:
        if chapter_key is None:
            return key == (1, "")
        same = key[0] == chapter_key[0] and key[1] > chapter_key[1]
        return same or key == (chapter_key[0] + 1, "")

    for index, block in enumerate(blocks):
        first = block[0]
        whole = reflow(block)

        if in_transitional:
            if m := _AMENDMENT.match(whole):
                amendment = m[1]
                continue
            if not amendment:
                continue
            if m := _POINT.match(whole):
                transitional.append(TransitionalPoint(amendment, m[1], whole))
            elif transitional and transitional[-1].amendment == amendment:
                transitional[-1].text += "\n" + whole
            else:
                transitional.append(TransitionalPoint(amendment, "", whole))
            continue

        if whole == TRANSITIONAL_HEADING:
            in_transitional = True
            current = None
            continue

        if m := _AVDELNING.match(whole):
            avdelning = f"Avdelning {m[1]}. {m[2].capitalize()}"
            continue

        m = _CHAPTER.match(whole)
        if m and next_chapter_ok(_key(m[1], m[2])):
            chapter_key = _key(m[1], m[2])
            chapter_title = m[3]
            chapter = _number(chapter_key)
            chapters[chapter] = chapter_title
            if _REPEALED.match(chapter_title):
                repealed_chapters.append(chapter)
            heading_parts, heading_from, heading_closed = [], "", True
            para_key, para_open_version, current = None, "", None
            continue

        if m := _HEADING_MARKER.match(first):
            pending_heading_from = m[1]
            block = block[1:]
            if not block:
                continue
            first, whole = block[0], reflow(block)

        m = _PARAGRAPH.match(first)
        if m and chapter_key is not None:
            key = _key(m[1], m[2])
            marker = _MARKER.search(m[3] or "")
            kind = marker[1][0] if marker else ""
            ok = para_key is None or key > para_key or (
                key == para_key and para_open_version == "U" and kind == "T"
            )
            if ok:
                rest = m[4].strip()
                valid_from, valid_to = in_force, ""
                if kind == "U":
                    valid_to = marker[2]
                elif kind == "T":
                    valid_from = marker[2]
                current = Paragraph(
                    chapter=_number(chapter_key),
                    number=_number(key),
                    chapter_title=chapter_title,
                    avdelning=avdelning,
                    heading=" – ".join(heading_parts),
                    stycken=[],
                    valid_from=valid_from,
                    valid_to=valid_to,
                    heading_valid_from=heading_from,
                    repealed=bool(_REPEALED.match(rest)),
                )
                # The paragraph text may start on the number's line or the next.
                body_lines = block[1:]
                if rest:
                    body_lines = [rest, *body_lines]
                if body_lines:
                    current.stycken.append(Stycke(reflow(body_lines)))
                paragraphs.append(current)
                para_key, para_open_version = key, kind
                heading_closed = True
                continue

        if _is_heading_candidate(block) and _followed_by_structure(blocks, index):
            if heading_closed:
                heading_parts, heading_from = [], ""
                heading_closed = False
            heading_parts.append(whole)
            if pending_heading_from:
                heading_from, pending_heading_from = pending_heading_from, ""
            continue

        if current is None:
            continue  # text outside any paragraph (e.g. an introductory note)
        if _LIST_ITEM.match(whole) and current.stycken:
            current.stycken[-1].points.append(whole)
        else:
            current.stycken.append(Stycke(whole))

    return Statute(
        sfs=sfs,
        title=meta.get("title", ""),
        in_force=in_force,
        chapters=chapters,
        paragraphs=paragraphs,
        transitional=transitional,
        repealed_chapters=repealed_chapters,
        amended_through=meta.get("amended_through", ""),
    )


def _followed_by_structure(blocks: list[list[str]], index: int) -> bool:
    """A heading is followed (possibly after sub-headings) by a paragraph or marker."""
    for block in blocks[index + 1 : index + 4]:
        whole = reflow(block)
        if _PARAGRAPH.match(whole) or _HEADING_MARKER.match(block[0]):
            return True
        if not _is_heading_candidate(block):
            return False
    return False


# --- Statute -> Passages -------------------------------------------------------

MAX_PASSAGE_CHARS = 1200


def _anchor_url(template: str, chapter: str = "", paragraph: str = "") -> str:
    if not template:
        return ""
    return template.format(chapter=chapter.replace(" ", ""), paragraph=paragraph.replace(" ", ""))


def _law_page(doc) -> str:
    """The law's official page (where its transitional provisions are, at the
    end), not the raw text download."""
    if doc.anchor_url:
        return doc.anchor_url.split("#")[0]
    return doc.urls[0] if doc.urls else ""


def statute_passages(statute: Statute, doc) -> list:
    """One passage per paragraph version (long ones split on stycke boundaries),
    one per transitional point."""
    from assistant.labels import statute_label, transitional_label
    from assistant.parsing.text import pack_blocks
    from assistant.types import Passage

    base = dict(doc_id=doc.id, kind=doc.kind, title=doc.title, law_version=doc.version)
    passages: list[Passage] = []
    for para in statute.paragraphs:
        label = statute_label(statute.sfs, para.chapter, para.number)
        valid_to = para.valid_to or doc.repealed
        parts = pack_blocks([s.render() for s in para.stycken], MAX_PASSAGE_CHARS) or [""]
        for i, text in enumerate(parts):
            key = f"{para.chapter}:{para.number}".replace(" ", "")
            pid = f"{doc.id}/{key}@{para.valid_from or 'x'}" + (f"#{i + 1}" if len(parts) > 1 else "")
            passages.append(
                Passage(
                    id=pid,
                    label=label,
                    text=text,
                    chapter=para.chapter,
                    chapter_title=para.chapter_title,
                    heading=para.heading,
                    paragraph=para.number,
                    valid_from=para.valid_from,
                    valid_to=valid_to,
                    part=i + 1 if len(parts) > 1 else 0,
                    url=_anchor_url(doc.anchor_url, para.chapter, para.number),
                    repealed=para.repealed,
                    stycken=len(para.stycken),
                    **base,
                )
            )
    for tp in statute.transitional:
        passages.append(
            Passage(
                id=f"{doc.id}/overg:{tp.amendment}:{tp.point or '0'}",
                label=transitional_label(statute.sfs, tp.amendment, tp.point or None),
                text=tp.text,
                heading=f"Övergångsbestämmelser {tp.amendment}",
                valid_to=doc.repealed,
                url=_law_page(doc),
                **base,
            )
        )
    return passages
