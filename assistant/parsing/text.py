"""Text helpers shared by parsers and the answerer: sentence spans, boilerplate."""

from __future__ import annotations

import re

# Tokens that end with a period without ending a sentence.
ABBREVIATIONS = {
    "kap", "t.ex", "bl.a", "m.m", "m.fl", "dvs", "d.v.s", "s", "st", "p", "jfr", "resp",
    "ca", "nr", "prop", "t.o.m", "fr.o.m", "o.d", "o.s.v", "osv", "jämte", "ang", "f.d",
    "el", "mm", "s.k", "sk", "dir", "bet", "rskr", "sfs", "t.ex.", "kl", "tel",
}

_BOUNDARY = re.compile(r"[.!?](?=[\"”’)]?\s+[\"”“(]?[A-ZÅÄÖÉ0-9–-])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`; text[start:end] is verbatim.

    A blank line (stycke boundary) always ends a sentence. A period ends one when
    followed by whitespace and an upper-case letter, unless it closes a known
    abbreviation ("kap.", "t.ex.") or follows a paragraph/point number, so
    "enligt 27 kap. 5 §" and numbered lists stay whole.
    """
    spans: list[tuple[int, int]] = []
    # Blank lines (stycken) and bulleted lines (web lists) separate sentences.
    for block in re.finditer(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*\n\s*[•*]\s|\s*$)", text, re.S):
        start = block.start()
        for m in _BOUNDARY.finditer(block.group()):
            end = block.start() + m.end()
            before = text[start:end - 1]
            word = re.search(r"(\S+)$", before)
            token = word[1].lower() if word else ""
            if token.rstrip(".") in ABBREVIATIONS or re.search(r"(?:^|\n)\s*\d+[a-z]?$", before):
                continue
            nxt = text[end:].lstrip()
            if nxt[:1].isdigit() and re.match(r"\d+\s*(?:kap|§|st)", nxt):
                continue
            spans.append(_trim(text, start, end))
            start = end
            while start < block.end() and text[start].isspace():
                start += 1
        if start < block.end():
            spans.append(_trim(text, start, block.end()))
    return [s for s in spans if s[1] > s[0]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


# Web boilerplate in scraped articles: whole lines that are navigation, comment
# rules, contact forms or subscription prompts.
_BOILERPLATE_LINES = re.compile(
    r"^(?:hem|kontaktuppgifter|kontakta oss|fler kontaktuppgifter|läs vidare|läs mer|skribent|"
    r"kommentarer|prenumeration|prenumerera|sök i bloggen|om bloggen|dela|dela sidan|"
    r"regler för kommentarer|här är våra regler:?|stängd för fler kommentarer|"
    r"du måste vara inloggad för att få kommentera|kontaktformulär.*|verifiering.*|"
    r"vi kontrollerar att du är en människa.*|\d{1,5}|skriv ut|tipsa|"
    r"publicerad:? \d{4}-\d{2}-\d{2}|senast uppdaterad.*)$",
    re.I,
)
# Once one of these starts a line, the rest of the page is comment section/footer.
_TAIL_START = re.compile(r"^(?:kommentarer|regler för kommentarer|om bloggen)$", re.I)


def strip_boilerplate(text: str) -> str:
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    kept: list[str] = []
    for i, line in enumerate(lines):
        if _TAIL_START.match(line) and i > len(lines) * 0.4:
            break
        if line.startswith(("•", "Kommentarer ", "Kommentarerna ")) and "kommentar" in line.lower():
            continue
        if _BOILERPLATE_LINES.match(line):
            continue
        kept.append(line)
    out = "\n".join(kept)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def pack_blocks(blocks: list[str], max_chars: int, sep: str = "\n\n") -> list[str]:
    """Greedily pack whole blocks into chunks of at most max_chars (a block longer
    than max_chars becomes a chunk of its own: never split mid-block)."""
    chunks: list[str] = []
    current = ""
    for block in blocks:
        if current and len(current) + len(sep) + len(block) > max_chars:
            chunks.append(current)
            current = block
        else:
            current = f"{current}{sep}{block}" if current else block
    if current:
        chunks.append(current)
    return chunks
