"""Benchmarks (numbers printed, never asserted).

    python benchmarks/bench.py [--questions evals/questions.jsonl] [--data-dir DIR]

Reports: full ingest time and chunks/s (fresh data dir), index size on disk,
retrieval and full-answer latency p50/p95 (warm, in-process), peak RSS, and the
cold start of `assistant ask` (a new process, index already built).
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
    args = parser.parse_args()

    from assistant.config import load_settings
    from assistant.index.ingest import ingest

    data_dir = args.data_dir or tempfile.mkdtemp(prefix="assistant-bench-")
    settings = load_settings(data_dir=data_dir)
    print(f"data dir: {data_dir}")

    t = time.perf_counter()
    report = ingest(settings, progress=False)
    ingest_s = time.perf_counter() - t
    print(f"ingest: {ingest_s:.1f} s, {report.passages_total} passages, {report.embedded} embedded"
          + (f", {report.embedded / ingest_s:.1f} chunks/s" if report.embedded else " (index was up to date)"))
    print(f"index size on disk: {dir_size(settings.index_dir) / 1e6:.1f} MB "
          f"(chroma {dir_size(settings.index_dir / 'chroma') / 1e6:.1f} MB, bm25 {dir_size(settings.index_dir / 'bm25') / 1e6:.2f} MB, "
          f"query encoder {dir_size(settings.index_dir / 'query-encoder') / 1e6:.1f} MB)")

    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.retrieval.hybrid import HybridRetriever

    questions = [json.loads(l)["question"] for l in Path(args.questions).read_text(encoding="utf-8").splitlines() if l.strip()]
    retriever = HybridRetriever(settings)
    answerer = ExtractiveAnswerer(retriever, settings)
    answerer.answer(questions[0])  # warm up
    retrieval, full = [], []
    for q in questions:
        t = time.perf_counter()
        retriever.search(q, k=settings.top_k)
        retrieval.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        answerer.answer(q)
        full.append((time.perf_counter() - t) * 1000)
    print(f"retrieval latency over {len(questions)} questions: p50 {pct(retrieval, .5):.1f} ms, p95 {pct(retrieval, .95):.1f} ms")
    print(f"answer latency (retrieval + answer): p50 {pct(full, .5):.1f} ms, p95 {pct(full, .95):.1f} ms")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (ingest + answering): {rss:.0f} MB")

    env = {**os.environ, "ASSISTANT_DATA_DIR": data_dir}
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
    child = max(child_rss)
    print(f"cold start of `assistant ask` (new process): median {statistics.median(colds):.2f} s "
          f"(min {min(colds):.2f}, max {max(colds):.2f}); its peak RSS {child:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
