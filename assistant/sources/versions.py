"""Which wording of each statute the index holds ("SFS 2025:400 i lydelse t.o.m.
SFS 2025:1501"), read from the located source files' headers. Handouts print it."""

from __future__ import annotations

from assistant.config import Settings
from assistant.sources.manifest import located_documents


def statute_versions(settings: Settings) -> list[str]:
    from assistant.parsing.statute import _split_header

    out = []
    for doc, path in located_documents(settings):
        head = path.read_bytes()[:2000].decode("utf-8", errors="ignore")  # may cut a character
        meta, _ = _split_header(head)
        line = doc.citation_prefix
        if meta.get("amended_through"):
            line += f" i lydelse t.o.m. {meta['amended_through']}"
        if doc.repealed:
            line += f" (upphävd {doc.repealed})"
        out.append(line)
    return out
