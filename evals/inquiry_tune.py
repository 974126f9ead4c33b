"""The fusion weights for a search in the inquiry alone (the reasons route), chosen on
the bank's inquiry questions by 5-fold cross-validation (each fold scored with a bank
refitted without it). The folds are random, not by writer: the three inquiry writers
covered different chapters, so leaving a writer out leaves whole chapters without
neighbours. The reasons eval set (evals/inquiry_reasons.jsonl) is not used.

    python -m evals.inquiry_tune [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import random

GRID = {"bm25": (1, 2, 4, 8), "dense": (0.5, 1, 2), "bank": (0, 1.5, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.inquiry_tune", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--topic", action="store_true",
                        help="search with the question's topic (reasons_topic) instead of the whole question")
    args = parser.parse_args(argv)

    from assistant.config import load_settings
    from assistant.conversation.pipeline import INQUIRY_PREFIX, REASONS_FILTERS, reasons_topic
    from assistant.retrieval.hybrid import PRODUCT, HybridRetriever

    retriever = HybridRetriever(load_settings(data_dir=args.data_dir))
    full = retriever.bank
    rng = random.Random(0)
    folds = [f"fold{rng.randrange(5)}" if ls and ls[0].startswith(INQUIRY_PREFIX) else w
             for w, ls in zip(full.writers, full.labels)]
    full = dataclasses.replace(full, writers=folds)
    grid = [dataclasses.replace(PRODUCT, bm25=b, dense=d, bank=k) for b, d, k in itertools.product(*GRID.values())]
    hits = {i: [0, 0] for i in range(len(grid))}
    n = 0
    for fold in sorted({f for f in folds if f.startswith("fold")}):
        retriever._bank = full.without(fold, retriever.search_vectors, retriever.store)
        for question, labels, writer in zip(full.questions, full.labels, full.writers):
            if writer != fold:
                continue
            n += 1
            query = reasons_topic(question) if args.topic else question
            candidates = retriever.candidates(query, REASONS_FILTERS, retriever.settings.date)
            for i, params in enumerate(grid):
                got = list(dict.fromkeys(sp.passage.label for sp in retriever.rank(candidates, params, limit=30)))
                hits[i][0] += got[:1] == [labels[0]]
                hits[i][1] += labels[0] in got[:5]
    print(f"{n} inquiry bank questions, 5 folds; hit@1 hit@5 per setting (best first)")
    for i in sorted(hits, key=lambda i: -(hits[i][0] + hits[i][1])):
        p = grid[i]
        print(f"bm25 {p.bm25:4} dense {p.dense:4} bank {p.bank:4}   {hits[i][0] / n:.3f} {hits[i][1] / n:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
