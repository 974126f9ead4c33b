"""PDF documents (the bill and the inquiry as published): text per page with the
printed page number, so citations read "Prop. 2024/25:89 s. 512"."""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass


class DocumentError(Exception):
    """A document that cannot be read; the message is shown to the user (Swedish)."""


@dataclass
class Page:
    index: int  # 0-based physical page
    number: int  # printed page number (or index + 1 when none is found)
    text: str
    headings: list[str]


_PAGE_NO = re.compile(r"^(?:(?:Prop\.|SOU)\s+\S+\s+)?(\d{1,4})(?:\s+(?:Prop\.|SOU)\s+\S+)?$")
_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+([A-ZÅÄÖ][^\n]{2,100})$")


def read_pdf_pages(data: bytes) -> list[Page]:
    """Extract the text of each page; DocumentError for corrupt or encrypted files."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # missing crypto backend, unsupported algorithm
                raise DocumentError(f"PDF-filen är krypterad och kan inte läsas ({exc})") from exc
            if not ok:
                raise DocumentError("PDF-filen är krypterad (lösenordsskyddad) och kan inte läsas")
        texts = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"PDF-filen är skadad eller inte en PDF ({exc.__class__.__name__}: {exc})") from exc
    if not texts:
        raise DocumentError("PDF-filen har inga sidor")
    offsets = _page_offsets(texts)
    return [
        Page(index=i, number=i + offsets, text=t.strip(), headings=find_headings(t))
        for i, t in enumerate(texts)
    ]


def printed_page_number(text: str) -> int | None:
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    for line in lines[:2] + lines[-2:]:
        if m := _PAGE_NO.match(line):
            return int(m[1])
    return None


def _page_offsets(texts: list[str]) -> int:
    """The most common (printed - physical index); 1 when pages carry no numbers."""
    found = Counter()
    for i, t in enumerate(texts):
        n = printed_page_number(t)
        if n is not None:
            found[n - i] += 1
    if found:
        offset, count = found.most_common(1)[0]
        if count >= max(2, len(texts) // 3) or (len(texts) <= 3 and count >= 1):
            return offset
    return 1


def find_headings(text: str) -> list[str]:
    """Numbered section headings such as "8.2 Förebyggande arbete" (not TOC lines)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if "...." in line or line.endswith((".", ",")):
            continue
        if m := _HEADING.match(line):
            out.append(f"{m[1]} {m[2].strip()}")
    return out


def page_passages(pages: list[Page], doc, max_chars: int = 1500) -> list:
    """One passage per printed page (split on paragraph boundaries when long)."""
    from assistant.labels import page_label
    from assistant.parsing.text import pack_blocks
    from assistant.types import Passage

    passages = []
    heading = ""
    for page in pages:
        if page.headings:
            heading_here = page.headings[0]
        else:
            heading_here = heading
        if page.headings:
            heading = page.headings[-1]
        text = re.sub(r"[ \t]+\n", "\n", page.text)
        blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
        if len(blocks) <= 1 and len(text) > max_chars:
            blocks = [b for b in re.split(r"(?<=[.:])\n", text) if b.strip()]
        parts = pack_blocks(blocks, max_chars) if text else []
        for i, part in enumerate(parts):
            passages.append(
                Passage(
                    id=f"{doc.id}/s{page.number}" + (f"#{i + 1}" if len(parts) > 1 else ""),
                    doc_id=doc.id,
                    label=page_label(doc.citation_prefix, page.number),
                    text=part,
                    kind=doc.kind,
                    title=doc.title,
                    heading=heading_here,
                    page=page.number,
                    part=i + 1 if len(parts) > 1 else 0,
                    url=(doc.urls[0] + f"#page={page.index + 1}") if doc.urls else "",
                )
            )
    return passages
