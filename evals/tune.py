"""Choose the fusion settings by cross-validation, and test every hand rule on
questions it was not chosen on.

    python -m evals.tune [--questions evals/questions.jsonl evals/holdout.jsonl evals/fresh.jsonl] [--folds 5 | --by-set] [--answers]

Every question's candidates (BM25, passage and sentence vectors, coverage,
priors) are computed once; each setting of the grid is then a cheap re-ranking.
For each fold the setting with the best training objective (MRR@10 + hit@1) is
chosen and scored on the held-out fold; the printed numbers are the held-out
ones, pooled over the folds. Rules (the priors, the definition bonus, the
sentence vectors, coverage) are then removed one at a time, backwards: each
round drops the rule whose removal helps the held-out folds most, until every
removal hurts; a rule stays only if the held-out folds are better with it.
The last line is the setting chosen on all questions with the rules that
stayed, the one `assistant.retrieval.hybrid.PRODUCT` should hold.

`--answers` does the same for the answerer (`AnswerParams`): retrieval is
fixed (PRODUCT), every question (out-of-scope ones too) is retrieved once,
and the grid varies how quotes are chosen (objective: fact recall +
citation precision) and when to abstain (objective: the mean of the shares
of in-scope questions answered and of out-of-scope questions refused).
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from evals.heldout import held_out

ROOT = Path(__file__).resolve().parents[1]
# blind.jsonl is never among them: it is the set nothing is tuned on.
DEFAULT_SETS = [str(ROOT / "evals" / name) for name in ("questions.jsonl", "holdout.jsonl", "fresh.jsonl")]

GRID = {  # a first, wider grid (dense 0.3-1.5, sentence 0-1, coverage 0-0.8, rrf_k 20/60,
    # transition depth 1-8, a floor of 0-0.5 on the transitional points' coverage):
    # evals/report/tune-fusion.txt and tune-transition.txt
    "dense": [0.6, 1.0, 1.5, 2.0],
    "sentence": [0.5, 1.0],
    "coverage": [0.2, 0.3, 0.4],
    "rrf_k": [20, 60],
    "new_law_prior": [1.5, 2.5, 4.0],
}
# Each rule and its "off" value: tested by restricting the grid to it.
RULES = {
    "new_law_prior": 1.0, "hint_prior": 1.0, "transition_prior": 1.0,
    "definition": 0.0, "sentence": 0.0, "coverage": 0.0,
}


def label_metrics(labels: list[str], expected: set[str]) -> tuple[float, float, float]:
    """(hit@1, hit@5, reciprocal rank@10) of distinct labels in rank order."""
    rr = next((1.0 / (i + 1) for i, label in enumerate(labels[:10]) if label in expected), 0.0)
    return float(bool(labels) and labels[0] in expected), float(any(x in expected for x in labels[:5])), rr


class Prepared:
    """One question with its candidates computed once."""

    def __init__(self, retriever, q: dict, date: str):
        self.q = q
        self.expected = set(q["expected"])
        with held_out(retriever, q.get("_file", "")):
            self.candidates = retriever.candidates(q["question"], date=date)
        self.question = q["question"]


def evaluate(retriever, prepared: list[Prepared], params, date: str) -> np.ndarray:
    """Per question (hit@1, hit@5, rr@10) under `params`; the product's rules
    (named paragraphs, transition rule) included."""
    out = np.zeros((len(prepared), 3))
    for i, pq in enumerate(prepared):
        with held_out(retriever, pq.q.get("_file", "")):
            result = retriever.search(pq.question, k=10, date=date, params=params, candidates=pq.candidates)
        labels = list(dict.fromkeys(sp.passage.label for sp in result.passages))
        out[i] = label_metrics(labels, pq.expected)
    return out


def objective(m: np.ndarray) -> float:
    return float(m[:, 2].mean() + m[:, 0].mean()) if len(m) else 0.0


def grid(base, restrict: dict | None = None):
    restrict = restrict or {}
    names = list(GRID)
    for values in itertools.product(*(GRID[n] if n not in restrict else [restrict[n]] for n in names)):
        yield replace(base, **dict(zip(names, values)), **{k: v for k, v in restrict.items() if k not in GRID})


def cross_validate(table: dict, configs: list, folds: list[np.ndarray]) -> tuple[np.ndarray, list]:
    """Held-out per-question metrics: each fold scored by the config best on the others."""
    n = len(next(iter(table.values())))
    held = np.zeros((n, 3))
    chosen = []
    for test in folds:
        train = np.setdiff1d(np.arange(n), test)
        best = max(configs, key=lambda cfg: objective(table[cfg][train]))
        held[test] = table[best][test]
        chosen.append(best)
    return held, chosen


QUOTE_GRID = {  # (max_quotes_per_passage 1/2 and answer_passage_quotes 1-3 were chosen by earlier runs of
    # this grid: evals/report/tune-answers*.txt; a floor of 0-0.2 on a quote's own term coverage: -4.txt)
    "max_quotes": [3, 4],
    "relative_floor": [0.6, 0.7, 0.8],
    "semantic": [1.0, 1.5, 2.0],
    "rank_weight": [0.25, 0.5, 1.0],
}
ABSTAIN_GRID = {  # (weak_coverage 0.35/0.5, max_unknown 0.3/0.4 and long_message 0/20/30 were chosen by
    # earlier runs: evals/report/tune-answers*.txt)
    "min_similarity": [0.0, 0.86, 0.88],
    "min_coverage": [0.2, 0.3],
    "oos_similarity": [0.0, 0.9, 0.92, 0.94],
    "in_similarity": [0.0, 0.9, 0.92, 0.94],
}
# The bank's label classifier as an abstention rule was tried and lost held out (issue 20): its
# out-of-scope probability refusing at 0.3-0.7 (evals/report/tune-answers-classifier.txt), and its
# most probable label being the best passage's overriding weak coverage at 0.2-0.5 (no held-out
# gain alone: evals/report/tune-answers-one-at-a-time.txt). Neither is in the answerer.


def answer_rows(answerer, questions: list[dict], results: list, params, date: str) -> np.ndarray:
    """Per question: (in scope, abstained, facts found share, cited expected, citations)."""
    from evals.metrics import _norm

    answerer.params = params
    out = np.zeros((len(questions), 5))
    for i, (q, result) in enumerate(zip(questions, results)):
        with held_out(answerer.retriever, q.get("_file", "")):
            answer = answerer.compose(q["question"], result, date)
        text = _norm(answer.text)
        facts = q["answer_facts"]
        cited = [c.label for c in answer.citations]
        out[i] = (bool(q["expected"]), answer.abstained,
                  sum(_norm(f) in text for f in facts) / len(facts) if facts else 0.0,
                  sum(label in set(q["expected"]) for label in cited), len(cited))
    return out


def quote_objective(m: np.ndarray) -> float:
    inside = m[m[:, 0] == 1]
    if not len(inside):
        return 0.0
    precision = inside[:, 3].sum() / max(inside[:, 4].sum(), 1)
    return float(inside[:, 2].mean() + precision)


def abstain_objective(m: np.ndarray) -> float:
    inside, outside = m[m[:, 0] == 1], m[m[:, 0] == 0]
    answered = 1 - inside[:, 1].mean() if len(inside) else 0.0
    refused = outside[:, 1].mean() if len(outside) else 0.0
    return float((answered + refused) / 2)


def answer_summary(name: str, m: np.ndarray) -> str:
    inside, outside = m[m[:, 0] == 1], m[m[:, 0] == 0]
    accuracy = (np.sum(inside[:, 1] == 0) + np.sum(outside[:, 1] == 1)) / len(m)
    return (f"{name:40s} facts {inside[:, 2].mean():.3f}  citP {inside[:, 3].sum() / max(inside[:, 4].sum(), 1):.3f}  "
            f"abstention {accuracy:.3f}  out-of-scope refused {outside[:, 1].mean() if len(outside) else 0:.3f}  "
            f"in-scope refused {int(inside[:, 1].sum())}")


def tune_answers(settings, questions: list[dict], folds: list[np.ndarray], date: str,
                 one_at_a_time: bool = False) -> None:
    from assistant.answering.extractive import ANSWER, ExtractiveAnswerer
    from assistant.retrieval.hybrid import HybridRetriever

    retriever = HybridRetriever(settings)
    answerer = ExtractiveAnswerer(retriever, settings)
    t = time.perf_counter()
    results = []
    for q in questions:
        with held_out(retriever, q.get("_file", "")):
            results.append(retriever.search(q["question"], k=10, date=date))
    print(f"{len(questions)} questions retrieved in {time.perf_counter() - t:.1f} s")
    cache: dict = {}

    def table(configs):
        for cfg in configs:
            if cfg not in cache:
                cache[cfg] = answer_rows(answerer, questions, results, cfg, date)
        return {cfg: cache[cfg] for cfg in configs}

    def configs_of(base, space):
        names = list(space)
        return [replace(base, **dict(zip(names, values))) for values in itertools.product(*space.values())]

    def cv(configs, objective_fn):
        tab = table(configs)
        held = np.zeros_like(next(iter(tab.values())))
        choices = []
        for test in folds:
            train = np.setdiff1d(np.arange(len(questions)), test)
            best = max(configs, key=lambda c: objective_fn(tab[c][train]))
            held[test] = tab[best][test]
            choices.append(best)
        return held, max(configs, key=lambda c: objective_fn(tab[c])), choices

    print(answer_summary("current ANSWER", table([ANSWER])[ANSWER]))
    if one_at_a_time:
        # Each abstention setting alone, the others as in ANSWER: does it earn a held-out gain?
        for name, values in ABSTAIN_GRID.items():
            held, best, choices = cv(configs_of(ANSWER, {name: values}), abstain_objective)
            print(answer_summary(f"{name} alone (held-out)", held),
                  "| fold choices", [getattr(c, name) for c in choices], "| on all", getattr(best, name))
        return
    held, best_quotes, _ = cv(configs_of(ANSWER, QUOTE_GRID), quote_objective)
    print(answer_summary("quotes cross-validated (held-out)", held))
    held, best, choices = cv(configs_of(best_quotes, ABSTAIN_GRID), abstain_objective)
    print(answer_summary("+ abstention cross-validated (held-out)", held))
    print(answer_summary("chosen on all questions (training)", cache[best]))
    print("fold choices:", [{k: getattr(c, k) for k in ABSTAIN_GRID} for c in choices])
    print("best on all:", {k: getattr(best, k) for k in [*QUOTE_GRID, *ABSTAIN_GRID]})
    print("ANSWER =", {k: v for k, v in asdict(best).items() if v != getattr(ANSWER, k)} or "unchanged")


def make_folds(sets: np.ndarray, args) -> list[np.ndarray]:
    """Question indices per fold: one fold per question file (`--by-set`), else
    `--folds` random folds (seeded)."""
    if args.by_set:
        return [np.flatnonzero(sets == i) for i in range(len(args.questions))]
    order = list(range(len(sets)))
    random.Random(args.seed).shuffle(order)
    return [np.array(sorted(order[i:: args.folds])) for i in range(args.folds)]


def main(argv=None) -> int:
    from assistant.config import load_settings
    from assistant.retrieval.hybrid import PRODUCT, HybridRetriever
    from evals.run import load_questions

    parser = argparse.ArgumentParser(prog="python -m evals.tune")
    parser.add_argument("--questions", nargs="+", default=DEFAULT_SETS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--data-dir")
    parser.add_argument("--date", default="2026-11-22")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--answers", action="store_true", help="tune the answerer instead of the fusion")
    parser.add_argument("--one-at-a-time", action="store_true",
                        help="with --answers: each abstention setting alone, the others as in ANSWER")
    parser.add_argument("--ablate", action="store_true",
                        help="only the product with each rule switched off in turn (no grid): does each rule "
                             "still earn its place, each file scored with a bank without it")
    parser.add_argument("--by-set", action="store_true",
                        help="one fold per question file (leave one set out): settings must carry over to "
                             "another writer's wording, not only to other questions of the same writer")
    args = parser.parse_args(argv)

    settings = load_settings(data_dir=args.data_dir, reference_date=args.date)
    tagged = [(i, q | {"_file": path}) for i, path in enumerate(args.questions) for q in load_questions(path)
              if args.answers or q["expected"]]  # the answerer is tuned on out-of-scope questions too
    questions = [q for _, q in tagged]
    folds = make_folds(np.array([i for i, _ in tagged]), args)
    if args.answers:
        tune_answers(settings, questions, folds, args.date, args.one_at_a_time)
        return 0
    retriever = HybridRetriever(settings, params=replace(PRODUCT, sentence=max(PRODUCT.sentence, 1.0)))
    t = time.perf_counter()
    prepared = [Prepared(retriever, q, args.date) for q in questions]
    print(f"{len(prepared)} in-scope questions from {len(args.questions)} file(s), candidates in "
          f"{time.perf_counter() - t:.1f} s")

    cache: dict = {}

    def table_for(configs):
        for cfg in configs:
            if cfg not in cache:
                cache[cfg] = evaluate(retriever, prepared, cfg, args.date)
        return {cfg: cache[cfg] for cfg in configs}

    def row(name: str, m: np.ndarray) -> str:
        return f"{name:40s} hit@1 {m[:, 0].mean():.3f}  hit@5 {m[:, 1].mean():.3f}  mrr@10 {m[:, 2].mean():.3f}"

    def held_out(off: dict) -> tuple[np.ndarray, list]:
        configs = list(dict.fromkeys(grid(PRODUCT, off)))
        return cross_validate(table_for(configs), configs, folds)

    t = time.perf_counter()
    print(row("current PRODUCT (no tuning)", table_for([PRODUCT])[PRODUCT]))
    if args.ablate:
        base = objective(cache[PRODUCT])
        for rule, value in {**RULES, "bank": 0.0}.items():  # (the adapter changes the candidates: see evals.run dense vs model)
            m = table_for([replace(PRODUCT, **{rule: value})])[replace(PRODUCT, **{rule: value})]
            print(row(f"  without {rule}", m) + f"   gain of the rule {base - objective(m):+.3f}")
        return 0
    off: dict = {}
    held, chosen = held_out(off)
    print(row("cross-validated, all rules (held-out)", held))
    while True:
        trials = {rule: held_out({**off, rule: value}) for rule, value in RULES.items() if rule not in off}
        for rule, (m, _) in trials.items():
            print(row(f"  without {rule}", m) + f"   gain of the rule {objective(held) - objective(m):+.3f}")
        if not trials:
            break
        rule = max(trials, key=lambda r: objective(trials[r][0]))
        if objective(trials[rule][0]) < objective(held):  # a rule that does not help goes
            break
        off[rule] = RULES[rule]
        held, chosen = trials[rule]
        print(row(f"drop {rule} -> held-out", held))
    print(f"rules dropped: {sorted(off) or 'none'} ({len(cache)} settings, {time.perf_counter() - t:.0f} s)")
    print(row("cross-validated, final rules (held-out)", held))
    configs = list(dict.fromkeys(grid(PRODUCT, off)))
    best = max(configs, key=lambda cfg: objective(cache[cfg]))
    print(row("chosen on all questions (training)", cache[best]))
    print("fold choices:", [{k: getattr(c, k) for k in GRID} for c in chosen])
    print("PRODUCT =", {k: v for k, v in asdict(best).items() if v != getattr(PRODUCT, k)} or "unchanged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
