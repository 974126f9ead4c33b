"""The eval runner: metric computations against hand-computed values, a run on
a 10-question sample, and the gold set's labels against the index."""

import json
from pathlib import Path

import pytest

from evals.check_labels import problems
from evals.metrics import KEYS, aggregate, question_metrics
from evals.run import load_questions, main

GOLD = Path(__file__).parents[1] / "evals" / "questions.jsonl"
HOLDOUT = Path(__file__).parents[1] / "evals" / "holdout.jsonl"
A, B, C, D = (f"SFS 2025:400 20 kap. {n} §" for n in (1, 2, 3, 4))
OLD = "SFS 2001:453 11 kap. 1 a §"


def test_question_metrics_by_hand():
    m = question_metrics(
        expected=[B, OLD], retrieved=[A, B, C, D, "seed:x", OLD], cited=[B, A, "SFS 2025:400 21 kap. 1 §"],
        quotes_ok=[True, True, False], abstained=False,
        answer_text="… inom  fjorton\ndagar …", facts=["inom fjorton dagar", "synnerliga skäl"],
    )
    assert m["hit@1"] == 0.0 and m["hit@5"] == 1.0
    assert m["recall@5"] == 0.5  # B in the top 5, OLD at rank 6
    assert m["rr@10"] == 0.5  # first expected at rank 2
    assert m["cites_expected"] == 1.0
    assert (m["citations"], m["citations_expected"], m["citations_expected_lenient"]) == (3, 1, 2)  # A shares 20 kap.
    assert (m["facts"], m["facts_found"]) == (2, 1)  # whitespace-insensitive
    assert m["abstention_correct"] is True


def test_aggregate_by_hand():
    rows = [
        {**question_metrics([B], [B, A], [B], [True], False, "x", ["x"]), "latency_ms": 10.0},
        {**question_metrics([C], [A, B, D], [], [], True, "", ["y"]), "latency_ms": 20.0},
        {**question_metrics([], [A], [], [], True, "", []), "latency_ms": 30.0},
        {**question_metrics([], [A], [A], [True], False, "", []), "latency_ms": 40.0},
    ]
    agg = aggregate(rows)
    assert agg["n"] == 4
    assert agg["hit@1"] == 0.5 and agg["hit@5"] == 0.5 and agg["mrr@10"] == 0.5
    assert agg["citation_recall"] == 0.5
    assert agg["citation_precision"] == 1.0  # in-scope citations: [B] only
    assert agg["quote_fidelity"] == 1.0
    assert agg["abstention_accuracy"] == 0.5  # q1 right, q2 wrong, q3 right, q4 wrong
    assert agg["fact_recall"] == 0.5
    assert agg["latency_p50_ms"] == 25.0 and agg["latency_p95_ms"] == pytest.approx(38.5)


def test_runner_on_a_10_question_sample(tmp_path, indexed_settings, capsys):
    questions = load_questions(GOLD)
    sample = [q for q in questions if q["expected"]][:8] + [q for q in questions if not q["expected"]][:2]
    path = tmp_path / "sample.jsonl"
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in sample), encoding="utf-8")
    out = tmp_path / "out.json"
    assert main(["--questions", str(path), "--retriever", "hybrid", "bm25", "--json", str(out),
                 "--data-dir", indexed_settings.data_dir]) == 0
    printed = capsys.readouterr().out
    assert "hybrid" in printed and "hit@5" in printed
    report = json.loads(out.read_text())
    assert "concordance" in printed and 0 <= report["concordance"]["precision"] <= 1
    assert report["concordance"]["basis"] == "inquiry" and report["concordance"]["gold_pairs"] >= 40
    assert report["n"] == 10 and set(report["retrievers"]) == {"hybrid", "bm25"}
    for res in report["retrievers"].values():
        overall = res["overall"]
        assert set(KEYS) <= set(overall)
        for key in KEYS:
            if not key.startswith("latency"):
                assert overall[key] is None or 0.0 <= overall[key] <= 1.0
        rows = res["questions"]
        assert len(rows) == 10 and all({"id", "retrieved", "cited", "abstained", "hit@5"} <= set(r) for r in rows if r["in_scope"])
        in_scope = [r for r in rows if r["in_scope"]]
        assert overall["hit@5"] == pytest.approx(sum(r["hit@5"] for r in in_scope) / len(in_scope))
        assert overall["quote_fidelity"] == 1.0
        assert set(res["by_kind"]) <= {"lookup", "change", "deadline", "definition", "source_doc", "out_of_scope"}


def test_every_gold_label_exists_in_the_index(retriever):
    questions = load_questions(GOLD)
    assert len(questions) >= 150
    assert problems(questions, retriever.store.labels()) == []
    for name in ("holdout.jsonl", "fresh.jsonl", "blind.jsonl", "wild.jsonl", "blind2.jsonl"):
        assert problems(load_questions(HOLDOUT.with_name(name)), retriever.store.labels()) == [], name
    bad = [{"id": "x", "kind": "lookup", "expected": ["SFS 2025:400 20 kap. 99 §", "20 kap. 2 §"]}]
    assert len(problems(bad, retriever.store.labels())) == 2


def test_gold_set_covers_every_chapter_and_kind():
    questions = load_questions(GOLD)
    kinds = {q["kind"] for q in questions}
    assert kinds == {"lookup", "change", "deadline", "definition", "source_doc", "out_of_scope"}
    assert sum(1 for q in questions if q["kind"] == "out_of_scope") >= 15
    chapters = {l.split()[2] for q in questions for l in q["expected"] if l.startswith("SFS 2025:400") and "kap." in l}
    assert chapters == {str(n) for n in range(1, 36)}
    assert any("övergångsbestämmelser" in l for q in questions for l in q["expected"])
    assert any(l.startswith(("seed:", "regeringen:")) for q in questions for l in q["expected"])


def test_concordance_metrics_by_hand():
    from evals.concordance_eval import evaluate

    gold = [
        {"old": "O1", "new": ["N1", "N2"], "relation": "split"},
        {"old": "O2", "new": [], "relation": "removed"},
        {"old": None, "new": ["N3"], "relation": "new"},
    ]
    predicted = [
        {"old": "O1", "new": ["N1"], "relation": "reworded"},  # 1 hit, N2 missed
        {"old": "O2", "new": ["N4"], "relation": "reworded"},  # wrong
        {"old": None, "new": ["N3"], "relation": "new"},  # hit
        {"old": None, "new": ["N9"], "relation": "new"},  # not judged: the gold says nothing of N9
        {"old": "O7", "new": ["N7"], "relation": "reworded"},  # not judged
    ]
    r = evaluate(gold, predicted)
    assert r["gold_pairs"] == 4 and r["predicted_pairs_judged"] == 3
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == pytest.approx(2 / 4)
    assert r["relation_accuracy"] == 0.0
