"""Quizzes generated from the sources without a language model.

Item kinds:
- `deadline`: a cloze on a time limit ("… inom ___ dagar"), free answer;
- `actor`: who does it ("___ ska göra en bedömning"), multiple choice among actors;
- `term`: a defined term ("… (___)"), multiple choice among the law's other terms;
- `paragraph`: "Vilken paragraf säger detta?", distractors from other paragraphs;
- `statement`: "Vilket påstående stämmer enligt X?", distractors are sentences of
  other paragraphs.
Every item carries its citation and the verbatim sentence it was made from;
`grounded()` checks the answer is really in the cited passage (tested for all).
Deterministic for a given seed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from assistant.answering.verifier import NUMBER_WORDS
from assistant.parsing.text import sentence_spans

ACTORS = [
    "socialnämnden", "Inspektionen för vård och omsorg", "regeringen", "kommunen", "vårdnadshavaren",
    "förvaltningsrätten", "Statens institutionsstyrelse", "regionen", "Socialstyrelsen", "kommunfullmäktige",
]
_UNIT = r"(?:dagar|dagarna|veckor|vecka|månader|månad|år|timmar)"
_DEADLINE = re.compile(rf"\b(\d+|{'|'.join(k for k in NUMBER_WORDS if k not in ('en', 'ett'))}|en|ett)\s+({_UNIT})\b", re.I)
_TERM = re.compile(r"\(([a-zåäö][a-zåäö -]{3,40})\)")


@dataclass
class QuizItem:
    id: str
    kind: str
    prompt: str
    answer: str
    options: list[str] = field(default_factory=list)  # empty: free answer
    citation: str = ""
    passage_id: str = ""
    source: str = ""  # the verbatim sentence the item was made from

    def grounded(self, passage_text: str) -> bool:
        """The source sentence is verbatim in the cited passage, and so is the answer
        (for `paragraph` items the answer is the citation itself)."""
        if self.source not in passage_text:
            return False
        if self.kind == "paragraph":
            return self.answer == self.citation
        return self.answer.lower() in self.source.lower()  # also for `llm` items (kept only if so)


def _sentences(passage) -> list[str]:
    return [passage.text[a:b] for a, b in sentence_spans(passage.text) if 40 <= b - a <= 400]


def _candidates(passages, rng: random.Random, all_terms: list[str]) -> list[QuizItem]:
    items: list[QuizItem] = []
    labels = sorted({p.label for p in passages})
    for p in passages:
        for s in _sentences(p):
            if m := _DEADLINE.search(s):
                prompt = s[: m.start(1)] + "___" + s[m.end(1):]
                items.append(QuizItem("", "deadline", f"Fyll i: {prompt}", m[1], [], p.label, p.id, s))
            for actor in ACTORS:
                if re.search(rf"\b{re.escape(actor)}\b", s, re.I):
                    m2 = re.search(rf"\b{re.escape(actor)}\b", s, re.I)
                    others = [a for a in ACTORS if a.lower() != actor.lower()]
                    options = sorted(rng.sample(others, 3) + [m2[0]], key=str.lower)
                    prompt = s[: m2.start()] + "___" + s[m2.end():]
                    items.append(QuizItem("", "actor", f"Vem eller vad saknas? {prompt}", m2[0], options, p.label, p.id, s))
                    break
            if (m := _TERM.search(s)) and len(all_terms) > 3:
                others = [t for t in all_terms if t != m[1]]
                options = sorted(rng.sample(others, 3) + [m[1]])
                prompt = s[: m.start(1)] + "___" + s[m.end(1):]
                items.append(QuizItem("", "term", f"Vilket begrepp saknas? {prompt}", m[1], options, p.label, p.id, s))
        sentences = _sentences(p)
        if sentences and len(labels) > 3:
            s = sentences[0]
            others = rng.sample([l for l in labels if l != p.label], 3)
            items.append(QuizItem("", "paragraph", f"Vilken paragraf säger detta? ”{s}”", p.label,
                                  sorted(others + [p.label]), p.label, p.id, s))
    return items


def _statement_items(passages, rng: random.Random) -> list[QuizItem]:
    items = []
    pool = [(p, s) for p in passages for s in _sentences(p)]
    for p in passages:
        own = _sentences(p)
        others = [s for q, s in pool if q.label != p.label]
        if not own or len(others) < 3:
            continue
        s = own[min(1, len(own) - 1)]
        options = rng.sample(others, 3) + [s]
        rng.shuffle(options)
        items.append(QuizItem("", "statement", f"Vilket påstående stämmer enligt {p.label}?", s, options, p.label, p.id, s))
    return items


def generate_quiz(passages, n: int = 10, seed: int = 1, terms: list[str] | None = None) -> list[QuizItem]:
    """`n` items from the passages, spread over kinds and paragraphs; the same
    passages and seed give the same quiz."""
    rng = random.Random(seed)
    passages = sorted(passages, key=lambda p: p.id)
    all_terms = sorted(set(terms or []) | {m[1] for p in passages for m in _TERM.finditer(p.text)})
    candidates = _candidates(passages, rng, all_terms) + _statement_items(passages, rng)
    by_kind: dict[str, list[QuizItem]] = {}
    for item in candidates:
        by_kind.setdefault(item.kind, []).append(item)
    for items in by_kind.values():
        rng.shuffle(items)
    chosen: list[QuizItem] = []
    used_sources: set[str] = set()
    kinds = ["deadline", "actor", "paragraph", "term", "statement"]
    per_label: dict[str, int] = {}
    while len(chosen) < n and any(by_kind.get(k) for k in kinds):
        for kind in kinds:
            pool = [x for x in by_kind.get(kind, []) if (x.kind, x.source) not in used_sources]
            by_kind[kind] = pool
            if not pool:
                continue
            # spread over the module's paragraphs: the least asked paragraph first
            item = min(reversed(pool), key=lambda x: per_label.get(x.citation, 0))
            pool.remove(item)
            used_sources.add((item.kind, item.source))
            per_label[item.citation] = per_label.get(item.citation, 0) + 1
            chosen.append(item)
            if len(chosen) >= n:
                break
    for i, item in enumerate(chosen, 1):
        item.id = f"f{i}"
    return chosen


_FILLER = {"inom", "senast", "efter", "st", "stycken", "cirka", "ca"}
_UNITS = {"dag", "dagar", "dagarna", "vecka", "veckor", "månad", "månader", "år", "timme", "timmar"}


def _normalise(text: str) -> list[str]:
    """The words of an answer as compared: lower case, numbers as digits ("fjorton" =
    "14"), without units and filler words when the answer is a number; sorted, so word
    order does not matter."""
    words = re.findall(r"[\wåäö]+", text.lower())
    words = [str(NUMBER_WORDS[w]) if w in NUMBER_WORDS else w for w in words]
    if any(w.isdigit() for w in words):
        words = [w for w in words if w not in _UNITS | _FILLER]
    return sorted(words)


def verdict(item: QuizItem, correct: bool) -> str:
    """One verdict in Swedish: "Rätt." or "Fel – rätt svar: …"."""
    return "Rätt." if correct else f"Fel – rätt svar: {item.answer}."


def source_line(item: QuizItem) -> str:
    return f"Källa: {item.citation}: ”{item.source}”"


def grade(item: QuizItem, response: str) -> tuple[bool, str]:
    """-> (correct, the verdict with the citation). A free answer is graded by its
    meaning: numbers as words or digits, with or without the unit, in any word order."""
    given = _normalise(response)
    correct = bool(given) and given == _normalise(item.answer)
    return correct, f"{verdict(item, correct)} {source_line(item)}"
