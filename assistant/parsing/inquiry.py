"""SOU 2020:47 as riksdagen's HTML (cleaned: only <h1>, <h2>, <p>; no page numbers).

The report is cut into what can be cited without inventing page numbers:
- numbered sections ("17.3.2 Ny bestämmelse om ...") with their own text; an
  unnumbered <h2> is a subheading of the numbered section above it;
- the draft law (avsnitt 1.1) by chapter and paragraph, in the inquiry's own
  numbering (32 chapters; the enacted SFS 2025:400 has 35);
- the författningskommentar on the draft (avsnitt 28.1) by commented draft
  paragraph, without the draft text it repeats.

Some paragraph boundaries of the source are merged ("... SoL. 3 §"), so a draft
paragraph starts where "N §" is the next number of its chapter, at the start of
a block or after a sentence (a short heading may stand before it).
Pure functions: text in, dataclasses out.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field

DRAFT_SECTION = "1.1"  # Förslag till socialtjänstlag
COMMENTARY_SECTION = "28.1"  # Förslaget till socialtjänstlag (författningskommentar)

_BLOCK = re.compile(r"<(h1|h2|p)\b[^>]*>(.*?)</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_SECTION = re.compile(r"^(\d+(?:\.\d+)*)\s+(?!kap\.)(\S.*)$")
_CHAPTER = re.compile(r"^(\d+(?: [a-z])?) kap\.\s+(.*)$")
# "N §" / "N a §" followed by the paragraph's text (an upper-case letter, a digit
# or a dash of a list) or by the end of the block (the commentary's "3 §" lines).
_MARKER = re.compile(r"(?<![\w§–-])(\d+)(?: ([a-z]))?(?:\s*[–-]\s*(\d+) §§| §(?!§))(?= [A-ZÅÄÖ0-9–-]|\s*$)")
# (the commentary treats some paragraphs together: "5–7 §§ Socialnämnden får ...")
_CHAPTER_REFERENCE = re.compile(r"\bkap\.$")
_LAW_NAME = re.compile(r" (?:SoL|LVU|LVM|LSS|OSL|FL|KL|SFB|FB|HSL|RB|BrB)\b")
_SENTENCE_END = re.compile(r"[.:;!?)”]\s*$")
MAX_HEADING_WORDS = 14
# a reference inside a sentence ("... enligt 8 §") is no paragraph start
_REFERENCE_WORD = re.compile(r"(?:^|\s)(?:enligt|av|i|och|om|till|med|från|på|se|samt|eller|för|vid|under)$", re.I)


@dataclass(frozen=True)
class Block:
    tag: str  # h1 | h2 | p
    text: str


@dataclass
class Section:
    number: str  # "17.3.2"
    title: str
    path: tuple[str, ...]  # "17 Insatser utan behovsprövning", "17.3 ...", "17.3.2 ..."
    blocks: list[str] = field(default_factory=list)  # its own text: paragraphs, subheadings

    @property
    def text(self) -> str:
        return "\n\n".join(self.blocks)


@dataclass
class DraftParagraph:
    chapter: str  # "11"
    paragraph: str  # "5" / "1 a"
    chapter_title: str
    heading: str  # the nearest heading inside the chapter ("" if none)
    text: str


@dataclass
class Inquiry:
    sections: list[Section]  # every numbered section, in order (textless ones too)
    draft: list[DraftParagraph]  # avsnitt 1.1
    commentary: list[DraftParagraph]  # avsnitt 28.1, text = the commentary alone
    numbered_headings: int  # numbered <h2> seen (for the completeness check)
    trailing: list[str]  # unnumbered top headings after the last section (yttranden, bilagor)


def blocks(html: str) -> list[Block]:
    out = []
    for tag, inner in _BLOCK.findall(html):
        text = re.sub(r"\s+", " ", html_lib.unescape(_TAG.sub(" ", inner))).replace("\xa0", " ").strip()
        if text:
            out.append(Block(tag.lower(), text))
    return out


def section_number(heading: str) -> tuple[str, str] | None:
    """'17.3.2 Ny bestämmelse' -> ('17.3.2', 'Ny bestämmelse'); None for other headings."""
    m = _SECTION.match(heading)
    return (m[1], m[2]) if m else None


def _depth(number: str) -> int:
    return number.count(".") + 1


def sections(items: list[Block]) -> tuple[list[Section], int, list[str]]:
    """Numbered sections with their own text. -> (sections, numbered headings, trailing)."""
    out: list[Section] = []
    path: list[str] = []
    current: Section | None = None
    count = 0
    trailing: list[str] = []
    for b in items:
        if b.tag == "h1":
            continue
        number = section_number(b.text) if b.tag == "h2" else None
        if number and (current is None or _plausible_next(current.number, number[0])):
            count += 1
            num, title = number
            depth = _depth(num)
            path = path[: depth - 1] + [f"{num} {title}"]
            current = Section(num, title, tuple(path))
            out.append(current)
            continue
        if current is None:
            continue  # front matter before chapter 1
        if b.tag == "h2" and current.number.split(".")[0] == _last_chapter(out) and _is_trailing(b.text):
            trailing.append(b.text)
            current = Section("", b.text, ())  # not a numbered section: not collected
            continue
        current.blocks.append(b.text)
    return out, count, trailing


def _last_chapter(out: list[Section]) -> str:
    return out[-1].number.split(".")[0] if out else ""


def _is_trailing(heading: str) -> bool:
    """Parts after the last chapter that are not numbered sections of the report."""
    return bool(re.match(r"^(Särskil(da|t) yttranden?|Bilaga \d+|Kommittédirektiv)\b", heading))


def _plausible_next(previous: str, number: str) -> bool:
    """A numbered heading continues the tree in order (numbers the cleaning lost,
    like a missing 11.1 before 11.1.1, may be skipped). Guards against a number
    that opens a heading but is no section."""
    return tuple(int(x) for x in number.split(".")) > tuple(int(x) for x in previous.split("."))


def _sections_of(items: list[Block], number: str) -> list[Block]:
    """The blocks of one numbered section (all levels below it included)."""
    out: list[Block] = []
    inside = False
    for b in items:
        n = section_number(b.text) if b.tag == "h2" else None
        if n:
            if n[0] == number:
                inside = True
                continue
            if inside and not (n[0] + ".").startswith(number + "."):
                break
        if inside:
            out.append(b)
    return out


def _split_paragraphs(items: list[Block], first_chapter: str = "",
                      first_title: str = "") -> list[tuple[str, str, str, str, list[str]]]:
    """Law-like text by chapter and paragraph; `first_chapter` for text whose first
    chapter heading the cleaning lost (the commentary opens inside 1 kap.).
    -> [(chapter, chapter title, paragraph, heading, [text pieces])]."""
    out: list[tuple[str, str, str, str, list[str]]] = []
    chapter, chapter_title, heading = first_chapter, first_title, ""
    expected: tuple[int, str] | None = (0, "") if first_chapter else None
    for b in items:
        if b.tag == "h2":
            m = _CHAPTER.match(b.text)
            if m:
                chapter, chapter_title, heading = m[1], m[2], ""
                expected = (0, "")
            else:
                heading = b.text
            continue
        if not chapter:
            continue
        text = b.text
        cursor = 0
        for m in _MARKER.finditer(text):
            number, letter = int(m[1]), m[2] or ""
            before = text[cursor:m.start()].rstrip()
            if _CHAPTER_REFERENCE.search(before) and _LAW_NAME.match(text, m.end()):
                continue  # "nuvarande 10 kap. 4 § SoL" refers to a law; "... i 29 kap. 3 § För den som" opens 3 §
            at_start = cursor == 0 and len(before.split()) <= MAX_HEADING_WORDS and not _SENTENCE_END.search(before)
            if not _next_paragraph(expected, number, letter, lost_one=at_start):
                continue
            sentence_start = max(before.rfind(". "), before.rfind(": "), before.rfind("; ")) + 1
            glued = before[sentence_start:].strip() if before else ""
            if before and not _SENTENCE_END.search(before) and (
                    len(glued.split()) > MAX_HEADING_WORDS or _REFERENCE_WORD.search(before)):
                continue  # "enligt 8 § Första ..." inside a sentence
            if before and not _SENTENCE_END.search(before):
                # a heading glued before the number ("Försörjningsstöd 10 § Den som ...")
                prefix = before[:sentence_start].strip() if sentence_start else ""
                if glued and glued[0].isupper():
                    if prefix and out:
                        out[-1][4].append(prefix)
                    heading = glued
                else:
                    continue
            elif before and out:
                out[-1][4].append(before)
            expected = (int(m[3]), "") if m[3] else (number, letter)
            key = f"{number}–{m[3]}" if m[3] else f"{number} {letter}".strip()
            out.append((chapter, chapter_title, key, heading, []))
            cursor = m.end()
        rest = text[cursor:].strip()
        if rest and out and out[-1][0] == chapter:
            out[-1][4].append(rest)
    return out


def _next_paragraph(expected: tuple[int, str] | None, number: int, letter: str, lost_one: bool = False) -> bool:
    """The paragraph number that may come next; with `lost_one` (a number opening a
    block) up to two paragraphs the cleaning lost may be skipped."""
    if expected is None:
        return False
    n, l = expected
    if letter:
        return number == n and (not l and letter == "a" or bool(l) and ord(letter) == ord(l) + 1)
    return number == n + 1 or (lost_one and n + 1 < number <= n + 3)


def draft_law(items: list[Block]) -> list[DraftParagraph]:
    return [DraftParagraph(ch, p, title, head, " ".join(x for x in pieces if x).strip())
            for ch, title, p, head, pieces in _split_paragraphs(_sections_of(items, DRAFT_SECTION))]


def commentary(items: list[Block], draft: list[DraftParagraph]) -> list[DraftParagraph]:
    """The commentary per draft paragraph, without the draft text it repeats."""
    texts = {(d.chapter, d.paragraph): _norm(d.text) for d in draft}
    out = []
    for ch, title, key, head, pieces in _split_paragraphs(_sections_of(items, COMMENTARY_SECTION), "1", "Innehåll"):
        first, _, last = key.partition("–")
        numbers = [str(n) for n in range(int(first), int(last) + 1)] if last else [key]
        law = " ".join(texts.get((ch, p), "") for p in numbers)
        own = [x for x in pieces if not (law.strip() and _norm(x) and _norm(x) in law)]
        text = "\n\n".join(x for x in own if x).strip()
        out += [DraftParagraph(ch, p, title, head, text) for p in numbers]  # one text, commenting each
    return out


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def parse_inquiry(html: str) -> Inquiry:
    items = blocks(html)
    secs, count, trailing = sections(items)
    draft = draft_law(items)
    return Inquiry(secs, draft, commentary(items, draft), count, trailing)


# --- passages ---------------------------------------------------------------------

MAX_PART_CHARS = 1500  # a section longer than this is cited in parts (same label)


def _parts(pieces: list[str], limit: int = MAX_PART_CHARS) -> list[str]:
    """Whole blocks packed into parts of at most `limit` characters; a block longer
    than that (merged paragraphs of the cleaned source) is first cut at sentence ends."""
    from assistant.parsing.text import pack_blocks, sentences

    units: list[str] = []
    for piece in pieces:
        units += [piece] if len(piece) <= limit else pack_blocks(sentences(piece), limit, sep=" ")
    return pack_blocks(units, limit)


def official_url(doc) -> str:
    """The document's own page at riksdagen (its HTML), never a search."""
    return next((u for u in doc.urls if "/dokument/" in u), "")


def inquiry_passages(inquiry: Inquiry, doc) -> list:
    """Passages of one volume: numbered sections with text of their own, the draft
    law by paragraph and its commentary by commented paragraph."""
    from assistant.labels import section_label
    from assistant.types import Passage

    url = official_url(doc)
    out: list[Passage] = []

    def add(label: str, key: str, heading: str, pieces: list[str]) -> None:
        for i, text in enumerate(_parts(pieces)):
            out.append(Passage(id=f"{doc.id}:{key}:{i}", doc_id=doc.id, label=label, text=text, kind="inquiry",
                               title=doc.title, heading=heading, part=i, url=url))

    for s in inquiry.sections:
        if s.number in (DRAFT_SECTION, COMMENTARY_SECTION):
            continue
        if s.blocks:
            add(section_label(doc.citation_prefix, s.number), f"avsnitt-{s.number}", " – ".join(s.path), s.blocks)
    for where, items in ((DRAFT_SECTION, inquiry.draft), (COMMENTARY_SECTION, inquiry.commentary)):
        title = next((s.title for s in inquiry.sections if s.number == where), "")
        for d in items:
            if not d.text:
                continue
            heading = " – ".join(x for x in (f"{where} {title}", f"förslaget {d.chapter} kap. {d.chapter_title}",
                                             d.heading) if x)
            key = f"avsnitt-{where}-{d.chapter}-{d.paragraph}".replace(" ", "")
            add(section_label(doc.citation_prefix, where, d.chapter, d.paragraph), key, heading, [d.text])
    return out
