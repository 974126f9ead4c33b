"""The concordance: for every paragraph of SFS 2001:453 its counterpart(s) in
SFS 2025:400, and for every new paragraph whether it has an old one.

Basis `bill`: the bill's författningskommentar, when the bill is in the corpus
(authoritative). Basis `text`: inferred from the texts — word and character
TF-IDF similarity of the paragraphs, similarity of their headings, the dense
vectors already in the index, and how well their chapters correspond — with a
global one-to-one assignment (Hungarian algorithm) first, then the extra
counterparts that make a split or a merge.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np

from assistant.changes.diff import similarity
from assistant.index.store import PassageStore

NEW_SFS = "SFS 2025:400"
OLD_SFS = "SFS 2001:453"
RELATIONS = ("same_wording", "reworded", "split", "merged", "moved_in_part", "removed", "new")

INQUIRY_BASIS = True  # the inquiry's commentary, composed with the draft's alignment
ALGORITHM_VERSION = "6"  # part of the cache key: bump when the alignment changes
MATCH = 0.30  # a one-to-one assignment below this is not a counterpart
EXTRA = 0.32  # an additional counterpart (split/merge) needs this much ...
EXTRA_RATIO = 0.75  # ... and this share of the best counterpart's score
STYCKE_MATCH = 0.30  # a stycke of one law that matches a paragraph of the other this well
MIN_STYCKE_CHARS = 60
SAME_WORDING = 0.90  # word-sequence similarity after spelling modernisation


@dataclass
class Pair:
    old: str | None
    new: list[str]
    relation: str
    score: float
    basis: str  # bill | text
    note: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


@dataclass
class Unit:
    label: str
    text: str
    heading: str
    chapter: str
    chapter_title: str
    repealed: bool = False
    vector: list[float] | None = field(default=None, repr=False)


def _modernise(text: str) -> str:
    """The 2001 law's older forms, so spelling changes do not count as rewording."""
    text = re.sub(r"\bskall\b", "ska", text)
    text = re.sub(r"\bLag \(\d{4}:\d+\)\.?", "", text)
    return re.sub(r"\s+", " ", text).strip()


def units(store: PassageStore, sfs: str) -> dict[str, Unit]:
    """One unit per paragraph label (parts joined; the first dated version)."""
    out: dict[str, Unit] = {}
    first_version: dict[str, str] = {}
    for p in store.passages:
        if not p.label.startswith(sfs) or "kap." not in p.label:
            continue
        version = first_version.setdefault(p.label, p.valid_from)
        if p.valid_from != version:
            continue
        if p.label in out:
            out[p.label].text += "\n\n" + p.text
        else:
            out[p.label] = Unit(p.label, p.text, p.heading, p.chapter, p.chapter_title, p.repealed)
    return out


def _tfidf(texts_a: list[str], texts_b: list[str], **kwargs) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, **kwargs)
    matrix = vectorizer.fit_transform(texts_a + texts_b)
    a, b = matrix[: len(texts_a)], matrix[len(texts_a):]
    return (a @ b.T).toarray()


def similarity_matrix(old: list[Unit], new: list[Unit]) -> np.ndarray:
    from assistant.index.tokenize import tokenize_document

    old_text = [_modernise(u.text) for u in old]
    new_text = [_modernise(u.text) for u in new]
    words = _tfidf(old_text, new_text, analyzer=lambda t: tokenize_document(t))
    chars = _tfidf(old_text, new_text, analyzer="char_wb", ngram_range=(4, 5), min_df=1)
    heads = _tfidf([f"{u.heading} {u.chapter_title}" for u in old], [f"{u.heading} {u.chapter_title}" for u in new],
                   analyzer=lambda t: tokenize_document(t))
    score = 0.45 * words + 0.35 * chars + 0.10 * heads
    if all(u.vector is not None for u in old + new):
        a = np.array([u.vector for u in old], dtype=np.float32)
        b = np.array([u.vector for u in new], dtype=np.float32)
        dense = a @ b.T  # normalised vectors: cosine
        score += 0.10 * np.clip((dense - 0.5) * 2, 0, 1)
    # Chapter context: paragraphs of chapters that correspond as a whole.
    old_ch = sorted({u.chapter for u in old}, key=old_chapter_order)
    new_ch = sorted({u.chapter for u in new}, key=lambda c: int(c.split()[0]))
    oi = {c: i for i, c in enumerate(old_ch)}
    ni = {c: i for i, c in enumerate(new_ch)}
    chapter = np.zeros((len(old_ch), len(new_ch)))
    for i, u in enumerate(old):
        row = score[i]
        for j, v in enumerate(new):
            chapter[oi[u.chapter], ni[v.chapter]] = max(chapter[oi[u.chapter], ni[v.chapter]], row[j])
    chapter_mass = np.zeros_like(chapter)
    for i, u in enumerate(old):
        for j, v in enumerate(new):
            chapter_mass[oi[u.chapter], ni[v.chapter]] += score[i, j]
    chapter_mass /= chapter_mass.max(axis=1, keepdims=True) + 1e-9
    context = np.array([[chapter_mass[oi[u.chapter], ni[v.chapter]] for v in new] for u in old])
    return score * (0.85 + 0.15 * context)


def old_chapter_order(chapter: str) -> tuple[int, str]:
    parts = chapter.split()
    return int(parts[0]), parts[1] if len(parts) > 1 else ""


def align_text(old: dict[str, Unit], new: dict[str, Unit]) -> list[Pair]:
    from scipy.optimize import linear_sum_assignment

    live_old = [u for u in old.values() if not u.repealed]
    new_list = list(new.values())
    pairs: list[Pair] = [
        Pair(u.label, [], "removed", 1.0, "text", "upphävd redan före 2025 (Har upphävts genom lag)")
        for u in old.values() if u.repealed
    ]
    if not live_old or not new_list:
        return pairs
    s = similarity_matrix(live_old, new_list)
    rows, cols = linear_sum_assignment(-s)
    primary_new: dict[int, int] = {}
    primary_old: dict[int, int] = {}
    for i, j in zip(rows, cols):
        if s[i, j] >= MATCH:
            primary_new[i] = j
            primary_old[j] = i
    old_to_new: dict[int, list[int]] = defaultdict(list)
    for i, j in primary_new.items():
        old_to_new[i].append(j)
    # Extra counterparts: an old paragraph split over several new ones, or
    # several old ones merged into one new one.
    for i in range(len(live_old)):
        best = s[i].max()
        for j in np.argsort(-s[i])[:4]:
            if j in old_to_new[i]:
                continue
            if s[i, j] >= EXTRA and s[i, j] >= EXTRA_RATIO * best:
                if j in primary_old and s[primary_old[j], j] > s[i, j] / EXTRA_RATIO:
                    continue  # that new paragraph clearly belongs to another old one
                old_to_new[i].append(int(j))
    # Stycke level: an old stycke that lives on in another new paragraph (split),
    # a new stycke that comes from another old paragraph (merge).
    old_st = [(i, Unit(u.label, t, u.heading, u.chapter, u.chapter_title))
              for i, u in enumerate(live_old) for t in u.text.split("\n\n") if len(t) >= MIN_STYCKE_CHARS]
    new_st = [(j, Unit(v.label, t, v.heading, v.chapter, v.chapter_title))
              for j, v in enumerate(new_list) for t in v.text.split("\n\n") if len(t) >= MIN_STYCKE_CHARS]
    if old_st and len(old_st) > len(live_old):
        ss = similarity_matrix([u for _, u in old_st], new_list)
        for (i, _), row in zip(old_st, ss):
            j = int(row.argmax())
            if row[j] >= STYCKE_MATCH and j not in old_to_new[i] and (j not in primary_old or primary_old[j] == i):
                old_to_new[i].append(j)
    if new_st and len(new_st) > len(new_list):
        ss = similarity_matrix(live_old, [u for _, u in new_st])
        for (j, _), col in zip(new_st, ss.T):
            i = int(col.argmax())
            if col[i] >= STYCKE_MATCH and j not in old_to_new[i] and (i not in primary_new or primary_new[i] == j):
                old_to_new[i].append(j)
    new_sources: dict[int, list[int]] = defaultdict(list)
    for i, js in old_to_new.items():
        for j in js:
            new_sources[j].append(i)

    for i, u in enumerate(live_old):
        js = sorted(old_to_new.get(i, []), key=lambda j: -s[i, j])
        if not js:
            pairs.append(Pair(u.label, [], "removed", round(float(1 - s[i].max()), 3), "text"))
            continue
        score = float(s[i, js[0]])
        if len(js) > 1:
            relation = "split"
        elif len(new_sources[js[0]]) > 1:
            relation = "merged"
        elif similarity(_modernise(u.text), _modernise(new_list[js[0]].text)) >= SAME_WORDING:
            relation = "same_wording"
        elif score < MATCH + 0.05:
            relation = "moved_in_part"
        else:
            relation = "reworded"
        pairs.append(Pair(u.label, [new_list[j].label for j in js], relation, round(score, 3), "text"))
    for j, v in enumerate(new_list):
        if j not in new_sources:
            best = float(s[:, j].max())
            pairs.append(Pair(None, [v.label], "new", round(1 - best, 3), "text"))
    return pairs


def apply_bill(pairs: list[Pair], statements, old: dict[str, Unit], new: dict[str, Unit]) -> list[Pair]:
    """The bill's statements replace the inferred pairs they cover."""
    by_old: dict[str, list[str]] = defaultdict(list)
    relation_of: dict[str, str] = {}
    stated_new: set[str] = set()
    new_without_old: set[str] = set()
    for st in statements:
        if st.new and st.new not in new:
            continue
        if st.new:
            stated_new.add(st.new)
        if st.relation == "new" and st.new:
            new_without_old.add(st.new)
        for o in st.old:
            if o in old and st.new and st.new not in by_old[o]:
                by_old[o].append(st.new)
                relation_of[o] = st.relation
            elif o in old and not st.new:
                by_old.setdefault(o, [])
                relation_of[o] = "removed"
    if not by_old and not new_without_old:
        return pairs
    sources: dict[str, list[str]] = defaultdict(list)
    for o, ns in by_old.items():
        for n in ns:
            sources[n].append(o)
    out: list[Pair] = []
    for p in pairs:
        if p.old and p.old in by_old:
            continue
        if p.old is None and (p.new[0] in stated_new):
            continue
        if p.old and set(p.new) & stated_new:
            p = Pair(p.old, [n for n in p.new if n not in stated_new], p.relation, p.score, p.basis, p.note)
            if not p.new:
                p.relation = "removed"
        out.append(p)
    for o, ns in by_old.items():
        if not ns:
            out.append(Pair(o, [], "removed", 1.0, "bill"))
            continue
        relation = relation_of[o]
        if len(ns) > 1:
            relation = "split"
        elif len(sources[ns[0]]) > 1:
            relation = "merged"
        elif relation == "reworded" and similarity(_modernise(old[o].text), _modernise(new[ns[0]].text)) >= SAME_WORDING:
            relation = "same_wording"
        out.append(Pair(o, ns, relation, 1.0, "bill"))
    for n in sorted(new_without_old - set(sources)):
        out.append(Pair(None, [n], "new", 1.0, "bill"))
    return out


def add_stated(pairs: list[Pair], statements, old: dict[str, Unit], new: dict[str, Unit],
               basis: str = "inquiry") -> list[Pair]:
    """Stated links added to the inferred pairs (the inquiry's statements are about
    its draft, which the enacted law changed: they add counterparts the texts do
    not show, and never take one away). A pair a statement confirms or extends
    gets the basis and the statement as its note; a paragraph stated as new stays
    as the texts have it."""
    links: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # old -> (new, relation, text)
    for st in statements:
        if not st.new or st.new not in new:
            continue
        for o in st.old:
            if o in old and not old[o].repealed:
                where = f" ({st.source})" if st.source.startswith("SOU ") else ""
                links[o].append((st.new, st.relation, st.text + where))
    if not links:
        return pairs
    linked_new = {n for ls in links.values() for n, _, _ in ls}
    out: list[Pair] = []
    by_old: dict[str, Pair] = {}
    for p in pairs:
        if p.old is None and p.new[0] in linked_new:
            continue  # no longer without an old counterpart
        if p.old in links:
            p = Pair(p.old, list(p.new), p.relation, p.score, p.basis, p.note)
            by_old[p.old] = p
        out.append(p)
    extended: set[str] = set()
    for o, ls in links.items():
        p = by_old.get(o)
        if p is None:
            p = Pair(o, [], "removed", 1.0, basis)
            out.append(p)
        if {n for n, _, _ in ls} - set(p.new) or p.relation == "removed":
            extended.add(o)
        for n, _relation, text in ls:
            if n not in p.new:
                p.new.append(n)
            p.basis = basis
            p.note = p.note or text
    sources: dict[str, list[str]] = defaultdict(list)
    for p in out:
        for n in p.new:
            if p.old:
                sources[n].append(p.old)
    for p in out:
        if p.old in extended:  # a confirmed pair keeps the relation its texts show
            stated = {r for _, r, _ in links[p.old]}
            if len(p.new) > 1:
                p.relation = "split"
            elif len(sources[p.new[0]]) > 1:
                p.relation = "merged"
            elif stated == {"moved_in_part"}:
                p.relation = "moved_in_part"
            elif similarity(_modernise(old[p.old].text), _modernise(new[p.new[0]].text)) >= SAME_WORDING:
                p.relation = "same_wording"
            else:
                p.relation = "reworded"
    return out


def _vectors(store: PassageStore, vectors) -> dict[str, list[float]]:
    """Dense vectors per label (the first part of each): from the index's vector
    snapshot (read-only) or from Chroma (at ingest)."""
    ids = [p.id for p in store.passages if p.kind == "statute" and p.part in (0, 1)]
    if vectors is None or not ids:
        return {}
    if hasattr(vectors, "passage_vectors"):  # a VectorSnapshot: never opens Chroma
        wanted = set(ids)
        by_id = {pid: v for pid, v in zip(vectors.passage_ids, vectors.passage_vectors) if pid in wanted}
    else:
        got = vectors.collection.get(ids=ids, include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
    out = {}
    for p in store.passages:
        if p.id in by_id and p.label not in out:
            out[p.label] = list(by_id[p.id])
    return out


def bill_statements(store: PassageStore):
    from assistant.changes.bill_commentary import parse_commentary

    pages = [(p.page, p.text) for p in store.passages if p.kind == "bill"]
    return parse_commentary(pages) if pages else []


def question_centroids(bank) -> dict[str, np.ndarray]:
    """Per paragraph label, the normalised mean of the question bank's vectors of
    the questions that paragraph answers: what people ask it, in their words."""
    if bank is None or not len(bank.vectors):
        return {}
    grouped: dict[str, list[np.ndarray]] = defaultdict(list)
    for vector, labels in zip(bank.vectors, bank.labels):
        for label in labels:
            grouped[label].append(vector)
    out = {}
    for label, vs in grouped.items():
        mean = np.mean(vs, axis=0)
        out[label] = mean / (np.linalg.norm(mean) + 1e-12)
    return out


def pair_orphans(pairs: list[Pair], old: dict[str, Unit], centroids: dict[str, np.ndarray]) -> list[Pair]:
    """A paragraph of the old law in force at repeal with no counterpart and a
    provision of the new law with no predecessor are paired (moved_in_part, basis
    `bank`) when each is the other's nearest orphan by what the question bank asks
    them, and as near as the median pair the concordance already has: a duty
    rewritten in other words (4 kap. 2 a § hemtjänst utan föregående behovsprövning
    and 11 kap. 5 § insatser utan individuell behovsprövning) shows in its
    questions, not its words. Every other pair is left as it is."""
    orphan_old = [p for p in pairs if p.relation == "removed" and p.old in centroids
                  and not old[p.old].repealed]
    orphan_new = [p for p in pairs if p.relation == "new" and p.new[0] in centroids]
    paired = [(centroids[p.old], centroids[n]) for p in pairs if p.old and p.old in centroids
              for n in p.new if n in centroids]
    if not orphan_old or not orphan_new or not paired:
        return pairs
    floor = float(np.median([a @ b for a, b in paired]))
    sim = np.array([[centroids[o.old] @ centroids[n.new[0]] for n in orphan_new] for o in orphan_old])
    matched: dict[int, int] = {}
    for i in range(len(orphan_old)):
        j = int(sim[i].argmax())
        if int(sim[:, j].argmax()) == i and sim[i, j] >= floor:
            matched[i] = j
    if not matched:
        return pairs
    drop = {id(orphan_old[i]) for i in matched} | {id(orphan_new[j]) for j in matched.values()}
    out = [p for p in pairs if id(p) not in drop]
    for i, j in matched.items():
        out.append(Pair(orphan_old[i].old, [orphan_new[j].new[0]], "moved_in_part", round(float(sim[i, j]), 3),
                        "bank"))
    return out


def continue_new(pairs: list[Pair], old: dict[str, Unit], new: dict[str, Unit],
                 centroids: dict[str, np.ndarray]) -> list[Pair]:
    """A provision the concordance calls new continues part of an old paragraph when two
    independent readings name the same one: the old paragraph nearest it in words
    (similarity_matrix) is also the one whose bank questions are nearest its own. That
    paragraph gains it as one more counterpart (its relation becomes split, or
    moved_in_part if it had none). On evals/concordance_gold.jsonl this corrects 5 of
    the 8 "new" claims the gold contradicts and wrongly joins 1 of its 14 new provisions."""
    live_old = [u for u in old.values() if not u.repealed]
    claimed = [p for p in pairs if p.relation == "new" and p.new and p.new[0] in centroids and p.new[0] in new]
    by_old = {p.old: p for p in pairs if p.old}
    if not claimed or not any(u.label in centroids for u in live_old):
        return pairs
    new_labels = list(new)
    s = similarity_matrix(live_old, list(new.values()))  # as align_text reads it: every new paragraph
    o = np.array([centroids.get(u.label, np.zeros_like(centroids[claimed[0].new[0]])) for u in live_old])
    joined: set[int] = set()
    for pair in claimed:
        label = pair.new[0]
        by_words = int(s[:, new_labels.index(label)].argmax())
        by_questions = int((o @ centroids[label]).argmax())
        target = by_old.get(live_old[by_words].label)
        if by_words != by_questions or target is None:
            continue
        target.new = [*target.new, label]
        target.relation = "split" if len(target.new) > 1 else "moved_in_part"
        note = f"{label} härledd ur ordalydelsen och frågebanken, inte bekräftad av förarbetena"
        target.note = f"{target.note}; {note}" if target.note else note
        joined.add(id(pair))
    return [p for p in pairs if id(p) not in joined]


def build_concordance(store: PassageStore, vectors=None, bank=None) -> list[Pair]:
    old, new = units(store, OLD_SFS), units(store, NEW_SFS)
    dense = _vectors(store, vectors)
    for u in list(old.values()) + list(new.values()):
        u.vector = dense.get(u.label)
    pairs = align_text(old, new)
    if INQUIRY_BASIS:
        from assistant.changes.inquiry import inquiry_statements

        stated = inquiry_statements(store)
        if stated:
            pairs = add_stated(pairs, stated, old, new, basis="inquiry")
    statements = bill_statements(store)
    if statements:
        pairs = apply_bill(pairs, statements, old, new)
    centroids = question_centroids(bank)
    pairs = pair_orphans(pairs, old, centroids)
    pairs = continue_new(pairs, old, new, centroids)

    def key(p: Pair):
        from assistant.labels import parse_label

        if p.old:
            parts = parse_label(p.old)
            return (0, old_chapter_order(parts.chapter), old_chapter_order(parts.paragraph))
        parts = parse_label(p.new[0])
        return (1, old_chapter_order(parts.chapter), old_chapter_order(parts.paragraph))

    return sorted(pairs, key=key)


class Concordance:
    """Pairs indexed both ways; cached as JSON lines beside the index."""

    def __init__(self, pairs: list[Pair]):
        self.pairs = pairs
        self.by_old: dict[str, Pair] = {p.old: p for p in pairs if p.old}
        self.by_new: dict[str, list[Pair]] = defaultdict(list)
        for p in pairs:
            for n in p.new:
                self.by_new[n].append(p)

    @property
    def basis(self) -> str:
        """The strongest basis any pair has: bill > inquiry > text."""
        bases = {p.basis for p in self.pairs}
        return next((b for b in ("bill", "inquiry") if b in bases), "text")  # "bank" pairs are few: never the basis

    def counterparts_of_new(self, label: str) -> list[Pair]:
        return self.by_new.get(label, [])

    @classmethod
    def load_or_build(cls, store: PassageStore, index_dir, vectors=None) -> Concordance:
        """The generation's concordance: read from its cache file, or built (with the
        generation's question bank, when it has one) and cached."""
        import hashlib

        from assistant.bank.adapter import BankIndex, bank_dir

        try:  # the bank's hash alone keys the cache; its vectors are read only to build
            bank_hash = json.loads((bank_dir(index_dir) / "meta.json").read_text(encoding="utf-8")).get("bank", "")
        except (OSError, ValueError):
            bank_hash = "no bank"
        digest = hashlib.sha1(f"{ALGORITHM_VERSION}|{MATCH}|{EXTRA}|{EXTRA_RATIO}|{STYCKE_MATCH}".encode())
        digest.update(str(bank_hash).encode())
        for p in store.passages:
            if p.kind in ("statute", "bill", "inquiry"):
                digest.update(p.id.encode())
                digest.update(p.text.encode())
        path = index_dir / f"concordance-{digest.hexdigest()[:12]}.jsonl"
        if path.exists():
            pairs = [Pair(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]
            return cls(pairs)
        pairs = build_concordance(store, vectors, BankIndex.load(bank_dir(index_dir)))
        try:
            for old in index_dir.glob("concordance-*.jsonl"):
                old.unlink()
            path.write_text("".join(p.to_json() + "\n" for p in pairs), encoding="utf-8")
        except OSError:  # a read-only index (replicas): kept in memory only
            pass
        return cls(pairs)
