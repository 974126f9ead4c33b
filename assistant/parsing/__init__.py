"""Parsers: a located source file -> Passages. Pure functions per format; this
module only dispatches on the file type and decodes bytes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from assistant.markup import without_format_chars
from assistant.parsing.pdf import DocumentError
from assistant.types import Passage, SourceDoc

MAX_CONTROL_SHARE = 0.01  # text files have tabs and newlines, hardly any other control characters


def refuse_binary(data: bytes) -> None:
    """DocumentError for a file that is not text: NUL bytes (binary formats, UTF-16)
    or a high share of other control characters."""
    if b"\x00" in data:
        raise DocumentError("filen är inte text (den innehåller NUL-byte, som binärfiler och UTF-16)")
    sample = data[:200_000]
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 13, 12)) + sample.count(0x7F)
    if sample and control / len(sample) > MAX_CONTROL_SHARE:
        raise DocumentError(f"filen är inte text ({control / len(sample):.0%} styrtecken)")


def decode_text(data: bytes) -> tuple[str, str]:
    """-> (text, warning). UTF-8 first; Windows-1252 as fallback, said out loud."""
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        text = data.decode("cp1252", errors="replace")
        return text, f"filen är inte giltig UTF-8 (byte {exc.start}); lästes som Windows-1252"


def parse_document(doc: SourceDoc, path: Path) -> tuple[list[Passage], list[str]]:
    """Parse one source file into passages. -> (passages, warnings).
    Raises DocumentError with a Swedish message for unreadable files."""
    from assistant.parsing.article import article_passages
    from assistant.parsing.html import html_pages, statute_text_from_html
    from assistant.parsing.pdf import page_passages, read_pdf_pages
    from assistant.parsing.statute import StatuteParseError, parse_statute, statute_passages

    data = path.read_bytes()
    if not data.strip():
        raise DocumentError("filen är tom")
    suffix = path.suffix.lower()
    warnings: list[str] = []
    if suffix == ".pdf":
        pages = [replace(page, text=without_format_chars(page.text)) for page in read_pdf_pages(data)]
        return page_passages(pages, doc), warnings
    refuse_binary(data)
    text, warning = decode_text(data)
    # Sources are text as read: no bidi overrides or zero-width characters that make
    # a sentence display differently from what it says.
    text = without_format_chars(text)
    if warning:
        warnings.append(warning)
    if doc.kind == "statute":
        if suffix in (".html", ".htm"):
            text = statute_text_from_html(text)
        try:
            statute = parse_statute(text, sfs=doc.citation_prefix, in_force=doc.in_force)
        except StatuteParseError as exc:
            raise DocumentError(str(exc)) from exc
        if not statute.paragraphs:
            raise DocumentError("ingen paragraf hittades i lagtexten")
        return statute_passages(statute, doc), warnings
    if suffix in (".html", ".htm"):
        if doc.kind == "inquiry" and (passages := _report_sections(text, doc)):
            return passages, warnings
        return page_passages(html_pages(text), doc), warnings
    passages = article_passages(text, doc, markdown=suffix == ".md")
    if not passages:
        raise DocumentError("ingen text kvar efter rensning")
    return passages, warnings


def _report_sections(html: str, doc: SourceDoc) -> list[Passage]:
    """An inquiry as riksdagen's cleaned HTML (no page division): by numbered section."""
    from assistant.parsing.inquiry import inquiry_passages, parse_inquiry

    if 'id="page' in html[:200_000]:
        return []  # a PDF-to-HTML conversion with pages: cited by page instead
    return inquiry_passages(parse_inquiry(html), doc)
