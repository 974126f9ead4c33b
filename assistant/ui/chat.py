"""Chat helpers, independent of Gradio: follow-up questions, source filters,
personnummer masking, answer and passage rendering, local feedback log."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading
from pathlib import Path

from assistant.retrieval.hybrid import Filters
from assistant.retrieval.references import find_references
from assistant.types import Answer

# --- personal data ---------------------------------------------------------------

# Swedish personnummer / samordningsnummer: (ÅÅ)ÅÅMMDD, then a hyphen, en or em
# dash, minus sign, plus, space or nothing, then NNNN; day + 60 for samordningsnummer.
_PNR = re.compile(
    r"(?<![\d\-–—−])(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[1-2]\d|3[01]|6[1-9]|[7-8]\d|9[01])"
    r"\s?[-–—−+]?\s?\d{4}(?!\d)"
)
PNR_MASK = "[personnummer borttaget]"


def mask_personnummer(text: str) -> tuple[str, bool]:
    masked, n = _PNR.subn(PNR_MASK, text)
    return masked, n > 0


# --- source filters ------------------------------------------------------------------

SOURCE_CHOICES = {
    "Nya lagen (SFS 2025:400)": ("statute", "new"),
    "Gamla lagen (SFS 2001:453)": ("statute", "old"),
    "Propositionen (Prop. 2024/25:89)": ("bill", ""),
    "Utredningen (SOU 2020:47)": ("inquiry", ""),
    "Artiklar och regeringens sidor": ("article", ""),
}


def filters_from_choices(choices: list[str] | None) -> Filters:
    """The checked sources -> Filters; nothing (or everything) checked = all sources."""
    chosen = [SOURCE_CHOICES[c] for c in (choices or []) if c in SOURCE_CHOICES]
    if not chosen or len(chosen) == len(SOURCE_CHOICES):
        return Filters()
    kinds = tuple(dict.fromkeys(kind for kind, _ in chosen))
    versions = tuple(v for kind, v in chosen if v)
    if set(versions) == {"new", "old"}:
        versions = ()
    return Filters(kinds=kinds, law_versions=versions)


# --- follow-up questions ------------------------------------------------------------

_FOLLOW_UP_START = re.compile(
    r"^(och|men|samt|även|också|då|sen|hur (är|var) det|gäller (det|samma)|samma|vad (stod|sa|gällde|står)|"
    r"i (den )?gamla|enligt (den )?gamla|i (den )?nya|enligt (den )?nya|för|om|vad (händer|gäller) (då|för)|"
    r"vilken paragraf|var står det|det|den|dessa|detta)\b",
    re.I,
)


def user_messages(history: list[dict]) -> list[str]:
    out = []
    for m in history or []:
        if m.get("role") == "user":
            content = m.get("content")
            if isinstance(content, list):  # Gradio 6 may give content parts
                content = " ".join(c.get("text", "") for c in content if isinstance(c, dict))
            out.append(str(content))
    return out


def is_follow_up(message: str) -> bool:
    words = re.findall(r"\w+", message)
    if find_references(message):
        return False
    return bool(_FOLLOW_UP_START.match(message.strip())) or len(words) <= 3


def standalone_question(message: str, history: list[dict]) -> str:
    """A follow-up ("och för äldre?", "vad stod i gamla lagen?") is read together
    with the previous question; a full question stands alone."""
    previous = [q for q in user_messages(history) if q.strip()]
    if not previous or not is_follow_up(message):
        return message
    base = previous[-1]
    # The previous question may itself have been a follow-up: walk back to a full one.
    for q in reversed(previous):
        base = q
        if not is_follow_up(q):
            break
    return f"{base.rstrip(' ?.')} – {message.strip()}"


# --- rendering ------------------------------------------------------------------------------

NOTICE_ABSTAIN = "⚠️ **Källorna besvarar inte frågan.**"


def answer_markdown(answer: Answer, asked: str | None = None) -> str:
    """The answer for the chat; when the question was read together with the
    conversation (a follow-up), say how it was read."""
    parts = []
    if asked is not None and asked.strip() != answer.question.strip():
        parts.append(f"*Tolkad som:* {answer.question}")
    if answer.abstained:
        parts.append(f"{NOTICE_ABSTAIN} {answer.text.replace('Källorna besvarar inte den här frågan.', '').strip()}")
        if answer.nearest:
            parts.append("Närmaste avsnitt: " + ", ".join(answer.nearest))
    else:
        parts.append(answer.text)
    if answer.notes and answer.answerer != "extractive":
        parts.append("\n".join(f"*{html.escape(n)}*" for n in answer.notes))
    if answer.removed:
        items = "".join(f"<li>{html.escape(r)}</li>" for r in answer.removed)
        parts.append(f"<details><summary>Visa vad som togs bort ({len(answer.removed)})</summary><ul>{items}</ul></details>")
    return "\n\n".join(parts)


def _highlight(text: str, quotes: list[str]) -> str:
    """HTML of the passage with the quoted sentences marked (quotes are verbatim)."""
    spans = []
    for q in quotes:
        start = text.find(q)
        if start >= 0:
            spans.append((start, start + len(q)))
    spans.sort()
    out, pos = [], 0
    for a, b in spans:
        if a < pos:
            continue
        out.append(html.escape(text[pos:a]))
        out.append(f"<mark>{html.escape(text[a:b])}</mark>")
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def passages_html(answer: Answer) -> str:
    if not answer.citations:
        return "<p class='no-sources'>Inga citerade avsnitt.</p>"
    blocks = []
    seen: dict[int, list[str]] = {}
    first = {}
    for c in answer.citations:
        seen.setdefault(c.n, []).append(c.quote)
        first.setdefault(c.n, c)
    for n, c in first.items():
        dates = ""
        if c.valid_from and c.valid_from != "2025-07-01" and c.label.startswith("SFS 2025:400"):
            dates = f" <span class='date'>(lydelse från {c.valid_from})</span>"
        if c.label.startswith("SFS 2001:453"):
            dates = " <span class='date'>(gamla lagen, upphävd 2025-07-01)</span>"
        link = f" <a href='{html.escape(c.url)}' target='_blank' rel='noopener'>officiell text</a>" if c.url else ""
        heading = f"<div class='heading'>{html.escape(c.heading)}</div>" if c.heading else ""
        blocks.append(
            f"<div class='passage' id='passage-{n}'><div class='label'><b>[{n}] {html.escape(c.label)}</b>{dates}{link}</div>"
            f"{heading}<div class='text'>{_highlight(c.text, seen[n])}</div></div>"
        )
    return "\n".join(blocks)


def copy_text(answer: Answer) -> str:
    """The answer with its sources, as plain text for pasting elsewhere."""
    lines = [answer.text, "", "Källor:"]
    done = set()
    for c in answer.citations:
        if c.n in done:
            continue
        done.add(c.n)
        lines.append(f"[{c.n}] {c.label}" + (f" – {c.url}" if c.url else ""))
        lines.append(c.text)
        lines.append("")
    if answer.abstained and answer.nearest:
        lines.append("Närmaste avsnitt: " + ", ".join(answer.nearest))
    return "\n".join(lines).strip()


# --- feedback ------------------------------------------------------------------------------


class FeedbackLog:
    """Thumbs up/down stored locally as JSON lines. The question text is kept only
    when the user opts in, and personnummer are masked even then."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def record(self, rating: str, answer: dict | None, question: str | None, include_question: bool) -> dict:
        entry = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "rating": rating,
            "abstained": bool(answer and answer.get("abstained")),
            "cited": sorted({c["label"] for c in (answer or {}).get("citations", [])}),
        }
        if include_question and question:
            entry["question"] = mask_personnummer(question)[0]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry
