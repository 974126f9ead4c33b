"""Handouts: a module, a quiz (with or without key) or a chat session as Markdown
and as PDF, with citations and the date and version of the sources."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from assistant.conversation.followup import content_text
from assistant.course.modules import RenderedModule
from assistant.course.quiz import QuizItem
from assistant.labels import source_name
from assistant.markup import from_text
from assistant.privacy import mask_personnummer

PAGE_BREAK = "<div style='page-break-after: always'></div>"  # a new page (PDF, and Markdown viewers)


def _footer(versions: list[str]) -> list[str]:
    today = dt.date.today().isoformat()
    return ["", "---", f"Utskrivet {today}. Lagarnas lydelse: {'; '.join(versions) or 'se citaten'}.",
            "Alla citat är ordagranna ur källorna; kontrollera mot den officiella texten."]


def module_markdown(rendered: RenderedModule, versions: list[str]) -> str:
    m = rendered.module
    lines = [f"# {m.title}", "", m.summary, ""]
    for kp in rendered.paragraphs:
        lines += [f"## {kp.label}" + (f" – {kp.heading}" if kp.heading else ""), "", "**Nya lagen:**", "", kp.text, ""]
        if kp.old:
            for label, text in kp.old:
                lines += [f"**Gamla lagen, {label}** ({kp.relation}; {kp.basis}):", "", text, ""]
            lines += ["**Ändringar ord för ord** (~~struket~~ = borttaget, **fetstil** = tillagt):", "", kp.diff, ""]
        else:
            lines += ["*Ingen motsvarighet i gamla lagen hittades.*", ""]
    if rendered.background:
        lines += ["## Ur förarbetena", ""]
        for label, text in rendered.background:
            lines += [f"**{label}**", "", text, ""]
    lines += ["## Diskussionsfrågor", ""] + [f"{i}. {q}" for i, q in enumerate(m.questions, 1)]
    return "\n".join(lines + _footer(versions)) + "\n"


def quiz_markdown(items: list[QuizItem], title: str, with_key: bool, versions: list[str]) -> str:
    lines = [f"# Quiz: {title}", ""]
    for i, item in enumerate(items, 1):
        lines.append(f"**{i}.** {item.prompt}")
        for letter, option in zip("ABCDEFG", item.options):
            lines.append(f"- {letter}. {option}")
        if not item.options:
            lines.append("- Svar: ______________")
        lines.append("")
    if with_key:  # on a page of its own, after the questions
        lines += [PAGE_BREAK] + _key_lines(items)
    return "\n".join(lines + _footer(versions)) + "\n"


def key_markdown(items: list[QuizItem], title: str, versions: list[str]) -> str:
    """The answer key alone, for the trainer."""
    return "\n".join([f"# Facit: {title}", ""] + _key_lines(items)[2:] + _footer(versions)) + "\n"


def _key_lines(items: list[QuizItem]) -> list[str]:
    lines = ["## Facit", ""]
    for i, item in enumerate(items, 1):
        lines += [f"{i}. **{item.answer}** – {item.citation}: ”{item.source}”", ""]
    return lines


def _plain(content) -> str:
    """A chat message as plain text: no HTML, no folded details, personnummer masked
    (the history comes from the page: it is masked again)."""
    text = re.sub(r"<details>.*?</details>", "", content_text(content), flags=re.S)
    text = from_text(re.sub(r"<[^>]+>", "", text)).replace("**", "")
    return mask_personnummer(text)[0].strip()


def session_markdown(history: list[dict], versions: list[str], turns: list | None = None) -> str:
    """The conversation as a document: each question, its answer with numbered
    citations, and under it the sources with their quotes and links; the laws'
    versions and the reference date at the end. `turns` are the pipeline's turns
    (Turn.to_dict()) in the order of the assistant's messages; without one a
    message is printed as plain text."""
    lines = ["# Samtal med assistenten", ""]
    turns = list(turns or [])
    answered = 0
    dates: set[str] = set()
    asked = 0
    for m in history:
        if m.get("role") == "user":
            asked += 1
            lines += [f"## Fråga {asked}", "", _plain(m.get("content")), ""]
            continue
        turn = turns[answered] if answered < len(turns) else None
        answered += 1
        if not isinstance(turn, dict) or not turn.get("text") or turn.get("kind") == "comparison":
            lines += ["### Svar", "", _plain(m.get("content")), ""]
            continue
        dates.add(turn.get("reference_date", ""))
        lines += ["### Svar", "", mask_personnummer(turn["text"])[0].replace("**", ""), ""]
        sources: dict[int, list[dict]] = {}
        for c in turn.get("citations", []):
            sources.setdefault(c["n"], []).append(c)
        if sources:
            lines += ["### Källor", ""]
        for n, quoted in sources.items():
            c = quoted[0]
            link = f" – {c['url']}" if c.get("url") else ""
            lines.append(f"- [{n}] {source_name(c['label'], c.get('kind', ''), c.get('title', ''))}{link}")
            lines += [f"  ”{q['quote']}”" for q in quoted]
        lines.append("")
    footer = _footer(versions)
    if dates - {""}:
        footer.insert(2, "Referensdatum för svaren: " + ", ".join(sorted(dates - {""})) + ".")
    return "\n".join(lines + footer) + "\n"


# --- PDF ------------------------------------------------------------------------------

_LATIN1 = str.maketrans({"”": '"', "“": '"', "’": "'", "–": "-", "—": "-", "…": "...", "‹": "<", "›": ">", "•": "-"})


def _font_path() -> str | None:
    """DejaVu Sans (full Unicode) as shipped with matplotlib, when installed."""
    try:
        import matplotlib

        path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        return str(path) if path.exists() else None
    except ImportError:
        return None


def _pdf_markdown(line: str) -> str:
    """Our Markdown line in fpdf2's inline markup: **bold**, ~~struck~~ (diffs) and
    *italic* (as fpdf's __italic__); a literal "--" or "__" of the text must not
    switch underline or italics on."""
    line = line.replace("--", "-\u2011").replace("_", "_\u200b")
    return re.sub(r"(?<![*\w])\*(?!\*)(\S.*?)(?<![*\s])\*(?![*\w])", r"__\1__", line)


def markdown_to_pdf(markdown: str, title: str = "") -> bytes:
    """A plain, readable PDF of our Markdown subset (headings, lists, paragraphs)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(title or "Handout")
    font = _font_path()
    if font:
        pdf.add_font("DejaVu", "", font)
        for style, name in (("B", "Bold"), ("I", "Oblique"), ("BI", "BoldOblique")):
            variant = font.replace("DejaVuSans.ttf", f"DejaVuSans-{name}.ttf")
            pdf.add_font("DejaVu", style, variant if Path(variant).exists() else font)
        family, clean = "DejaVu", (lambda t: t)
    else:
        family, clean = "Helvetica", (lambda t: t.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1"))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for raw in markdown.splitlines():
        line = clean(raw.rstrip())
        plain = re.sub(r"\*\*(.+?)\*\*|\*(.+?)\*", lambda m: m[1] or m[2], line)
        if line.startswith("# "):
            pdf.set_font(family, "B", 16)
            pdf.multi_cell(width, 8, plain[2:], new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(2)
        elif line.startswith("## "):
            pdf.set_font(family, "B", 12)
            pdf.ln(2)
            pdf.multi_cell(width, 6, plain[3:], new_x="LMARGIN", new_y="NEXT", align="L")
        elif line.startswith("### "):
            pdf.set_font(family, "B", 11)
            pdf.ln(1)
            pdf.multi_cell(width, 6, plain[4:], new_x="LMARGIN", new_y="NEXT", align="L")
        elif raw.strip() == PAGE_BREAK:
            pdf.add_page()
        elif line.strip() == "---":
            pdf.ln(2)
        elif not line.strip():
            pdf.ln(2)
        else:
            pdf.set_font(family, "", 10)
            text = _pdf_markdown(line)
            text = ("• " + text[2:]) if text.startswith("- ") else text
            indent = 6 if line.startswith("  ") else 0  # a quote under its source
            pdf.set_x(pdf.l_margin + indent)
            pdf.multi_cell(width - indent, 5, text.strip() if indent else text, new_x="LMARGIN", new_y="NEXT",
                           align="L", markdown=True)
    return bytes(pdf.output())
