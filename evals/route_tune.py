"""How the router tells a question about the inquiry's reasons from a legal one:
the wording rule (`asks_for_reasons`) or the bank's nearest questions (their vote's
share on the inquiry's labels >= a threshold). Chosen without the reasons eval set:

- recall: the bank's inquiry questions, each writer's with a bank refitted without
  that writer (leave one writer out);
- misroutes: the law development sets' questions (in scope and out of scope), each
  file's with a bank without that file, routed to the inquiry.

    python -m evals.route_tune [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

LAW_FILES = ("questions", "holdout", "fresh", "wild")
GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
CLASSIFIER_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.route_tune", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)

    from assistant.config import load_settings
    from assistant.conversation.pipeline import INQUIRY_PREFIX, asks_for_reasons
    from assistant.retrieval.hybrid import HybridRetriever
    from evals.heldout import training_writer

    settings = load_settings(data_dir=args.data_dir)
    retriever = HybridRetriever(settings)
    full = retriever.bank

    def shares(bank, questions: list[str]) -> list[tuple[float, float]]:
        """(the neighbours' share, the label classifier's share) per question."""
        vectors = [retriever.query_vector(q) for q in questions]
        return [(bank.share(v, INQUIRY_PREFIX), bank.classifier_share(v, INQUIRY_PREFIX)) for v in vectors]

    inquiry: list[tuple[bool, tuple[float, float]]] = []
    for writer in sorted({w for w, ls in zip(full.writers, full.labels) if ls and ls[0].startswith(INQUIRY_PREFIX)}):
        bank = full.without(writer, retriever.search_vectors, retriever.store)
        qs = [q for q, w in zip(full.questions, full.writers) if w == writer]
        inquiry += list(zip([asks_for_reasons(q) for q in qs], shares(bank, qs)))
    law: list[tuple[bool, tuple[float, float]]] = []
    for name in LAW_FILES:
        path = Path(__file__).with_name(f"{name}.jsonl")
        qs = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        writer = training_writer(path)
        bank = full.without(writer, retriever.search_vectors, retriever.store) if writer in full.writers else full
        law += list(zip([asks_for_reasons(q) for q in qs], shares(bank, qs)))
    print(f"inquiry bank questions {len(inquiry)} (leave one writer out), law questions {len(law)} (leave one file out)")
    print(f"{'threshold':>10s} {'recall':>8s} {'misroutes':>10s}")
    print(f"{'rule only':>10s} {np.mean([r for r, _ in inquiry]):8.3f} {np.mean([r for r, _ in law]):10.3f}")
    for t in GRID:
        recall = np.mean([r or s >= t for r, (s, _) in inquiry])
        wrong = np.mean([r or s >= t for r, (s, _) in law])
        print(f"{t:10.2f} {recall:8.3f} {wrong:10.3f}")
    print("\nthe neighbours' share >= t or the label classifier's share >= c: recall / misroutes")
    print(f"{'t | c':>10s} " + " ".join(f"{c:>12.2f}" for c in CLASSIFIER_GRID))
    for t in GRID:
        cells = []
        for c in CLASSIFIER_GRID:
            recall = np.mean([r or s >= t or k >= c for r, (s, k) in inquiry])
            wrong = np.mean([r or s >= t or k >= c for r, (s, k) in law])
            cells.append(f"{recall:.3f}/{wrong:.3f}")
        print(f"{t:10.2f} " + " ".join(f"{x:>12s}" for x in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
