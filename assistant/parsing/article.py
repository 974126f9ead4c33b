"""Articles: scraped plain text (seeds) and Markdown (government pages).

Web boilerplate is stripped; the text is cut into passages of a few paragraphs,
each carrying the article's title and the nearest Markdown heading. Every passage
of an article has the article's label (`seed:<stem>` / `regeringen:<stem>`).
"""

from __future__ import annotations

import re

from assistant.parsing.text import pack_blocks, strip_boilerplate

MAX_CHARS = 900


def parse_article(text: str, markdown: bool) -> tuple[str, list[tuple[str, str]]]:
    """-> (title, [(heading, block), ...])."""
    text = strip_boilerplate(text)
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    if not blocks:
        return "", []
    title = blocks[0].lstrip("# ").strip()
    out: list[tuple[str, str]] = []
    heading = ""
    for block in blocks[1:] if markdown or len(blocks) > 1 else blocks:
        if markdown and (m := re.match(r"^#{1,6}\s+(.*)$", block)):
            heading = m[1].strip()
            continue
        if markdown:
            block = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", block)  # links -> text
        out.append((heading, block))
    return title, out


def article_passages(text: str, doc, markdown: bool) -> list:
    from assistant.labels import article_label
    from assistant.types import Passage

    title, blocks = parse_article(text, markdown)
    label = article_label(doc.citation_prefix, doc.id.split(":", 1)[-1])
    passages = []
    # Group consecutive blocks under the same heading, then pack them.
    groups: list[tuple[str, list[str]]] = []
    for heading, block in blocks:
        if groups and groups[-1][0] == heading:
            groups[-1][1].append(block)
        else:
            groups.append((heading, [block]))
    n = 0
    for heading, group in groups:
        for chunk in pack_blocks(group, MAX_CHARS):
            n += 1
            passages.append(
                Passage(
                    id=f"{doc.id}#{n}",
                    doc_id=doc.id,
                    label=label,
                    text=chunk,
                    kind=doc.kind,
                    title=title or doc.title,
                    heading=heading or title,
                    part=n,
                    url=doc.urls[0] if doc.urls else "",
                )
            )
    return passages
