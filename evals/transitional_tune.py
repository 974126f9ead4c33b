"""Choose how the bank's transitional classifier is read (assistant/retrieval/transition.py)
and how strongly it is regularised (assistant/bank/adapter.py TRANSITION_C), by
cross-validation, never on the blind file:

- transitional questions: evals/transitional.jsonl (not training data) and the bank's
  own questions on the transitional points, each writer's read by a classifier fitted
  without that writer (leave one writer out); a question is right when the first point
  the answer would quote (the governing exception point, else the general rule) is its
  first label;
- misreads: the law development sets' questions that are not about the transition, each
  file's read by a classifier fitted without that file; reading one as about the
  transition (when its words do not say so) puts the general rule first in its answer.

Parameters are chosen on four folds of the transitional questions and scored on the
fifth (5-fold, stratified by source), with misreads at most MAX_MISREADS.

    python -m evals.transitional_tune [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

LAW_FILES = ("questions", "holdout", "fresh", "wild")
C_GRID = (30.0, 100.0, 300.0, 1000.0)
DETECT = (0.3, 0.4, 0.5, 0.6, 0.7, 1.01)
OVER_GENERAL = (0.5, 1.0, 1.5, 2.0)
AMENDMENT = (0.3, 0.5, 0.7, 1.01)
MAX_MISREADS = 0.01  # share of the law sets' other questions read as about the transition
FOLDS = 5


def predict(probs: dict, regex: bool, amendment_asked: bool, params) -> str:
    """The first point the answer quotes ("" when the question is not read as transitional)."""
    from assistant.retrieval.references import TRANSITION_CORE
    from assistant.retrieval.transition import governing_point, transitional_share

    if not (regex or transitional_share(probs) >= params.detect):
        return ""
    return governing_point(probs, params, amendment_asked) or TRANSITION_CORE[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.transitional_tune", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)

    from assistant.bank.adapter import TRANSITION_C, BankIndex, fit_transition
    from assistant.config import load_settings
    from assistant.retrieval.hybrid import HybridRetriever
    from assistant.retrieval.references import asks_about_amendment, asks_about_transition
    from assistant.retrieval.transition import POINT_PREFIX, TRANSITION, transition_class
    from evals.heldout import training_writer

    settings = load_settings(data_dir=args.data_dir)
    retriever = HybridRetriever(settings)
    full = retriever.bank
    writer_of = np.array(full.writers)

    def classifier(c: float, without: str = ""):
        keep = writer_of != without
        classes, weights = fit_transition(full.vectors[keep], [full.labels[i] for i in np.where(keep)[0]], c)
        return BankIndex([], [], [], full.vectors[:0], transition_classes=classes, transition_weights=weights)

    # (source, question, expected labels, {C: probabilities}) for every transitional question
    items: list[tuple[str, str, list[str], dict]] = []
    others: list[tuple[str, str, dict]] = []  # (file, question, {C: probabilities})
    dev_file = Path(__file__).with_name("transitional.jsonl")
    dev_rows = [json.loads(x) for x in dev_file.read_text(encoding="utf-8").splitlines() if x.strip()]
    writers = sorted({w for w, ls in zip(full.writers, full.labels)
                      if transition_class(ls) and not w.startswith("evals:")})
    vectors = {d["question"]: retriever.query_vector(d["question"]) for d in dev_rows}
    items = [("dev", d["question"], d["expected"], {}) for d in dev_rows]
    for i, (q, ls, w) in enumerate(zip(full.questions, full.labels, full.writers)):
        if w in writers and transition_class(ls):
            items.append((w, q, list(ls), {}))
            vectors[q] = full.vectors[i]
    for name in LAW_FILES:
        path = Path(__file__).with_name(f"{name}.jsonl")
        for d in map(json.loads, filter(str.strip, path.read_text(encoding="utf-8").splitlines())):
            if not any(e.startswith(POINT_PREFIX) for e in d.get("expected") or ()):
                others.append((name, d["question"], {}))
                vectors[d["question"]] = retriever.query_vector(d["question"])
    for c in C_GRID:
        model = classifier(c)
        for it in items:
            if it[0] == "dev":
                it[3][c] = model.transition_probs(vectors[it[1]])
        for w in writers:
            model = classifier(c, w)
            for it in items:
                if it[0] == w:
                    it[3][c] = model.transition_probs(vectors[it[1]])
        for name in LAW_FILES:
            model = classifier(c, training_writer(Path(f"{name}.jsonl")))
            for o in others:
                if o[0] == name:
                    o[2][c] = model.transition_probs(vectors[o[1]])
    flags = [(asks_about_transition(q), asks_about_amendment(q)) for _, q, _, _ in items]
    other_flags = [(asks_about_transition(q), asks_about_amendment(q)) for _, q, _ in others]
    grid = [(c, replace(TRANSITION, detect=d, over_general=g, amendment=a))
            for c, d, g, a in itertools.product(C_GRID, DETECT, OVER_GENERAL, AMENDMENT)]

    def right(choice, i: int) -> tuple[bool, bool]:
        c, params = choice
        first = predict(items[i][3][c], *flags[i], params)
        return first == items[i][2][0], first in items[i][2]

    def misreads(choice) -> float:
        c, params = choice
        return float(np.mean([bool(predict(o[2][c], r, a, params)) and not r
                              for o, (r, a) in zip(others, other_flags)]))

    rng = np.random.default_rng(0)
    fold = np.zeros(len(items), dtype=int)
    for source in {s for s, *_ in items}:
        idx = [i for i, it in enumerate(items) if it[0] == source]
        fold[idx] = rng.permutation(len(idx)) % FOLDS
    allowed = [p for p in grid if misreads(p) <= MAX_MISREADS]
    scores = {p: np.array([right(p, i) for i in range(len(items))]) for p in allowed}
    held = np.zeros((len(items), 2), dtype=bool)
    chosen = []
    for f in range(FOLDS):
        train = fold != f
        best = max(allowed, key=lambda p: (scores[p][train, 0].mean(), scores[p][train, 1].mean()))
        chosen.append(best)
        held[fold == f] = scores[best][fold == f]
    print(f"transitional questions {len(items)} (dev {sum(s == 'dev' for s, *_ in items)}, "
          f"bank writers {', '.join(writers)} each left out), other law questions {len(others)} (file left out)")
    print(f"grid {len(grid)}, "
          f"{len(allowed)} with misreads <= {MAX_MISREADS}")
    dev = np.array([s == "dev" for s, *_ in items])
    print(f"5-fold held out: first point governing {held[:, 0].mean():.3f} (dev file {held[dev, 0].mean():.3f}), "
          f"first point expected {held[:, 1].mean():.3f} (dev file {held[dev, 1].mean():.3f})")
    for c, p in chosen:
        print(f"  fold choice: C={c} detect={p.detect} over_general={p.over_general} amendment={p.amendment} "
              f"misreads={misreads((c, p)):.3f}")
    best = max(allowed, key=lambda p: (scores[p][:, 0].mean(), scores[p][:, 1].mean()))
    print(f"on all folds: C={best[0]} detect={best[1].detect} over_general={best[1].over_general} "
          f"amendment={best[1].amendment}: governing {scores[best][:, 0].mean():.3f}, "
          f"dev {scores[best][dev, 0].mean():.3f}, misreads {misreads(best):.3f}")
    print("the trade-off at the chosen C, over_general and amendment (all questions):")
    print(f"  {'detect':>7s} {'governing':>10s} {'dev':>6s} {'misreads':>9s}")
    for d in DETECT:
        choice = (best[0], replace(best[1], detect=d))
        right_all = np.array([right(choice, i) for i in range(len(items))])
        print(f"  {d:7.2f} {right_all[:, 0].mean():10.3f} {right_all[dev, 0].mean():6.3f} {misreads(choice):9.3f}")
    current = (TRANSITION_C, TRANSITION)
    if current in scores:
        print(f"current {current}: governing {scores[current][:, 0].mean():.3f}, dev {scores[current][dev, 0].mean():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
