""""Nytt från 1 juli 2025": the new law's provisions without an old counterpart
and the most changed ones, grouped by chapter, each cited."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from assistant.changes.concordance import NEW_SFS, Concordance
from assistant.changes.diff import similarity
from assistant.labels import parse_label


@dataclass
class Item:
    label: str
    heading: str
    kind: str  # new | changed
    detail: str  # old counterparts / relation


def overview(concordance: Concordance, retriever, most_changed: int = 40) -> dict[str, list[Item]]:
    chapters: dict[str, list[Item]] = defaultdict(list)
    titles: dict[str, str] = {}
    for p in concordance.pairs:
        if p.relation == "new":
            label = p.new[0]
            parts = retriever.lookup(label)
            if parts:
                chapters[parts[0].chapter].append(Item(label, parts[0].heading, "new", "saknar motsvarighet i gamla lagen"))
                titles[parts[0].chapter] = parts[0].chapter_title
    changed = []
    for p in concordance.pairs:
        if p.old and p.new and p.relation != "same_wording":
            old = retriever.lookup(p.old)
            for label in p.new:
                new = retriever.lookup(label)
                if old and new:
                    change = 1 - similarity(" ".join(x.text for x in old), " ".join(x.text for x in new))
                    changed.append((change, label, p, new[0]))
    changed.sort(key=lambda t: -t[0])
    seen = set()
    for change, label, pair, first in changed:
        if len(seen) >= most_changed:
            break
        if label in seen:
            continue
        seen.add(label)
        chapters[first.chapter].append(Item(label, first.heading, "changed", f"motsvarar {pair.old} ({pair.relation}, {change:.0%} ändrat)"))
        titles[first.chapter] = first.chapter_title
    ordered = dict(sorted(chapters.items(), key=lambda kv: int(kv[0].split()[0])))
    for items in ordered.values():
        items.sort(key=lambda it: (it.kind != "new", [int(x) if x.isdigit() else x for x in parse_label(it.label).paragraph.split()]))
    return {f"{ch} kap. {titles.get(ch, '')}".strip(): items for ch, items in ordered.items()}


def render_markdown(groups: dict[str, list[Item]], basis: str) -> str:
    lines = ["# Nytt från 1 juli 2025", "",
             f"Nya bestämmelser (utan motsvarighet i SFS 2001:453) och de mest ändrade paragraferna i {NEW_SFS}, per kapitel. "
             + ("Motsvarigheterna är hämtade ur propositionens författningskommentar." if basis == "bill"
                else "Motsvarigheterna är *härledda ur lagtexterna* (propositionen finns inte i källorna här) – kontrollera mot förarbetena."), ""]
    for chapter, items in groups.items():
        lines.append(f"## {chapter}")
        for it in items:
            tag = "**Ny**" if it.kind == "new" else "Ändrad"
            lines.append(f"- {tag}: {it.label}" + (f" – {it.heading}" if it.heading else "") + f" ({it.detail})")
        lines.append("")
    return "\n".join(lines)
