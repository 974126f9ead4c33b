"""Does each lexicon entry earn its place? For every entry of
assistant/index/lexicon.yaml that some question uses, the questions that use it
are retrieved and answered with and without it (the product's fusion and
answerer) and compared on MRR@10 + hit@1 when answered (0 when refused);
out-of-scope questions score 2 when refused. The words of asking are tested as one group.

    python -m evals.lexicon_ablation [--questions FILE ...]

Prints each used entry with its effect; `harmful` ones should go.
"""

from __future__ import annotations

import argparse
import re

import numpy as np

from evals.heldout import held_out
from evals.tune import DEFAULT_SETS, label_metrics


def uses(key: str, question: str) -> bool:
    return bool(re.search(rf"(?<![\wåäö]){re.escape(key)}(?![\wåäö])", question.lower()))


def score(retriever, answerer, q: dict, date: str) -> float:
    """MRR@10 + hit@1 for an in-scope question that is answered (0 if refused);
    for an out-of-scope one, 2 if refused."""
    with held_out(retriever, q.get("_file", "")):  # a file that is bank training data: a bank without it
        result = retriever.search(q["question"], k=10, date=date)
        abstained = answerer.compose(q["question"], result, date).abstained
    if not q["expected"]:
        return 2.0 * abstained
    if abstained:
        return 0.0
    labels = list(dict.fromkeys(sp.passage.label for sp in result.passages))
    hit1, _, rr = label_metrics(labels, set(q["expected"]))
    return hit1 + rr


def main(argv=None) -> int:
    import assistant.index.tokenize as tokenize
    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.config import load_settings
    from assistant.retrieval.hybrid import HybridRetriever
    from evals.run import load_questions

    parser = argparse.ArgumentParser(prog="python -m evals.lexicon_ablation")
    parser.add_argument("--questions", nargs="+", default=DEFAULT_SETS)
    parser.add_argument("--data-dir")
    parser.add_argument("--date", default="2026-11-22")
    args = parser.parse_args(argv)
    settings = load_settings(data_dir=args.data_dir, reference_date=args.date)
    retriever = HybridRetriever(settings)
    answerer = ExtractiveAnswerer(retriever, settings)
    questions = [q | {"_file": path} for path in args.questions for q in load_questions(path)]
    full_synonyms, full_question_words = tokenize.lexicon()
    original = tokenize.lexicon

    def run(subset: list[dict], synonyms: dict, question_words: frozenset) -> np.ndarray:
        tokenize.lexicon = lambda: (synonyms, question_words)
        retriever.keyword.units.cache_clear()
        retriever._query_vectors.cache_clear()
        try:
            return np.array([score(retriever, answerer, q, args.date) for q in subset])
        finally:
            tokenize.lexicon = original
            retriever.keyword.units.cache_clear()

    counts = {"helpful": 0, "neutral": 0, "harmful": 0}
    harmful = []
    for key in full_synonyms:
        subset = [q for q in questions if uses(key, q["question"])]
        if not subset:
            continue
        with_it = run(subset, full_synonyms, full_question_words)
        without = run(subset, {k: v for k, v in full_synonyms.items() if k != key}, full_question_words)
        delta = float(with_it.sum() - without.sum())
        verdict = "helpful" if delta > 0 else "harmful" if delta < 0 else "neutral"
        counts[verdict] += 1
        if verdict == "harmful":
            harmful.append(key)
        print(f"{key:32s} {len(subset):3d} questions  {delta:+.2f}  {verdict}")
    unused = sum(1 for key in full_synonyms if not any(uses(key, q["question"]) for q in questions))
    with_words = run(questions, full_synonyms, full_question_words)
    without_words = run(questions, full_synonyms, frozenset())
    print(f"words of asking as a group: {float(with_words.sum() - without_words.sum()):+.2f} over {len(questions)} questions")
    print(f"entries: {counts}, unused by these questions: {unused}; harmful: {harmful}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

