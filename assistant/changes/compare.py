"""Side-by-side comparison of a paragraph of the old law and its counterpart(s)
in the new law (or the other way round), with a word-level diff."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from assistant.changes.concordance import NEW_SFS, OLD_SFS, Concordance, Pair
from assistant.changes.diff import DiffOp, render_html, render_text, word_diff
from assistant.labels import statute_label
from assistant.retrieval.references import find_references, law_hint

RELATION_SV = {
    "same_wording": "samma lydelse (bara språkliga ändringar)",
    "reworded": "omformulerad",
    "split": "uppdelad på flera paragrafer",
    "merged": "sammanslagen med andra paragrafer",
    "moved_in_part": "delvis flyttad",
    "removed": "saknar motsvarighet i nya lagen",
    "new": "ny bestämmelse utan motsvarighet i gamla lagen",
}
BASIS_SV = {"bill": "enligt propositionens författningskommentar",
            "text": "härledd ur lagtexterna (inte bekräftad av propositionen)"}


@dataclass
class Side:
    label: str
    text: str
    heading: str = ""
    url: str = ""
    valid_from: str = ""


@dataclass
class Comparison:
    asked: str  # the label the user named
    pairs: list[Pair]
    old: list[Side] = field(default_factory=list)
    new: list[Side] = field(default_factory=list)
    diffs: list[tuple[str, str, list[DiffOp]]] = field(default_factory=list)  # (old, new, ops)
    missing: str = ""  # the named paragraph does not exist

    @property
    def relation(self) -> str:
        return ", ".join(dict.fromkeys(RELATION_SV[p.relation] for p in self.pairs)) if self.pairs else ""

    @property
    def basis(self) -> str:
        return ", ".join(dict.fromkeys(BASIS_SV[p.basis] for p in self.pairs))


def _side(retriever, label: str, date: str | None) -> Side | None:
    parts = retriever.lookup(label, date)
    if not parts:
        return None
    return Side(label, "\n\n".join(p.text for p in parts), parts[0].heading, parts[0].url, parts[0].valid_from)


def resolve_label(text: str) -> str | None:
    """The first paragraph named in `text`, in the law it names (default: new)."""
    refs = find_references(text)
    if not refs:
        return None
    ref = refs[0]
    sfs = ref.sfs or ({"old": OLD_SFS}.get(law_hint(text) or "", NEW_SFS))
    return statute_label(sfs, ref.chapter, ref.paragraph)


def compare(text_or_label: str, retriever, concordance: Concordance, date: str | None = None) -> Comparison | None:
    label = text_or_label if text_or_label.startswith("SFS ") else resolve_label(text_or_label)
    if label is None:
        return None
    if not retriever.lookup(label, date):
        return Comparison(label, [], missing=f"{label} finns inte i källorna.")
    if label.startswith(OLD_SFS):
        pair = concordance.by_old.get(label)
        pairs = [pair] if pair else []
        old_labels = [label]
        new_labels = pair.new if pair else []
    else:
        pairs = concordance.counterparts_of_new(label)
        old_labels = [p.old for p in pairs if p.old]
        new_labels = [label]
    c = Comparison(label, pairs)
    c.old = [s for s in (_side(retriever, l, date) for l in old_labels) if s]
    c.new = [s for s in (_side(retriever, l, date) for l in new_labels) if s]
    for o in c.old:
        for n in c.new:
            c.diffs.append((o.label, n.label, word_diff(o.text, n.text)))
    return c


def render_comparison_text(c: Comparison) -> str:
    if c.missing:
        return c.missing
    lines = [f"Jämförelse: {c.asked}"]
    if c.relation:
        lines.append(f"Förhållande: {c.relation} ({c.basis})")
    for title, sides in (("GAMLA LAGEN", c.old), ("NYA LAGEN", c.new)):
        lines.append(f"\n== {title} ==")
        if not sides:
            lines.append("(ingen motsvarighet)")
        for s in sides:
            lines.append(f"[{s.label}]" + (f" – {s.heading}" if s.heading else "") + (f" (lydelse från {s.valid_from})" if s.valid_from and s.valid_from != "2025-07-01" and s.label.startswith(NEW_SFS) else ""))
            lines.append(s.text)
            if s.url:
                lines.append(s.url)
    for old, new, ops in c.diffs:
        lines.append(f"\n== Ändringar ord för ord: {old} → {new} ==  ([-borttaget-] {{+tillagt+}})")
        lines.append(render_text(ops))
    return "\n".join(lines)


def render_comparison_html(c: Comparison) -> str:
    if c.missing:
        return f"<p>{html.escape(c.missing)}</p>"

    def column(title: str, sides: list[Side]) -> str:
        body = "".join(
            f"<div class='passage'><div class='label'><b>{html.escape(s.label)}</b>"
            + (f" <a href='{html.escape(s.url)}' target='_blank' rel='noopener'>officiell text</a>" if s.url else "")
            + f"</div><div class='heading'>{html.escape(s.heading)}</div><div class='text'>{html.escape(s.text).replace(chr(10), '<br>')}</div></div>"
            for s in sides
        ) or "<p><i>Ingen motsvarighet.</i></p>"
        return f"<div class='side'><h4>{title}</h4>{body}</div>"

    parts = [f"<div class='comparison'><p><b>{html.escape(c.asked)}</b>"]
    if c.relation:
        parts.append(f" – {html.escape(c.relation)} <span class='basis'>({html.escape(c.basis)})</span>")
    parts.append("</p><div class='sides'>" + column("Gamla lagen (SFS 2001:453)", c.old) + column("Nya lagen (SFS 2025:400)", c.new) + "</div>")
    for old, new, ops in c.diffs:
        parts.append(f"<h4>Ändringar ord för ord: {html.escape(old)} → {html.escape(new)}</h4><div class='diff'>{render_html(ops)}</div>")
    parts.append("</div>")
    return "".join(parts)


def comparison_markdown(c: Comparison) -> str:
    if c.missing:
        return f"⚠️ {c.missing}"
    old = ", ".join(s.label for s in c.old) or "ingen"
    new = ", ".join(s.label for s in c.new) or "ingen"
    text = f"**{c.asked}**: {c.relation or 'ingen motsvarighet hittad'}.\n\nGamla lagen: {old}\n\nNya lagen: {new}"
    if c.pairs:
        text += f"\n\n*Grund: {c.basis}.* Texterna och ändringarna ord för ord visas bredvid."
    return text
