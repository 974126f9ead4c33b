"""Comparison of a paragraph of the old law and its counterpart(s) in the new
law (or the other way round): both sides, then for each old→new pair a one-line
summary of what changed and a sentence-aligned word diff (see diff.py)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from assistant.changes.concordance import NEW_SFS, OLD_SFS, Concordance, Pair
from assistant.changes.diff import (
    DiffOp,
    SentenceChange,
    align_sentences,
    flatten,
    render_sentences_html,
    render_sentences_text,
    strip_amendment_notes,
    summarize,
    text_similarity,
)
from assistant.labels import statute_label
from assistant.markup import as_text
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
            "inquiry": "enligt utredningens författningskommentar (SOU 2020:47, avsnitt 28.1) till dess förslag, "
                       "som lagen här motsvarar",
            "text": "härledd ur lagtexterna (inte bekräftad av propositionen)",
            "bank": "härledd ur frågebanken: paragraferna besvarar samma slags frågor, fast orden skiljer sig "
                    "(inte bekräftad av förarbetena)"}
BASIS_SHORT_SV = {"bill": "enligt propositionen", "inquiry": "enligt utredningen SOU 2020:47",
                  "text": "härlett ur lagtexterna", "bank": "härlett ur frågebanken, inte bekräftat av förarbetena"}


@dataclass
class Side:
    label: str
    text: str
    heading: str = ""
    url: str = ""
    valid_from: str = ""


@dataclass
class PairChange:
    """One old→new pair: what changed in one line, and its sentence-aligned diff.
    `elsewhere`: other paragraphs that the rest of the old (or new) text went to."""

    old: str
    new: str
    summary: str
    sentences: list[SentenceChange] = field(default_factory=list)
    similarity: float = 0.0
    elsewhere: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    asked: str  # the label the user named
    pairs: list[Pair]
    old: list[Side] = field(default_factory=list)
    new: list[Side] = field(default_factory=list)
    diffs: list[tuple[str, str, list[DiffOp]]] = field(default_factory=list)  # (old, new, sentence-aligned ops)
    missing: str = ""  # the named paragraph does not exist
    changes: list[PairChange] = field(default_factory=list)  # one per old→new pair with text in common

    @property
    def relation(self) -> str:
        return ", ".join(dict.fromkeys(RELATION_SV[p.relation] for p in self.pairs)) if self.pairs else ""

    @property
    def basis(self) -> str:
        return ", ".join(dict.fromkeys(BASIS_SV[p.basis] for p in self.pairs))

    @property
    def statements(self) -> list[str]:
        """What the inquiry's commentary says of the pairs it is the basis of (with its section)."""
        return list(dict.fromkeys(p.note for p in self.pairs if p.basis == "inquiry" and p.note))


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


def _texts(retriever, labels: list[str], date: str | None) -> dict[str, str]:
    out = {}
    for label in dict.fromkeys(labels):
        parts = retriever.lookup(label, date)
        if parts:
            out[label] = "\n\n".join(p.text for p in parts)
    return out


def pair_changes(old: dict[str, str], new: dict[str, str], shown_old: list[str], shown_new: list[str]) -> list[PairChange]:
    """The PairChange of every shown old×new pair that has text in common.

    `old`/`new` are the texts of all paragraphs involved (also the other parts of
    a split or a merge that are not shown), so that the sentences are distributed
    over the right pairs."""
    aligned = align_sentences(old, new)
    changes = []
    for o in shown_old:
        for n in shown_new:
            rows = aligned.get((o, n))
            if not rows:
                continue
            elsewhere = [n2 for (o2, n2) in aligned if o2 == o and n2 != n] + [o2 for (o2, n2) in aligned if n2 == n and o2 != o]
            aligned_old = " ".join(s.old for s in rows if s.old)
            aligned_new = " ".join(s.new for s in rows if s.new)
            changes.append(PairChange(o, n, summarize(rows, old.get(o, ""), new.get(n, "")), rows, round(text_similarity(aligned_old, aligned_new), 3), elsewhere))
    return changes


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
    # the other halves of a split or a merge take part in the alignment too
    context_new = new_labels + [n for o in old_labels if o in concordance.by_old for n in concordance.by_old[o].new]
    context_old = old_labels + [p.old for n in new_labels for p in concordance.counterparts_of_new(n) if p.old]
    c.changes = pair_changes(_texts(retriever, context_old, date), _texts(retriever, context_new, date),
                             [s.label for s in c.old], [s.label for s in c.new])
    c.diffs = [(ch.old, ch.new, flatten(ch.sentences)) for ch in c.changes]
    return c


def _valid_from(s: Side) -> str:
    return f" (lydelse från {s.valid_from})" if s.valid_from and s.valid_from != "2025-07-01" and s.label.startswith(NEW_SFS) else ""


def render_comparison_text(c: Comparison) -> str:
    if c.missing:
        return c.missing
    lines = [f"Jämförelse: {c.asked}"]
    if c.relation:
        lines.append(f"Förhållande: {c.relation} ({c.basis})")
    lines += [f"Utredningens kommentar: {st}" for st in c.statements]
    for title, sides in (("GAMLA LAGEN", c.old), ("NYA LAGEN", c.new)):
        lines.append(f"\n== {title} ==")
        if not sides:
            lines.append("(ingen motsvarighet)")
        for s in sides:
            lines.append(f"[{s.label}]" + (f" – {s.heading}" if s.heading else "") + _valid_from(s))
            lines.append(strip_amendment_notes(s.text))
            if s.url:
                lines.append(s.url)
    if c.changes:
        lines.append("\n== Ändringar mening för mening ==  ([-borttaget-] {+tillagt+}; ~ ändrad mening, + ny mening, - borttagen mening)")
    for ch in c.changes:
        lines.append(f"\n-- {ch.old} → {ch.new}: {ch.summary}")
        lines.append(render_sentences_text(ch.sentences))
        if ch.elsewhere:
            lines.append(f"  (övriga meningar finns i {', '.join(ch.elsewhere)})")
    return "\n".join(lines)


def render_comparison_html(c: Comparison) -> str:
    """Both sides (label, heading, official link, the full text folded away), then
    one block per old→new pair: its summary and its sentence-aligned diff; every
    pair after the first is folded in a <details>."""
    if c.missing:
        return f"<p>{html.escape(c.missing)}</p>"

    def column(title: str, kind: str, sides: list[Side]) -> str:
        body = "".join(
            f"<div class='passage'><div class='label'><b>{html.escape(s.label)}</b>{html.escape(_valid_from(s))}"
            + (f" <a href='{html.escape(s.url)}' target='_blank' rel='noopener'>officiell text</a>" if s.url else "")
            + "</div>"
            + (f"<div class='heading'>{html.escape(s.heading)}</div>" if s.heading else "")
            + "<details class='fulltext'><summary>Hela texten</summary><div class='text'>"
            + html.escape(strip_amendment_notes(s.text)).replace("\n", "<br>") + "</div></details></div>"
            for s in sides
        ) or "<p><i>Ingen motsvarighet.</i></p>"
        return f"<div class='side {kind}'><h4>{title}</h4>{body}</div>"

    parts = [f"<div class='comparison'><p class='relation'><b>{html.escape(c.asked)}</b>"]
    if c.relation:
        parts.append(f" – {html.escape(c.relation)} <span class='basis'>({html.escape(c.basis)})</span>")
    parts.append("</p>")
    parts += [f"<p class='statement'>Utredningens kommentar: {html.escape(st)}</p>" for st in c.statements]
    parts.append("<div class='sides'>" + column("Gamla lagen (SFS 2001:453)", "old", c.old)
                 + column("Nya lagen (SFS 2025:400)", "new", c.new) + "</div>")
    if c.changes:
        parts.append("<p class='legend'>Ändringar mening för mening: <del>borttaget</del> <ins>tillagt</ins>, "
                     "oförändrade meningar i grått.</p>")
    for k, ch in enumerate(c.changes):
        title = (f"<span class='pair-labels'>{html.escape(ch.old)} → {html.escape(ch.new)}</span>: "
                 f"<span class='summary-text'>{html.escape(ch.summary)}</span>")
        body = f"<div class='diff'>{render_sentences_html(ch.sentences)}</div>"
        if ch.elsewhere:
            body += f"<p class='elsewhere'>Övriga meningar finns i {html.escape(', '.join(ch.elsewhere))}.</p>"
        if k == 0:
            parts.append(f"<div class='pair'><p class='pair-summary'>{title}</p>{body}</div>")
        else:
            parts.append(f"<details class='pair'><summary class='pair-summary'>{title}</summary>{body}</details>")
    parts.append("</div>")
    return "".join(parts)


def comparison_markdown(c: Comparison) -> str:
    if c.missing:
        return f"⚠️ {c.missing}"
    old = ", ".join(s.label for s in c.old) or "ingen"
    new = ", ".join(s.label for s in c.new) or "ingen"
    text = f"**{c.asked}**: {c.relation or 'ingen motsvarighet hittad'}.\n\nGamla lagen: {old}\n\nNya lagen: {new}"
    for ch in c.changes:
        text += f"\n\n- {ch.old} → {ch.new}: {ch.summary}"
    for st in c.statements:
        text += f"\n\n> Utredningens kommentar: {as_text(st)}"
    if c.pairs:
        text += f"\n\n*Grund: {c.basis}.* Texterna och ändringarna mening för mening visas bredvid."
    return text
