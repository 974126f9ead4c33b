"""Word-level and sentence-aligned diffs of old and new paragraphs, a one-line
Swedish summary of what changed, rendered for the terminal and HTML.

Words and punctuation are separate tokens, so "skäl" → "skäl," is the insertion
of a comma, not a changed word. A paragraph pair is compared sentence by
sentence: each new sentence is aligned with its most similar old sentence
(above SENTENCE_MATCH), unaligned new sentences are added, unaligned old ones
removed, and words are only diffed within aligned sentences. When an old
paragraph is split over several new ones (or several old ones merged into one),
the sentences are aligned over all of them at once, so each old sentence ends
up in the pair where it belongs instead of being repeated in every pair.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass, field

from assistant.parsing.text import sentence_spans

SENTENCE_MATCH = 0.35  # similarity for a new sentence to count as a version of an old one
CONTAINED = 0.5  # an unaligned sentence goes with the sentence holding this share of its words
LIGHT_CHANGE = 0.75  # an aligned sentence this similar (or with at most 3 changed words) is reworded only  # after normalisation (case, punctuation, "skall" → "ska")

# "Lag (2012:776)." — the amendment note after a paragraph of the old law.
_AMENDMENT_NOTE = re.compile(r"\s*\b(?:Lag|Förordning) \(\d{4}:\d+\)\.?(?=\s|$)")
# A word (with inner ":", "/" or "." as in "2012:776", "t.ex"), or one punctuation mark
# (so "1–9" is three tokens, and "1-9" differs from it by the dash only).
_TOKEN = re.compile(r"[\w§]+(?:[:/.][\w§]+)*|[^\w\s]")
_PUNCT = re.compile(r"^[^\w§]+$")


@dataclass(frozen=True)
class DiffOp:
    op: str  # equal | delete | insert
    text: str


@dataclass
class SentenceChange:
    """One sentence of an old→new pair. status: same (identical but for
    whitespace), changed (aligned, words differ), added (only
    in the new law), removed (only in the old law)."""

    status: str
    old: str = ""
    new: str = ""
    ops: list[DiffOp] = field(default_factory=list)
    similarity: float = 0.0


def strip_amendment_notes(text: str) -> str:
    """The text without "Lag (2012:776)."-style notes of the amending acts."""
    return _AMENDMENT_NOTE.sub("", text).strip()


def _tokens(text: str) -> list[tuple[str, str]]:
    """(token, whitespace after it); a leading whitespace run is a token of its own ("")."""
    out: list[tuple[str, str]] = []
    lead = re.match(r"\s*", text).group()
    if lead:
        out.append(("", lead))
    for m in _TOKEN.finditer(text):
        end = m.end()
        ws = re.match(r"\s*", text[end:]).group()
        out.append((m.group(), ws))
    # characters that are neither tokens nor whitespace cannot occur: [^\w\s] catches the rest
    return out


def _norm(token: str) -> str:
    t = token.lower()
    return "ska" if t == "skall" else t


_DASHES = str.maketrans({"‐": "-", "‑": "-", "–": "-", "—": "-", "−": "-", "”": '"', "“": '"'})


def _key(token: str) -> str:
    """What a token is compared as: dash and quote variants are the same mark."""
    return token.translate(_DASHES)


def word_diff(old: str, new: str) -> list[DiffOp]:
    """Old -> new as equal/delete/insert runs of whole words and punctuation marks
    (whitespace kept; an equal run carries the new text's whitespace)."""
    a, b = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(a=[_key(t) for t, _ in a], b=[_key(t) for t, _ in b], autojunk=False)
    ops: list[DiffOp] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if ops and ops[-1].op == op:
            ops[-1] = DiffOp(op, ops[-1].text + text)
        else:
            ops.append(DiffOp(op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", "".join(t + w for t, w in b[j1:j2]))
            continue
        if tag in ("delete", "replace"):
            add("delete", "".join(t + w for t, w in a[i1:i2]))
        if tag in ("insert", "replace"):
            add("insert", "".join(t + w for t, w in b[j1:j2]))
    return ops


def _words(text: str) -> list[str]:
    return [_norm(t) for t in _TOKEN.findall(text) if not _PUNCT.match(t)]


def similarity(old: str, new: str) -> float:
    """Similarity of the whitespace-separated word sequences (the concordance's
    measure: kept as it is so the concordance does not change)."""
    a, b = old.split(), new.split()
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio() if a or b else 1.0


def text_similarity(old: str, new: str) -> float:
    """Word-sequence similarity (0–1) ignoring punctuation, case, "skall"/"ska" and amendment notes."""
    a, b = _words(strip_amendment_notes(old)), _words(strip_amendment_notes(new))
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio() if a or b else 1.0


def _sentences(text: str) -> list[str]:
    text = strip_amendment_notes(text)
    return [text[s:e] for s, e in sentence_spans(text)]


def _sentence_similarity(a: list[str], b: list[str]) -> float:
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio() if a or b else 1.0


def _contained(a: list[str], b: list[str]) -> float:
    """The share of a's words that occur, in order, in b."""
    if not a:
        return 0.0
    blocks = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks()
    return sum(m.size for m in blocks) / len(a)


def align_sentences(old: dict[str, str], new: dict[str, str]) -> dict[tuple[str, str], list[SentenceChange]]:
    """The sentence-aligned diff of every old×new pair of paragraphs.

    `old` and `new` map labels to texts. Each new sentence is aligned with the
    most similar still unaligned old sentence (best pairs first) when the
    similarity reaches SENTENCE_MATCH. A pair (o, n) holds n's sentences aligned
    with o's, in n's order. An unaligned sentence goes to the pair of the
    paragraph on the other side whose sentence contains most of its words (a
    sentence made of several old ones), else to the pair that most of its
    paragraph's sentences went to; a removed sentence is placed after the
    sentence its predecessor was aligned with, or before the one it was found
    in. Pairs that get no sentence are left out."""
    olds = {label: _sentences(text) for label, text in old.items()}
    news = {label: _sentences(text) for label, text in new.items()}
    owords = {(label, i): _words(s) for label, ss in olds.items() for i, s in enumerate(ss)}
    nwords = {(label, j): _words(s) for label, ss in news.items() for j, s in enumerate(ss)}
    scores = sorted(
        ((_sentence_similarity(ow, nw), ok, nk) for ok, ow in owords.items() for nk, nw in nwords.items()),
        key=lambda t: -t[0],
    )
    match: dict[tuple[str, int], tuple[tuple[str, int], float]] = {}  # new key -> (old key, score)
    went: dict[tuple[str, int], tuple[str, int]] = {}  # old key -> new key
    for score, ok, nk in scores:
        if score < SENTENCE_MATCH:
            break
        if nk in match or ok in went:
            continue
        match[nk] = (ok, score)
        went[ok] = nk
    old_labels, new_labels = list(olds), list(news)

    def majority(keys: list, labels: list[str]) -> str:
        counts: dict[str, int] = {}
        for key in keys:
            counts[key[0]] = counts.get(key[0], 0) + 1
        return max(labels, key=lambda label: (counts.get(label, 0), -labels.index(label)))

    def best_container(words: list[str], others: dict) -> tuple | None:
        best = max(others, key=lambda k: _contained(words, others[k]), default=None)
        return best if best is not None and _contained(words, others[best]) >= CONTAINED else None

    # where the unaligned sentences go: new key -> old label; old key -> (new key or None, new label)
    added_to: dict[tuple[str, int], str] = {}
    for n in new_labels:
        home = majority([match[(n, j)][0] for j in range(len(news[n])) if (n, j) in match], old_labels) if old_labels else ""
        for j in range(len(news[n])):
            if (n, j) not in match:
                found = best_container(nwords[(n, j)], owords)
                added_to[(n, j)] = found[0] if found else home
    removed_to: dict[tuple[str, int], tuple[tuple[str, int] | None, str]] = {}
    for o in old_labels:
        home = majority([went[(o, i)] for i in range(len(olds[o])) if (o, i) in went], new_labels) if new_labels else ""
        for i in range(len(olds[o])):
            if (o, i) not in went:
                found = best_container(owords[(o, i)], nwords)
                removed_to[(o, i)] = (found, found[0]) if found else (None, home)

    out: dict[tuple[str, str], list[SentenceChange]] = {}
    for o in old_labels:
        for n in new_labels:
            keyed: list[tuple[tuple[int, int, int], SentenceChange]] = []
            for j, sentence in enumerate(news[n]):
                if (n, j) in match:
                    (mo, mi), score = match[(n, j)]
                    if mo != o:
                        continue
                    osent = olds[o][mi]
                    same = _TOKEN.findall(osent) == _TOKEN.findall(sentence)
                    row = SentenceChange("same" if same else "changed", osent, sentence, word_diff(osent, sentence), round(score, 3))
                    keyed.append(((j, 1, 0), row))
                elif added_to[(n, j)] == o:
                    keyed.append(((j, 1, 0), SentenceChange("added", "", sentence, [DiffOp("insert", sentence)])))
            for i, osent in enumerate(olds[o]):
                if (o, i) in went or removed_to[(o, i)][1] != n:
                    continue
                before = [went[(o, k)][1] for k in range(i) if (o, k) in went and went[(o, k)][0] == n]
                inside = removed_to[(o, i)][0]
                key = (max(before), 2, i) if before else (inside[1], 0, i) if inside else (-1, 0, i)
                keyed.append((key, SentenceChange("removed", osent, "", [DiffOp("delete", osent)])))
            if keyed:
                out[(o, n)] = [row for _, row in sorted(keyed, key=lambda t: t[0])]
    return out


def flatten(sentences: list[SentenceChange]) -> list[DiffOp]:
    """The sentence-aligned diff as one list of ops (sentences separated by a space)."""
    ops: list[DiffOp] = []
    for k, s in enumerate(sentences):
        if k:
            ops.append(DiffOp("equal", " "))
        ops.extend(s.ops if s.status != "same" else [DiffOp("equal", s.new)])
    return ops


# --- the summary -------------------------------------------------------------

_NUMBER = (r"(?:\d+|en|ett|två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tretton|fjorton|femton|"
           r"sexton|sjutton|arton|nitton|tjugo|trettio|fyrtio|femtio|sextio|nittio|hundra)")
_UNIT = r"(?:dygn|dagar|dag|dagen|veckor|vecka|månader|månad|år|timmar|timme|minuter)"
_TIME = re.compile(rf"\b{_NUMBER}(?:\s+{_NUMBER})?\s+{_UNIT}\b|\b(?:genast|utan dröjsmål|skyndsamt|snarast)\b", re.I)
_AGE_BEFORE = re.compile(r"\b(?:fyllt|fyller|under|över|än|är)\s+$", re.I)  # "fyllt 12 år" is an age
ACTORS = (
    "Inspektionen för vård och omsorg", "socialnämnden", "nämnden", "kommunen", "kommunfullmäktige",
    "regionen", "Socialstyrelsen", "regeringen", "förvaltningsrätten", "domstolen", "Polismyndigheten",
    "Försäkringskassan", "Migrationsverket", "Skolverket", "Statens institutionsstyrelse", "huvudmannen",
    "vårdnadshavaren", "vårdnadshavarna", "den enskilde", "den enskilda", "läkare",
)
_ACTOR = re.compile(r"\b(?:" + "|".join(re.escape(a) for a in ACTORS) + r")\b", re.I)
_MODAL = re.compile(r"\b(ska|skall|får inte|får|behöver inte|bör)\b", re.I)
_MODAL_SV = {"ska": "skyldighet (”ska”)", "får": "befogenhet (”får”)", "får inte": "förbud (”får inte”)",
             "behöver inte": "undantag (”behöver inte”)", "bör": "rekommendation (”bör”)"}


def _found(pattern: re.Pattern, text: str) -> list[str]:
    seen: dict[str, str] = {}
    for m in pattern.finditer(text):
        seen.setdefault(re.sub(r"\s+", " ", m.group().lower()), re.sub(r"\s+", " ", m.group()))
    return list(seen)


def _times(text: str) -> list[str]:
    """Deadlines and time limits ("fjorton dagar", "en månad", "genast"), not ages ("fyllt 12 år")."""
    seen: dict[str, None] = {}
    for m in _TIME.finditer(text):
        if m.group().lower().endswith(" år") and _AGE_BEFORE.search(text[max(0, m.start() - 12):m.start()]):
            continue
        seen.setdefault(re.sub(r"\s+", " ", m.group().lower()))
    return list(seen)


def _modals(text: str) -> set[str]:
    return {"ska" if m.lower() == "skall" else m.lower() for m in _MODAL.findall(text)}


def _quote(sentence: str, words: int = 8) -> str:
    parts = sentence.split()
    return "”" + " ".join(parts[:words]) + (" …”" if len(parts) > words else "”")


def _actor(a: str) -> str:
    return next((x for x in ACTORS if x.lower() == a), a)


def _changed_words(ops: list[DiffOp]) -> int:
    return sum(len(_words(op.text)) for op in ops if op.op != "equal")


def summarize(sentences: list[SentenceChange], old_full: str = "", new_full: str = "") -> str:
    """One Swedish line on what changed, derived from the sentence-aligned diff:
    deadlines and time limits, actors, duties/powers added or removed, sentences
    added or removed; otherwise only wording ("endast språkliga ändringar").
    `old_full`/`new_full`: the whole paragraphs, when the pair holds only part of
    them (a split or a merge): an actor is only "added" if the old paragraph does
    not name it anywhere, only "removed" if the new one does not."""
    if not sentences:
        return "ingen text att jämföra"
    if all(s.status == "same" for s in sentences):
        return "oförändrad lydelse"
    notes: list[str] = []
    old_text = " ".join(s.old for s in sentences if s.status in ("same", "changed"))
    new_text = " ".join(s.new for s in sentences if s.status in ("same", "changed"))
    # time limits, over all of the pair's sentences (a time moved to another sentence is no change)
    old_t = _times(" ".join(s.old for s in sentences))
    new_t = _times(" ".join(s.new for s in sentences))
    gone, came = [t for t in old_t if t not in new_t], [t for t in new_t if t not in old_t]
    if gone and came:
        notes.append(f"tidsfrist ändrad: {', '.join(gone)} → {', '.join(came)}")
    elif gone:
        notes.append(f"tidsangivelse borttagen: {', '.join(gone)}")
    elif came:
        notes.append(f"ny tidsangivelse: {', '.join(came)}")
    # actors, within each aligned sentence
    lost: list[str] = []
    gained: list[str] = []
    for s in sentences:
        if s.status != "changed":
            continue
        o, n = _found(_ACTOR, s.old), _found(_ACTOR, s.new)
        lost += [a for a in o if a not in n and a not in lost]
        gained += [a for a in n if a not in o and a not in gained]
    # "nämnden" for "socialnämnden" is the same actor
    def known(actor: str, text: str) -> bool:
        return any(actor.endswith(a) or a.endswith(actor) for a in _found(_ACTOR, text))

    lost = [a for a in lost if not known(a, new_text + " " + new_full)]
    gained_kept = [g for g in gained if not known(g, old_text + " " + old_full)]
    if lost and gained_kept:
        notes.append(f"annan aktör: {', '.join(map(_actor, lost))} → {', '.join(map(_actor, gained_kept))}")
    elif gained_kept:
        notes.append(f"aktör tillagd: {', '.join(map(_actor, gained_kept))}")
    elif lost:
        notes.append(f"aktör borttagen: {', '.join(map(_actor, lost))}")
    # duties within aligned sentences: "ska" → "får" and the like
    for s in sentences:
        if s.status != "changed":
            continue
        o, n = _modals(s.old), _modals(s.new)
        if o != n and (o - n) and (n - o):
            notes.append(f"{' / '.join(sorted(o - n))} → {' / '.join(sorted(n - o))} i {_quote(s.new, 5)}")
    # sentences added or removed
    for status in ("added", "removed"):
        rows = [s for s in sentences if s.status == status]
        with_duty = [s for s in rows if _modals(s.new or s.old)]
        plain = len(rows) - len(with_duty)
        kinds = sorted({m for s in with_duty for m in _modals(s.new or s.old)}, key=list(_MODAL_SV).index)
        what = " och ".join(_MODAL_SV[k] for k in kinds)
        if len(with_duty) == 1:
            notes.append(f"{what} {'tillagd' if status == 'added' else 'borttagen'}: {_quote(with_duty[0].new or with_duty[0].old)}")
        elif with_duty:
            notes.append(f"{len(with_duty)} {'nya meningar' if status == 'added' else 'meningar'} med {what}"
                         + ("" if status == "added" else " borttagna"))
        if plain:
            if status == "added":
                notes.append("ny mening" if plain == 1 else f"{plain} nya meningar")
            else:
                notes.append("mening borttagen" if plain == 1 else f"{plain} meningar borttagna")
    if not notes:
        changed = [s for s in sentences if s.status == "changed"]
        heavy = [s for s in changed if s.similarity < LIGHT_CHANGE and _changed_words(s.ops) > 3]
        if heavy:
            notes.append("omformulerad" if len(sentences) == 1 else f"omformulerad: {len(heavy)} av {len(sentences)} meningar")
        else:
            notes.append("endast språkliga ändringar")
    return "; ".join(notes)


# --- rendering ---------------------------------------------------------------

def render_text(ops: list[DiffOp], delete: tuple[str, str] = ("[-", "-]"),
                insert: tuple[str, str] = ("{+", "+}")) -> str:
    """[-removed-] {+added+} markup, as `git diff --word-diff` prints it; other marks
    for other media (render_markdown). A change is marked line by line, so no mark
    spans a line break."""
    out = []
    for op in ops:
        if op.op == "equal":
            out.append(op.text)
            continue
        mark = delete if op.op == "delete" else insert
        pieces = []
        for line in op.text.split("\n"):
            lead = line[: len(line) - len(line.lstrip())]
            trail = line[len(line.rstrip()):]
            pieces.append(f"{lead}{mark[0]}{line.strip()}{mark[1]}{trail}" if line.strip() else line)
        out.append("\n".join(pieces))
    return "".join(out)


def render_markdown(ops: list[DiffOp]) -> str:
    """Removed words struck through, added words in bold (Markdown; the PDFs print
    it as formatting)."""
    return render_text(ops, ("~~", "~~"), ("**", "**"))


def render_html(ops: list[DiffOp]) -> str:
    out = []
    for op in ops:
        text = html.escape(op.text).replace("\n", "<br>")
        if op.op == "equal":
            out.append(text)
        elif op.op == "delete":
            out.append(f"<del>{text}</del>")
        else:
            out.append(f"<ins>{text}</ins>")
    return "".join(out)


SENTENCE_SV = {"same": "oförändrad", "changed": "ändrad", "added": "ny mening", "removed": "borttagen mening"}


def render_sentences_text(sentences: list[SentenceChange], indent: str = "  ") -> str:
    lines = []
    for s in sentences:
        if s.status == "same":
            lines.append(f"{indent}  {s.new}")
        elif s.status == "changed":
            lines.append(f"{indent}~ {render_text(s.ops)}")
        elif s.status == "added":
            lines.append(f"{indent}+ {{+{s.new}+}}")
        else:
            lines.append(f"{indent}- [-{s.old}-]")
    return "\n".join(lines)


def render_sentences_html(sentences: list[SentenceChange]) -> str:
    """One <div class='sentence STATUS'> per sentence; added and removed ones
    carry a text tag as well as the <ins>/<del> colour."""
    out = []
    for s in sentences:
        tag = f"<span class='tag'>{SENTENCE_SV[s.status]}:</span> " if s.status in ("added", "removed") else ""
        body = html.escape(s.new) if s.status == "same" else render_html(s.ops)
        out.append(f"<div class='sentence {s.status}'>{tag}{body}</div>")
    return "".join(out)
