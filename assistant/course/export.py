"""Handouts: a module, a quiz (with or without key) or a chat session as Markdown
and as PDF, with citations and the date and version of the sources."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from assistant.course.modules import RenderedModule
from assistant.course.quiz import QuizItem
from assistant.privacy import mask_personnummer


def _footer(versions: list[str]) -> list[str]:
    today = dt.date.today().isoformat()
    return ["", "---", f"Utskrivet {today}. Källor: {'; '.join(versions) or 'se citaten'}.",
            "Alla citat är ordagranna ur källorna; kontrollera mot den officiella texten."]


def module_markdown(rendered: RenderedModule, versions: list[str]) -> str:
    m = rendered.module
    lines = [f"# {m.title}", "", m.summary, ""]
    for kp in rendered.paragraphs:
        lines += [f"## {kp.label}" + (f" – {kp.heading}" if kp.heading else ""), "", "**Nya lagen:**", "", kp.text, ""]
        if kp.old:
            for label, text in kp.old:
                lines += [f"**Gamla lagen, {label}** ({kp.relation}; {kp.basis}):", "", text, ""]
            lines += ["**Ändringar ord för ord** ([-borttaget-] {+tillagt+}):", "", kp.diff, ""]
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
    if with_key:
        lines += ["## Facit", ""]
        for i, item in enumerate(items, 1):
            lines.append(f"{i}. {item.answer} – {item.citation}: ”{item.source}”")
    return "\n".join(lines + _footer(versions)) + "\n"


def session_markdown(history: list[dict], versions: list[str]) -> str:
    lines = ["# Samtal med assistenten", ""]
    for m in history:
        who = "Fråga" if m.get("role") == "user" else "Svar"
        content = m.get("content")
        if isinstance(content, list):
            content = " ".join(c.get("text", "") for c in content if isinstance(c, dict))
        content = re.sub(r"<details>.*?</details>", "", str(content), flags=re.S)
        content = mask_personnummer(content)[0]  # the history comes from the page: mask it again
        lines += [f"## {who}", "", content, ""]
    return "\n".join(lines + _footer(versions)) + "\n"


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


def markdown_to_pdf(markdown: str, title: str = "") -> bytes:
    """A plain, readable PDF of our Markdown subset (headings, lists, paragraphs)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(title or "Handout")
    font = _font_path()
    if font:
        pdf.add_font("DejaVu", "", font)
        bold = font.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
        pdf.add_font("DejaVu", "B", bold if Path(bold).exists() else font)
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
        elif line.strip() == "---":
            pdf.ln(2)
        elif not line.strip():
            pdf.ln(2)
        else:
            pdf.set_font(family, "B" if line.startswith("**") and line.endswith(("**", ":")) else "", 10)
            text = ("• " + plain[2:]) if plain.startswith("- ") else plain
            pdf.multi_cell(width, 5, text, new_x="LMARGIN", new_y="NEXT", align="L")
    return bytes(pdf.output())
