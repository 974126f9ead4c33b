"""Staff's own wording teaches the assistant: a "Bra svar" (thumbs up, question
shared) proposes the masked question with the paragraph it was answered from;
an editor accepts or rejects it with `assistant bank review`. Accepted questions
go to the bank file REVIEWED in corpus/questions and are trained on at the next
ingest. Nothing unmasked is written: the question is masked again here.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from assistant.bank.data import BANK_DIR, BankQuestion, check_lines
from assistant.privacy import mask_personnummer

PROPOSALS = "bank-proposals.jsonl"  # in the state dir
REVIEWED = "granskade-fragor.jsonl"  # in the bank dir
WRITER = "personal"  # the writer of accepted proposals

_LOCK = threading.Lock()


@dataclass
class Proposal:
    n: int
    question: str
    label: str
    answers: list[str]
    status: str = "ny"  # ny | godkänd | avvisad


def propose(state_dir: Path, question: str, answer: dict | None) -> dict | None:
    """Append a proposal for a well-rated answer (its first cited paragraph and the
    quotes from it); None when the answer cites no paragraph of the law."""
    if not answer or answer.get("abstained") or not question:
        return None
    citations = [c for c in answer.get("citations", []) if str(c.get("label", "")).startswith("SFS ")]
    if not citations:
        return None
    label = citations[0]["label"]
    quotes = [c["quote"] for c in citations if c["label"] == label and c.get("quote")]
    entry = {"question": mask_personnummer(question)[0], "labels": [label], "answers": quotes[:3], "status": "ny"}
    path = Path(state_dir) / PROPOSALS
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK, open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return entry


def proposals(state_dir: Path) -> list[Proposal]:
    path = Path(state_dir) / PROPOSALS
    if not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            d = json.loads(line)
            out.append(Proposal(n, d["question"], d["labels"][0], list(d.get("answers", [])), d.get("status", "ny")))
    return out


def decide(state_dir: Path, accept: set[int], reject: set[int], texts_by_label: dict[str, list[str]],
           bank_dir: Path | None = None) -> tuple[list[str], list[str]]:
    """Accept and reject proposals by number. An accepted one must pass the bank's
    checks (label known, quotes verbatim, no six words copied), else it stays new.
    -> (accepted questions, problems)."""
    bank_dir = bank_dir or BANK_DIR
    path = Path(state_dir) / PROPOSALS
    items = proposals(state_dir)
    accepted, problems = [], []
    lines = []
    for p in items:
        if p.n in accept and p.status == "ny":
            line = json.dumps({"question": p.question, "labels": [p.label], "answers": p.answers,
                               "writer": WRITER, "voice": "", "form": "question"}, ensure_ascii=False)
            found = check_lines([line], texts_by_label)
            if found:
                problems += [f"förslag {p.n}: {x.removeprefix('rad 1: ')}" for x in found]
            else:
                p.status = "godkänd"
                accepted.append(line)
        elif p.n in reject and p.status == "ny":
            p.status = "avvisad"
        lines.append(json.dumps({"question": p.question, "labels": [p.label], "answers": p.answers,
                                 "status": p.status}, ensure_ascii=False))
    with _LOCK:
        if accepted:
            bank_dir.mkdir(parents=True, exist_ok=True)
            with open(bank_dir / REVIEWED, "a", encoding="utf-8") as fh:
                fh.write("".join(line + "\n" for line in accepted))
        if items:
            tmp = path.with_suffix(".tmp")
            tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            tmp.replace(path)
    return [json.loads(line)["question"] for line in accepted], problems


def stats(questions: list[BankQuestion], labels: list[str]) -> dict:
    """Questions per chapter and per paragraph of the labels given (the laws'), and the gaps."""
    from collections import Counter

    from assistant.labels import parse_label

    per_label = Counter(label for q in questions for label in q.labels)
    chapters: dict[str, dict[str, int]] = {}
    for label in labels:
        parts = parse_label(label)
        key = f"{parts.document} {parts.chapter} kap." if parts.chapter else f"{parts.document} övergångsbestämmelser"
        chapters.setdefault(key, {})[label] = per_label.get(label, 0)
    return {
        "questions": len(questions),
        "out_of_scope": sum(1 for q in questions if q.out_of_scope),
        "writers": dict(Counter(q.writer for q in questions)),
        "chapters": {k: {"paragraphs": len(v), "questions": sum(v.values()), "fewest": min(v.values())}
                     for k, v in chapters.items()},
        "per_label": {label: per_label.get(label, 0) for label in labels},
    }
