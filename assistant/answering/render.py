"""Plain-text rendering of an Answer for the terminal."""

from __future__ import annotations

import textwrap

from assistant.types import Answer


def render_text(answer: Answer, show_passages: bool = True, nearest_texts: dict[str, str] | None = None) -> str:
    out = [answer.text]
    if answer.citations and show_passages:
        out.append("\nKällor:")
        seen = set()
        for c in answer.citations:
            if c.n in seen:
                continue
            seen.add(c.n)
            title = f"[{c.n}] {c.label}" + (f" – {c.heading}" if c.heading else "")
            out.append(title)
            out.append(textwrap.indent(c.text, "    "))
            if c.url:
                out.append(f"    {c.url}")
    llm_notes = [n for n in answer.notes if "Språkmodell" in n or "togs bort" in n]
    if llm_notes:
        out.append("\n" + "\n".join(f"Obs: {n}" for n in llm_notes))
    if answer.removed:
        out.append("\nBorttaget (ej belagt i källorna):")
        out.extend(f"- {r}" for r in answer.removed)
    if answer.abstained and answer.nearest:
        out.append("\nNärmaste avsnitt (besvarar inte frågan säkert):")
        for label in answer.nearest:
            snippet = (nearest_texts or {}).get(label, "")
            out.append(f"- {label}" + (f": {textwrap.shorten(snippet, 160, placeholder=' …')}" if snippet else ""))
    return "\n".join(out)
