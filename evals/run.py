"""Run a question file against one or more retriever configurations.

    python -m evals.run --questions evals/questions.jsonl [--k 10]
        [--retriever hybrid bm25 dense naive] [--json OUT] [--date 2026-02-01]

Retrievers: `hybrid` (the product), `bm25` and `dense` (one ranking each, no
direct paragraph lookup or law priors; `dense` searches with the question bank's
query adapter), `model` (the embedding model alone, no adapter), `naive` (LangChain
RecursiveCharacterTextSplitter 1000/200 into Chroma, dense only). Every
configuration is answered with the same extractive answerer.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from evals.metrics import KEYS, aggregate, question_metrics

RETRIEVERS = ("hybrid", "bm25", "dense", "model", "naive")
KINDS = ("lookup", "change", "deadline", "definition", "source_doc", "out_of_scope")


def load_questions(path: str | Path) -> list[dict]:
    """Read any JSONL file in the gold format; unknown keys are kept, missing
    optional ones get defaults; a bad line stops with its line number."""
    questions = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"{path}:{n}: not JSON ({exc})") from None
        if "question" not in q or "expected" not in q:
            raise SystemExit(f"{path}:{n}: needs 'question' and 'expected'")
        q.setdefault("id", f"line{n}")
        q.setdefault("kind", "out_of_scope" if not q["expected"] else "lookup")
        q.setdefault("answer_facts", [])
        questions.append(q)
    return questions


def build_retriever(name: str, settings):
    from assistant.retrieval.hybrid import FusionParams, HybridRetriever

    if name == "hybrid":
        return HybridRetriever(settings)
    if name == "bm25":
        return HybridRetriever(settings, params=FusionParams(bm25=1.0, dense=0.0, bank=0.0), direct_lookup=False,
                               priors=False)
    if name in ("dense", "model"):
        params = FusionParams(bm25=0.0, dense=1.0, bank=0.0, adapter=name == "dense")
        return HybridRetriever(settings, params=params, direct_lookup=False, priors=False)
    if name == "naive":
        from evals.naive import NaiveRetriever

        return NaiveRetriever(settings, HybridRetriever(settings, use_dense=False))
    raise SystemExit(f"unknown retriever {name!r}; choose from {', '.join(RETRIEVERS)}")


def run_retriever(name: str, settings, questions: list[dict], k: int, date: str, path: str = "") -> dict:
    """Each question through the conversation pipeline the users get (routing,
    answer, verification); the retriever's ranking is measured beside it. A
    question file that is training data for the bank is scored with a bank
    without it (evals/heldout.py)."""
    from evals.heldout import held_out

    retriever = build_retriever(name, settings)
    if name == "naive":
        from evals.naive import NaiveAssistant

        assistant = NaiveAssistant(settings, retriever)
    else:
        from assistant.conversation import Assistant

        assistant = Assistant(settings, retriever)
    with held_out(retriever, path, assistant) as was_held_out:
        result = _run(settings, retriever, assistant, questions, k, date)
    result["bank_held_out"] = was_held_out
    return result


def _run(settings, retriever, assistant, questions: list[dict], k: int, date: str) -> dict:
    from assistant.answering.extractive import QuestionError, validate_question
    if questions:  # load models before timing
        retriever.search(questions[0]["question"], k=k, date=date)
    rows = []
    for q in questions:
        t = time.perf_counter()
        try:
            question = validate_question(q["question"], settings.max_question_chars)
        except QuestionError as exc:
            rows.append({"id": q["id"], "kind": q["kind"], "error": str(exc), "retrieved": [], "cited": [],
                         **question_metrics(q["expected"], [], [], [], True, "", q["answer_facts"])})
            continue
        turn = assistant.respond(question, date=date)
        latency = (time.perf_counter() - t) * 1000
        result = retriever.search(question, k=max(k, 10), date=date, filters=getattr(turn, "filters", None))
        if hasattr(retriever, "retrieved_labels"):
            retrieved = retriever.retrieved_labels(result)
        else:
            retrieved = list(dict.fromkeys(sp.passage.label for sp in result.passages))
        quotes_ok = []
        for c in turn.to_dict()["citations"]:
            stored = None if turn.comparison else retriever.store.get(c.get("passage_id", ""))
            # A comparison quotes whole paragraphs; the naive baseline's change summaries quote the
            # product's passages, which are not among its chunks: both are checked against the label's text.
            texts = [stored.text] if stored else [p.text for p in retriever.lookup(c["label"], date)]
            quotes_ok.append(bool(c["quote"]) and any(c["quote"] in t for t in texts + ["\n\n".join(texts)]))
        cited = turn.cited_labels()
        text = turn.answer.text if turn.answer else "\n".join(s.text for s in turn.comparison.old + turn.comparison.new)
        m = question_metrics(q["expected"], retrieved[:k], cited, quotes_ok, turn.abstained, text, q["answer_facts"])
        if turn.answer and turn.answer.answerer != "extractive":
            from evals.metrics import generation_metrics

            m |= generation_metrics(turn.answer.verified)
            m["answerer"] = turn.answer.answerer
        rows.append({"id": q["id"], "kind": q["kind"], "question": q["question"], "expected": q["expected"],
                     "route": turn.kind, "retrieved": retrieved[:k], "cited": cited, "latency_ms": latency, **m})
    by_kind = {kind: aggregate([r for r in rows if r["kind"] == kind]) for kind in KINDS if any(r["kind"] == kind for r in rows)}
    for kind in sorted({r["kind"] for r in rows} - set(KINDS)):
        by_kind[kind] = aggregate([r for r in rows if r["kind"] == kind])
    return {"overall": aggregate(rows), "by_kind": by_kind, "questions": rows}


def run_concordance(settings, gold_path: str) -> dict:
    from dataclasses import asdict

    from assistant.changes.concordance import Concordance
    from assistant.retrieval.hybrid import HybridRetriever
    from evals.concordance_eval import evaluate, load_gold

    retriever = HybridRetriever(settings)
    concordance = Concordance.load_or_build(retriever.store, settings.index_dir, retriever.vectors)
    result = evaluate(load_gold(gold_path), [asdict(p) for p in concordance.pairs])
    result["basis"] = concordance.basis
    return result


def _fmt(v) -> str:
    return "   -  " if v is None else (f"{v:6.0f}" if v > 1.5 else f"{v:6.3f}")


SHORT = {"hit@1": "hit@1", "hit@5": "hit@5", "recall@5": "rec@5", "mrr@10": "mrr@10", "citation_recall": "citR",
         "citation_precision": "citP", "citation_precision_lenient": "citPlen", "quote_fidelity": "quote",
         "abstention_accuracy": "abst", "fact_recall": "facts", "latency_p50_ms": "p50ms", "latency_p95_ms": "p95ms"}


def print_table(report: dict, out=None) -> None:
    out = out or sys.stdout
    header = f"{'retriever':10s} {'kind':13s} {'n':>4s} " + " ".join(f"{SHORT[k]:>7s}" for k in KEYS)
    print(header, file=out)
    print("-" * len(header), file=out)
    for name, res in report["retrievers"].items():
        for kind, agg in [("overall", res["overall"]), *res["by_kind"].items()]:
            print(f"{name:10s} {kind:13s} {agg['n']:4d} " + " ".join(f"{_fmt(agg[k]):>7s}" for k in KEYS), file=out)
        print(file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", required=True)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--retriever", nargs="+", default=["hybrid"], choices=RETRIEVERS)
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--data-dir")
    parser.add_argument("--date", help="reference date (default: the settings' date)")
    parser.add_argument("--answerer", help="extractive (default) or an LLM backend: ollama, openai, huggingface "
                        "(model and endpoint from the ASSISTANT_LLM_* settings)")
    parser.add_argument("--concordance-gold", default=str(Path(__file__).with_name("concordance_gold.jsonl")),
                        help="gold old->new pairs for the concordance metrics ('' to skip)")
    args = parser.parse_args(argv)

    from assistant.config import load_settings
    from assistant.index.ingest import ingest

    settings = load_settings(data_dir=args.data_dir, reference_date=args.date, answerer=args.answerer)
    if not (settings.index_dir / "passages.jsonl").exists():
        print(f"no index in {settings.index_dir}; ingesting first", file=sys.stderr)
        ingest(settings, progress=False)
    questions = load_questions(args.questions)
    report = {"questions_file": str(args.questions), "n": len(questions), "k": args.k,
              "reference_date": settings.date, "retrievers": {}}
    for name in args.retriever:
        started = time.perf_counter()
        report["retrievers"][name] = run_retriever(name, settings, questions, args.k, settings.date,
                                                   args.questions)
        report["retrievers"][name]["seconds"] = time.perf_counter() - started
    print_table(report)
    for name, res in report["retrievers"].items():
        o = res["overall"]
        if "alce_citation_recall" in o:
            print(f"{name} LLM answers ({settings.answerer}): ALCE citation recall {o['alce_citation_recall']:.3f}, "
                  f"citation precision {_fmt(o['alce_citation_precision']).strip()}, sentences removed {o['removed_share']:.3f}")
    if args.concordance_gold and Path(args.concordance_gold).exists():
        report["concordance"] = run_concordance(settings, args.concordance_gold)
        c = report["concordance"]
        print(f"concordance ({c['basis']} basis) vs {c['gold_pairs']} gold pairs: precision {c['precision']:.3f}, "
              f"recall {c['recall']:.3f}, relation accuracy {c['relation_accuracy']:.3f}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"wrote {args.json_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
