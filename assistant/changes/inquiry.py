"""What the inquiry SOU 2020:47 says about the old and the new law.

- `draft_units`: the inquiry's draft law (avsnitt 1.1) by paragraph, from the index.
- `align_draft`: each draft paragraph to its counterpart(s) in SFS 2025:400, by
  the same text alignment the concordance uses (word and character TF-IDF,
  headings, chapter correspondence; one global assignment, then splits and merges).
- `commentary_statements`: the författningskommentar (avsnitt 28.1) per draft
  paragraph: "motsvarar … nuvarande 4 kap. 1 § första stycket SoL", "är ny".
- `inquiry_statements`: the two composed: enacted paragraph <- old paragraph(s)
  as the inquiry states them, for the concordance's basis `inquiry`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.index.store import PassageStore
from assistant.labels import parse_label
from assistant.parsing.inquiry import COMMENTARY_SECTION, DRAFT_SECTION


@dataclass
class DraftAlignment:
    draft: str  # "11 kap. 5 §" in the inquiry's numbering
    enacted: list[str]  # "SFS 2025:400 11 kap. 5 §", ...
    score: float


@dataclass
class CommentaryStatement:
    draft: str  # "11 kap. 5 §"
    label: str  # the commentary passage's label
    old: list[str] = field(default_factory=list)  # "SFS 2001:453 4 kap. 2 a §"
    relation: str = "reworded"  # reworded | moved_in_part | new
    text: str = ""  # the sentences that say so


def draft_key(label: str) -> str:
    parts = parse_label(label)
    return f"{parts.chapter} kap. {parts.paragraph} §"


def _section_passages(store: PassageStore, section: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in store.passages:
        if p.kind != "inquiry" or f"avsnitt {section}, förslaget " not in p.label:
            continue
        out.setdefault(p.label, []).append(p)
    return out


def draft_units(store: PassageStore) -> dict[str, object]:
    """Draft paragraph ("11 kap. 5 §") -> concordance Unit."""
    from assistant.changes.concordance import Unit

    out = {}
    for label, ps in _section_passages(store, DRAFT_SECTION).items():
        parts = parse_label(label)
        heads = ps[0].heading.split(" – ")
        chapter_title = next((re.sub(r"^förslaget \S+(?: [a-z])? kap\. ", "", h) for h in heads
                              if h.startswith("förslaget ")), "")
        heading = heads[-1] if len(heads) > 2 else ""
        key = draft_key(label)
        out[key] = Unit(key, "\n\n".join(p.text for p in ps), heading, parts.chapter, chapter_title)
    return out


def align_draft(store: PassageStore) -> list[DraftAlignment]:
    from assistant.changes.concordance import NEW_SFS, align_text, units

    draft, enacted = draft_units(store), units(store, NEW_SFS)
    if not draft or not enacted:
        return []
    out = []
    for pair in align_text(draft, enacted):
        if pair.old is None:
            continue
        out.append(DraftAlignment(pair.old, pair.new, pair.score))
    return out


def commentary_statements(store: PassageStore) -> list[CommentaryStatement]:
    from assistant.changes.bill_commentary import statements_in

    out = []
    for label, ps in _section_passages(store, COMMENTARY_SECTION).items():
        text = " ".join(p.text for p in ps)
        st = statements_in(text)
        if st is None:
            continue
        out.append(CommentaryStatement(draft_key(label), label, st.old, st.relation, st.text))
    return out


def inquiry_statements(store: PassageStore):
    """BillStatement-like rows (new, old, relation) composed from the commentary and
    the alignment: the enacted counterpart of a draft paragraph inherits what the
    inquiry says of the draft paragraph."""
    from assistant.changes.bill_commentary import BillStatement

    aligned = {a.draft: a for a in align_draft(store)}
    out = []
    for st in commentary_statements(store):
        a = aligned.get(st.draft)
        if a is None or not a.enacted:
            continue
        for new in a.enacted:
            out.append(BillStatement(new, list(st.old), st.relation, 0, st.text, source=st.label))
    return out


class InquiryLinks:
    """Enacted paragraph <-> the inquiry's draft paragraph and its commentary;
    built once per index generation (cached beside it, like the concordance)."""

    def __init__(self, alignments: list[DraftAlignment], commentary: dict[str, str]):
        self.alignments = alignments
        self.commentary = commentary  # draft paragraph -> its commentary label (avsnitt 28.1)
        self.drafts_of: dict[str, list[tuple[str, float]]] = {}
        for a in alignments:
            for e in a.enacted:
                self.drafts_of.setdefault(e, []).append((a.draft, a.score))
        self.enacted_of = {a.draft: a.enacted for a in alignments}

    def commentary_of(self, enacted_label: str) -> list[str]:
        """The commentary labels on the draft paragraph(s) behind an enacted one, best first."""
        drafts = sorted(self.drafts_of.get(enacted_label, []), key=lambda d: -d[1])
        return [self.commentary[d] for d, _ in drafts if d in self.commentary]

    def to_json(self) -> str:
        import json
        from dataclasses import asdict

        return json.dumps({"alignments": [asdict(a) for a in self.alignments], "commentary": self.commentary},
                          ensure_ascii=False)

    @classmethod
    def load_or_build(cls, store: PassageStore, index_dir) -> InquiryLinks:
        import hashlib
        import json
        from pathlib import Path

        digest = hashlib.sha1(b"inquiry-links-1")
        for p in store.passages:
            if (p.kind == "inquiry" and ", förslaget " in p.label) or p.label.startswith("SFS 2025:400"):
                digest.update(p.id.encode())
                digest.update(p.text.encode())
        path = Path(index_dir) / f"inquiry-links-{digest.hexdigest()[:12]}.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls([DraftAlignment(**a) for a in data["alignments"]], data["commentary"])
        commentary = {draft_key(label): label for label in _section_passages(store, COMMENTARY_SECTION)}
        links = cls(align_draft(store), commentary)
        try:
            for old in Path(index_dir).glob("inquiry-links-*.json"):
                old.unlink()
            path.write_text(links.to_json(), encoding="utf-8")
        except OSError:  # a read-only index: kept in memory only
            pass
        return links
