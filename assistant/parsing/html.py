"""HTML sources: riksdagen/rkrattsbaser pages.

- A statute page: the law text sits in `div.body-text` blocks; it is turned back
  into the plain consolidated text and parsed by `statute.parse_statute`.
- A bill or inquiry page (riksdagen's PDF-to-HTML conversion): one element per
  PDF page (`id="page_12"` / `id="page12-div"`); the text of each becomes a Page,
  with printed page numbers found as for PDFs.
"""

from __future__ import annotations

import re

from assistant.parsing.pdf import DocumentError, Page, _page_offsets, find_headings

_PAGE_ID = re.compile(r"^page[_-]?(\d+)(?:-div)?$", re.I)


def _soup(html: str):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "form", "noscript"]):
        tag.decompose()
    return soup


def statute_text_from_html(html: str) -> str:
    """The consolidated law text of an rkrattsbaser/riksdagen SFS page."""
    soup = _soup(html)
    boxes = soup.select("div.body-text")
    if not boxes:
        raise DocumentError("HTML-sidan innehåller ingen lagtext (div.body-text saknas)")
    # The metadata boxes are short ("Ikraft: ..."); the law text is the longest one.
    text = max((b.get_text() for b in boxes), key=len)
    return text.replace("\xa0", " ")


def html_pages(html: str) -> list[Page]:
    soup = _soup(html)
    elements = [el for el in soup.find_all(id=_PAGE_ID)]
    if not elements:
        raise DocumentError("HTML-dokumentet saknar sidindelning; sidnummer kan inte anges (använd PDF-versionen)")
    texts = []
    for el in elements:
        lines = [re.sub(r"\s+", " ", s).strip() for s in el.get_text("\n").split("\n")]
        texts.append("\n".join(l for l in lines if l))
    offset = _page_offsets(texts)
    return [Page(i, i + offset, t, find_headings(t)) for i, t in enumerate(texts)]
