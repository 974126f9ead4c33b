"""Chat helpers, independent of Gradio: source filters, answer and passage
rendering, local feedback log."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import threading
from pathlib import Path

from assistant.answering.extractive import ANSWER_HEADING, MORE_HEADING
from assistant.markup import as_text, without_format_chars
from assistant.privacy import mask_personnummer
from assistant.retrieval.hybrid import Filters
from assistant.types import Answer, Citation

# --- source filters ------------------------------------------------------------------

SOURCE_CHOICES = {
    "Nya lagen (SFS 2025:400)": ("statute", "new"),
    "Gamla lagen (SFS 2001:453)": ("statute", "old"),
    "Propositionen (Prop. 2024/25:89)": ("bill", ""),
    "Utredningen (SOU 2020:47)": ("inquiry", ""),
    "Artiklar och regeringens sidor": ("article", ""),
}


def indexed_kinds(settings) -> set[str]:
    """The kinds of source the served index holds: its documents (state.json) by the
    manifest's kinds."""
    from assistant.sources.manifest import load_manifest

    path = settings.index_dir / "state.json"
    if not path.exists():
        return set()
    documents = json.loads(path.read_text(encoding="utf-8")).get("documents", {})
    return {doc.kind for doc in load_manifest(settings.manifest) if documents.get(doc.id, {}).get("passages")}


def available_choices(kinds: set[str]) -> tuple[list[str], list[str]]:
    """(source filters offered, sources shown as not in the index): a filter only
    for what can be searched. Without an index everything is offered."""
    if not kinds:
        return list(SOURCE_CHOICES), []
    offered = [name for name, (kind, _) in SOURCE_CHOICES.items() if kind in kinds]
    return offered, [name for name in SOURCE_CHOICES if name not in offered]


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


# --- rendering ------------------------------------------------------------------------------

NOTICE_ABSTAIN = "**Källorna besvarar inte frågan.**"


def turn_markdown(turn) -> str:
    """The answer of a turn for the chat. A follow-up says how it was read, so
    a wrongly joined question is visible at once. Everything quoted or typed is
    shown as text (`as_text`): only the app's own markup is live."""
    answer = turn.answer
    parts = []
    if turn.masked:
        parts.append("*Personnumret i frågan har tagits bort och sparas inte.*")
    if turn.follow_up:
        parts.append(f"*Läst som följdfråga till föregående fråga:* {as_text(turn.question)}")
    if answer.abstained:
        reason = answer.text.replace("Källorna besvarar inte den här frågan.", "").strip()
        parts.append(f"{NOTICE_ABSTAIN} {as_text(reason)}")
        if answer.nearest:
            parts.append("Närmaste avsnitt: " + as_text(", ".join(answer.nearest)))
    else:
        parts.append(link_markers(_headings_bold(answer.text), answer.citations))
    if answer.notes and answer.answerer != "extractive":
        parts.append("\n".join(f"*{as_text(n)}*" for n in answer.notes))
    if answer.removed:
        items = "".join(f"<li>{html.escape(r)}</li>" for r in answer.removed)
        parts.append(f"<details><summary>Visa vad som togs bort ({len(answer.removed)})</summary><ul>{items}</ul></details>")
    if footer := version_line(turn):
        parts.append(f"*{footer}*")
    return "\n\n".join(parts)


def version_line(turn) -> str:
    """Which wording of each quoted law the answer rests on, and the reference date."""
    if not turn.versions and not turn.reference_date:
        return ""
    quoted = f"Citerad lydelse: {'; '.join(turn.versions)}. " if turn.versions else ""
    return f"{quoted}Referensdatum: {turn.reference_date}."


def _headings_bold(text: str) -> str:
    """The answer as text, its own headings ("Svar – … [1]:", "Mer ur källorna:") in bold."""
    heads = (ANSWER_HEADING + " – ", MORE_HEADING + ":")
    return "\n".join(f"**{as_text(line)}**" if line.startswith(heads) else as_text(line) for line in text.split("\n"))


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
        out.append(html.escape(without_format_chars(text[pos:a])))
        out.append(f"<mark>{html.escape(without_format_chars(text[a:b]))}</mark>")
        pos = b
    out.append(html.escape(without_format_chars(text[pos:])))
    return "".join(out).replace("\n", "<br>")


KIND_TAG = {"statute": "lagtext", "bill": "förarbete – proposition", "inquiry": "förarbete – utredning",
            "article": "artikel – inte lagtext"}


def source_caption(c: Citation, publishers: dict[str, str] | None = None) -> str:
    """'Socialtjänstlag (2025:400) · Riksdagen (Svensk författningssamling)'."""
    publisher = (publishers or {}).get(c.doc_id, "")
    return " · ".join(x for x in (c.title, publisher) if x)


def link_markers(text: str, citations: list[Citation]) -> str:
    """Every [n] of the answer (as escaped by `as_text`) as a link to the cited passage beside it."""
    labels = {c.n: c.label for c in citations}

    def link(m: re.Match) -> str:
        n = int(m[1])
        if n not in labels:
            return m[0]
        return f"<a href='#passage-{n}' class='cite' title='{html.escape(labels[n])}'>[{n}]</a>"

    return re.sub(r"\\?\[(\d+)\\?\]", link, text)


def passages_html(answer: Answer, publishers: dict[str, str] | None = None) -> str:
    """The cited passages, numbered as in the answer, each with its source, its
    kind (law, preparatory work, or an article that is not law) and the quoted
    sentences marked."""
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
        if c.url and c.kind == "article":
            link = f" <a href='{html.escape(c.url)}' target='_blank' rel='noopener'>källan</a>"
        tag = KIND_TAG.get(c.kind, "")
        tag_html = f" <span class='kind kind-{html.escape(c.kind)}'>{tag}</span>" if tag else ""
        caption = source_caption(c, publishers)
        caption_html = f"<div class='source'>{html.escape(caption)}</div>" if caption else ""
        heading = f"<div class='heading'>{html.escape(c.heading)}</div>" if c.heading else ""
        blocks.append(
            f"<div class='passage' id='passage-{n}'><div class='label'><b>[{n}] {html.escape(c.label)}</b>"
            f"{tag_html}{dates}{link}</div>{caption_html}{heading}<div class='text'>{_highlight(c.text, seen[n])}</div></div>"
        )
    return "\n".join(blocks)


def beside_html(beside: list[dict]) -> str:
    """What is shown beside the answer: the inquiry's commentary on a cited paragraph
    ("Förarbeten") or the enacted law beside an answer from the inquiry ("Gällande lag")."""
    out = []
    for heading in dict.fromkeys(b["heading"] for b in beside):
        items = []
        for b in (b for b in beside if b["heading"] == heading):
            note = f" <span class='kind kind-{html.escape(b['kind'])}'>{html.escape(b['note'])}</span>" if b["note"] else ""
            about = f"<div class='source'>om {html.escape(b['about'])}</div>" if b.get("about") else ""
            link = (f" <a href='{html.escape(b['url'])}' target='_blank' rel='noopener'>officiell text</a>"
                    if b.get("url") else "")
            items.append(f"<div class='passage beside-item'><div class='label'><b>{html.escape(b['label'])}</b>{note}{link}"
                         f"</div>{about}<div class='text beside-text'>{html.escape(b['text']).replace(chr(10), '<br>')}"
                         "</div></div>")
        out.append(f"<div class='beside'><h4>{html.escape(heading)}</h4>{''.join(items)}</div>")
    return "\n".join(out)


def beside_text(beside: list[dict]) -> str:
    lines = []
    for b in beside:
        note = f" ({b['note']})" if b["note"] else ""
        lines += [f"{b['heading']}: {b['label']}{note}" + (f" – {b['url']}" if b.get("url") else ""), b["text"], ""]
    return "\n".join(lines).strip()


def copy_text(answer: Answer) -> str:
    """The answer with its sources, as plain text for pasting elsewhere."""
    lines = [answer.text, "", "Källor:"]
    done = set()
    for c in answer.citations:
        if c.n in done:
            continue
        done.add(c.n)
        kind = f" ({KIND_TAG[c.kind]})" if c.kind in ("article", "bill", "inquiry") else ""
        lines.append(f"[{c.n}] {c.label}{kind}" + (f" – {c.title}" if c.title else "") + (f" – {c.url}" if c.url else ""))
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
