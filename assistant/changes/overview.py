""""Nytt från 1 juli 2025": the new law's provisions without an old counterpart
and the most changed ones, grouped by chapter, each linked to its official text;
rendered as Markdown (CLI) or compact HTML that can be filtered by chapter and
search words (the UI)."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass

from assistant.changes.compare import RELATION_SV
from assistant.changes.concordance import NEW_SFS, Concordance
from assistant.changes.diff import text_similarity
from assistant.labels import parse_label

ALL_CHAPTERS = "Alla kapitel"  # the first of chapter_choices(): no chapter filter
KIND_SV = {"new": "Ny", "changed": "Ändrad"}


@dataclass
class Item:
    label: str
    heading: str
    kind: str  # new | changed
    detail: str  # old counterparts / relation, in Swedish
    url: str = ""  # the official text of the paragraph
    chapter: str = ""  # "20"
    old: str = ""  # the old counterpart (changed items)
    relation: str = ""  # the concordance relation (changed items): see RELATION_SV
    change: float = 0.0  # share of the wording changed (changed items)
    text: str = ""  # the new paragraph's text: searched, not shown
    listed: bool = True  # shown without a search (the new and the most changed); the rest only when searched


def _text(parts) -> str:
    return "\n".join(p.text for p in parts)


def _percent(share: float) -> str:
    return f"{round(share * 100)} %"


def overview(concordance: Concordance, retriever, most_changed: int = 40) -> dict[str, list[Item]]:
    chapters: dict[str, list[Item]] = defaultdict(list)
    titles: dict[str, str] = {}
    for p in concordance.pairs:
        if p.relation == "new":
            label = p.new[0]
            parts = retriever.lookup(label)
            if parts:
                first = parts[0]
                chapters[first.chapter].append(Item(label, first.heading, "new", "saknar motsvarighet i gamla lagen",
                                                    first.url, first.chapter, text=_text(parts)))
                titles[first.chapter] = first.chapter_title
    changed = []
    for p in concordance.pairs:
        if p.old and p.new and p.relation != "same_wording":
            old = retriever.lookup(p.old)
            for label in p.new:
                new = retriever.lookup(label)
                if old and new:
                    change = 1 - text_similarity(" ".join(x.text for x in old), " ".join(x.text for x in new))
                    changed.append((change, label, p, new[0]))
    changed.sort(key=lambda t: -t[0])
    seen = set()
    for change, label, pair, first in changed:
        if label in seen:
            continue
        seen.add(label)
        relation = RELATION_SV.get(pair.relation, pair.relation)
        chapters[first.chapter].append(Item(label, first.heading, "changed",
                                            f"motsvarar {pair.old} ({relation}, {_percent(change)} ändrat)",
                                            first.url, first.chapter, pair.old, pair.relation, round(change, 3),
                                            _text(retriever.lookup(label)), listed=len(seen) <= most_changed))
        titles[first.chapter] = first.chapter_title
    ordered = dict(sorted(chapters.items(), key=lambda kv: int(kv[0].split()[0])))
    for items in ordered.values():
        items.sort(key=lambda it: (it.kind != "new", [int(x) if x.isdigit() else x for x in parse_label(it.label).paragraph.split()]))
    return {f"{ch} kap. {titles.get(ch, '')}".strip(): items for ch, items in ordered.items()}


def _intro(basis: str) -> str:
    return (f"Nya bestämmelser (utan motsvarighet i SFS 2001:453) och de mest ändrade paragraferna i {NEW_SFS}, per kapitel. "
            + ("Motsvarigheterna är hämtade ur propositionens författningskommentar." if basis == "bill"
               else "Motsvarigheterna är härledda ur lagtexterna och, där utredningen (SOU 2020:47) anger det, ur "
                    "utredningens författningskommentar (propositionen finns inte i källorna här) – kontrollera mot "
                    "förarbetena." if basis == "inquiry"
               else "Motsvarigheterna är härledda ur lagtexterna (propositionen finns inte i källorna här) – kontrollera mot förarbetena."))


def render_markdown(groups: dict[str, list[Item]], basis: str) -> str:
    intro = _intro(basis).replace("härledda ur lagtexterna", "*härledda ur lagtexterna*")
    lines = ["# Nytt från 1 juli 2025", "", intro, ""]
    for chapter, items in filter_groups(groups).items():
        lines.append(f"## {chapter}")
        for it in items:
            tag = "**Ny**" if it.kind == "new" else "Ändrad"
            label = f"[{it.label}]({it.url})" if it.url else it.label
            lines.append(f"- {tag}: {label}" + (f" – {it.heading}" if it.heading else "") + f" · {it.detail}")
        lines.append("")
    return "\n".join(lines)


def _chapter_number(text: str | None) -> str:
    m = re.match(r"\s*(\d+(?:\s?[a-z])?)\b", text or "")
    return re.sub(r"\s+", " ", m[1]) if m else ""


def chapter_choices(groups: dict[str, list[Item]]) -> list[str]:
    """Choices for a chapter dropdown: ALL_CHAPTERS, then the group keys ("20 kap. Title")."""
    return [ALL_CHAPTERS] + list(groups)


def filter_groups(groups: dict[str, list[Item]], chapter: str | None = None, query: str | None = None) -> dict[str, list[Item]]:
    """The groups of one chapter (a group key, "20 kap." or "20"; None, "" or
    ALL_CHAPTERS for all) and the items whose label, heading, detail or text contains
    `query` (case-insensitive)."""
    wanted = "" if not chapter or chapter == ALL_CHAPTERS else _chapter_number(chapter)
    q = (query or "").strip().casefold()
    out: dict[str, list[Item]] = {}
    for key, items in groups.items():
        if wanted and _chapter_number(key) != wanted:
            continue
        # without a search: the new and the most changed; a search finds every changed
        # paragraph by its label, heading, detail or text
        kept = [it for it in items if it.listed] if not q else [
            it for it in items if q in f"{it.label}\n{it.heading}\n{it.detail}\n{it.text}".casefold()]
        if kept:
            out[key] = kept
    return out


def render_html(groups: dict[str, list[Item]], basis: str, chapter: str | None = None, query: str | None = None) -> str:
    """The overview (filtered by chapter and search words, see filter_groups) as
    compact HTML: a heading per chapter, one line per provision with a text tag
    ("Ny"/"Ändrad"), a link to its official text, its heading and the detail."""
    shown = filter_groups(groups, chapter, query)
    total = sum(len(items) for items in (groups if query and query.strip() else filter_groups(groups)).values())
    count = sum(len(items) for items in shown.values())
    parts = [f"<div class='overview'><p class='overview-intro'>{html.escape(_intro(basis))}</p>"]
    if not shown:
        what = []
        if chapter and chapter != ALL_CHAPTERS:
            what.append(f"kapitel {_chapter_number(chapter) or chapter}")
        if query and query.strip():
            what.append(f"sökordet ”{query.strip()}”")
        parts.append("<p class='overview-empty'>Inga nya eller ändrade bestämmelser hittades"
                     + (f" för {html.escape(' och '.join(what))}" if what else "") + ".</p></div>")
        return "".join(parts)
    parts.append(f"<p class='overview-count'>Visar {count} av {total} bestämmelser.</p>")
    for key, items in shown.items():
        parts.append(f"<section class='overview-chapter'><h4>{html.escape(key)}</h4><ul class='overview-items'>")
        for it in items:
            short = it.label.removeprefix(NEW_SFS).strip()
            link = (f"<a href='{html.escape(it.url)}' target='_blank' rel='noopener' title='{html.escape(it.label)} (officiell text)'>{html.escape(short)}</a>"
                    if it.url else html.escape(short))
            parts.append(f"<li class='overview-item {it.kind}'><span class='tag tag-{it.kind}'>{KIND_SV.get(it.kind, it.kind)}</span> "
                         f"{link}" + (f" – <span class='item-heading'>{html.escape(it.heading)}</span>" if it.heading else "")
                         + f" · <span class='detail'>{html.escape(it.detail)}</span></li>")
        parts.append("</ul></section>")
    parts.append("</div>")
    return "".join(parts)
