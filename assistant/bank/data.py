"""Load and check the question bank.

One JSON object per line:
    {"question": "...", "labels": ["SFS 2025:400 20 kap. 2 §"], "answers": ["verbatim sentence", ...],
     "writer": "w1", "voice": "socialsekreterare", "form": "case"}
Out-of-scope questions have "labels": [] and "out_of_scope": true (no answers).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import PROJECT_ROOT

BANK_DIR = PROJECT_ROOT / "corpus" / "questions"
COPY_WORDS = 6  # a question may not copy this many consecutive words of its passage
FORMS = ("question", "case", "two_asks", "keywords", "typos", "no_diacritics")


@dataclass(frozen=True)
class BankQuestion:
    question: str
    labels: tuple[str, ...]
    answers: tuple[str, ...] = ()
    writer: str = ""
    voice: str = ""
    form: str = ""
    out_of_scope: bool = False
    source: str = ""  # file stem
    line: int = 0


@dataclass
class Bank:
    questions: list[BankQuestion] = field(default_factory=list)
    digest: str = ""  # sha256 of the files' bytes, in name order

    @property
    def answerable(self) -> list[BankQuestion]:
        return [q for q in self.questions if not q.out_of_scope]

    @property
    def writers(self) -> list[str]:
        return sorted({q.writer for q in self.questions})


def parse_line(raw: str, source: str = "", line: int = 0) -> BankQuestion:
    data = json.loads(raw)
    labels = data.get("labels")
    if labels is None:
        labels = [data["label"]] if data.get("label") else []
    return BankQuestion(
        question=str(data["question"]).strip(),
        labels=tuple(labels),
        answers=tuple(data.get("answers") or ()),
        writer=str(data.get("writer", "")),
        voice=str(data.get("voice", "")),
        form=str(data.get("form", "")),
        out_of_scope=bool(data.get("out_of_scope", False)) or not labels,
        source=source,
        line=line,
    )


# Development eval files whose labelled questions are training data too (never blind*.jsonl):
# a figure reported on one of them comes from a bank without it (evals.run holds the file out).
TRAINING_EVALS = ("questions", "holdout", "fresh", "wild")
EVALS_DIR = PROJECT_ROOT / "evals"


def eval_training_files(directory: Path | None = None) -> list[Path]:
    directory = directory or EVALS_DIR
    return [directory / f"{stem}.jsonl" for stem in TRAINING_EVALS if (directory / f"{stem}.jsonl").exists()]


def eval_question(data: dict, source: str, line: int) -> BankQuestion:
    """A labelled eval question as training data: its expected labels, its writer the file."""
    labels = tuple(data.get("expected") or ())
    return BankQuestion(str(data["question"]).strip(), labels, tuple(data.get("answer_facts") or ()),
                        f"evals:{source}", "", str(data.get("kind", "")), not labels, f"evals:{source}", line)


def bank_files(directory: Path | None = None) -> list[Path]:
    directory = directory or BANK_DIR
    return sorted(directory.glob("*.jsonl")) if directory.is_dir() else []


def load_bank(directory: Path | None = None, evals: list[Path] | None = None) -> Bank:
    """The bank's questions, then the development eval files' (`evals`: None means
    TRAINING_EVALS when the bank is the repository's, [] none)."""
    files = bank_files(directory)
    if evals is None:
        evals = eval_training_files() if directory is None or Path(directory) == BANK_DIR else []
    h = hashlib.sha256()
    questions: list[BankQuestion] = []
    for path in files:
        data = path.read_bytes()
        h.update(path.name.encode() + b"\0" + data)
        for n, raw in enumerate(data.decode("utf-8").splitlines(), 1):
            if raw.strip():
                questions.append(parse_line(raw, path.stem, n))
    for path in evals if files else []:
        data = path.read_bytes()
        h.update(b"evals/" + path.name.encode() + b"\0" + data)
        for n, raw in enumerate(data.decode("utf-8").splitlines(), 1):
            if raw.strip():
                questions.append(eval_question(json.loads(raw), path.stem, n))
    return Bank(questions, h.hexdigest() if files else "")


def words(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())


def normalised(text: str) -> str:
    return " ".join(words(text))


def copied_run(question: str, passage_text: str, n: int = COPY_WORDS) -> str:
    """The first run of n consecutive words the question shares with the passage, or ""."""
    q = words(question)
    grams = {tuple(q[i:i + n]) for i in range(len(q) - n + 1)}
    p = words(passage_text)
    for i in range(len(p) - n + 1):
        if tuple(p[i:i + n]) in grams:
            return " ".join(p[i:i + n])
    return ""


def problems(q: BankQuestion, texts_by_label: dict[str, list[str]]) -> list[str]:
    """What is wrong with one bank line (empty when it is fine). texts_by_label:
    every version and part of each label's passage text."""
    out: list[str] = []
    if len(q.question) < 8:
        out.append("frågan är för kort")
    if q.form not in FORMS:
        out.append(f"okänd form {q.form!r}; välj bland {', '.join(FORMS)}")
    if q.out_of_scope:
        if q.answers:
            out.append("en fråga utanför lagen har inga svarsmeningar")
        return out
    texts: list[str] = []
    for label in q.labels:
        if label not in texts_by_label:
            out.append(f"okänd etikett {label!r}")
        else:
            texts += texts_by_label[label]
    if not q.answers:
        out.append("svarsmening saknas")
    for a in q.answers:
        if len(words(a)) < 3:
            out.append(f"svarsmeningen är för kort: {a!r}")
        elif not any(a in t for t in texts):
            out.append(f"svarsmeningen finns inte ordagrant i {', '.join(q.labels)}: {a[:60]!r}")
    for t in texts:
        run = copied_run(q.question, t)
        if run:
            out.append(f"frågan kopierar sex ord i följd ur paragrafen: {run!r}")
            break
    return out


def label_texts(settings=None, kinds: tuple[str, ...] = ("statute", "inquiry")) -> dict[str, list[str]]:
    """label -> texts of every version and part, parsed from the two laws (and the
    inquiry, whose reasons the bank also asks about) in the mirror."""
    from assistant.config import Settings
    from assistant.parsing import parse_document
    from assistant.sources.manifest import located_documents

    settings = settings or Settings()
    out: dict[str, list[str]] = {}
    for doc, path in located_documents(settings, kinds):
        passages, _ = parse_document(doc, path)
        for p in passages:
            out.setdefault(p.label, []).append(p.text)
    return out


def check_lines(lines: Iterable[str], texts_by_label: dict[str, list[str]], source: str = "") -> list[str]:
    """Every problem of a bank file, as 'line N: problem'."""
    out = []
    seen: set[str] = set()
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            q = parse_line(raw, source, n)
        except (ValueError, KeyError, TypeError) as exc:
            out.append(f"rad {n}: inte en giltig rad ({exc.__class__.__name__}: {exc})")
            continue
        key = normalised(q.question)
        if key in seen:
            out.append(f"rad {n}: samma fråga finns redan")
        seen.add(key)
        out += [f"rad {n}: {p}" for p in problems(q, texts_by_label)]
    return out


def main(argv: list[str] | None = None) -> int:
    """python -m assistant.bank.data FILE...: print each file's problems."""
    import sys

    paths = argv if argv is not None else sys.argv[1:]
    texts = label_texts()
    bad = 0
    for path in paths:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        found = check_lines(lines, texts, Path(path).stem)
        n = sum(1 for x in lines if x.strip())
        print(f"{path}: {n} rader, {len(found)} problem")
        for p in found[:200]:
            print("  " + p)
        bad += len(found)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())


NEAR_COPY = 0.95  # cosine at which a bank question counts as a copy of an eval question


def eval_overlap(bank: list[str], bank_vectors, others: list[str], other_vectors,
                 threshold: float = NEAR_COPY) -> list[tuple[int, int, float]]:
    """(bank index, other index, cosine) of every bank question that is the same
    text (normalised) as another question, or a near copy (cosine ≥ threshold)."""
    import numpy as np

    out = []
    keys = {normalised(q): j for j, q in enumerate(others)}
    sims = np.asarray(bank_vectors) @ np.asarray(other_vectors).T if len(others) and len(bank) else None
    for i, q in enumerate(bank):
        j = keys.get(normalised(q))
        if j is not None:
            out.append((i, j, 1.0))
        elif sims is not None and (j := int(np.argmax(sims[i]))) >= 0 and sims[i, j] >= threshold:
            out.append((i, j, float(sims[i, j])))
    return out
