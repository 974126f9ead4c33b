"""Markdown report with plots from a `python -m evals.run --json` file.

    python -m evals.report RESULTS.json [--out evals/report]

Writes OUT/report.md, OUT/by_kind_<metric>.png (per-kind bars for each
retriever) and OUT/latency.png (latency histogram), and lists the worst 20
questions of the first retriever with what was retrieved instead.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from evals.metrics import KEYS

PLOTTED = ["hit@5", "mrr@10", "citation_recall", "abstention_accuracy"]


def _cell(v) -> str:
    return "–" if v is None else (f"{v:.0f}" if v > 1.5 else f"{v:.3f}")


def markdown_table(report: dict) -> str:
    lines = ["| retriever | " + " | ".join(KEYS) + " |", "|---|" + "---|" * len(KEYS)]
    for name, res in report["retrievers"].items():
        lines.append(f"| {name} | " + " | ".join(_cell(res["overall"][k]) for k in KEYS) + " |")
    return "\n".join(lines)


def worst(rows: list[dict], n: int = 20) -> list[dict]:
    def badness(r):
        if not r["in_scope"]:
            return (0 if r["abstained"] else 2, 0)
        return (2 - r["hit@5"] - r.get("cites_expected", 0), -r["rr@10"])

    return sorted(rows, key=badness, reverse=True)[:n]


def write_report(report: dict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    names = list(report["retrievers"])
    kinds = sorted({k for res in report["retrievers"].values() for k in res["by_kind"]})
    images = []
    for metric in PLOTTED:
        fig, ax = plt.subplots(figsize=(9, 3.6))
        width = 0.8 / max(len(names), 1)
        for i, name in enumerate(names):
            values = [report["retrievers"][name]["by_kind"].get(k, {}).get(metric) or 0 for k in kinds]
            ax.bar([x + i * width for x in range(len(kinds))], values, width, label=name)
        ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(kinds))], kinds, fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(f"{metric} per kind")
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = out / f"by_kind_{metric.replace('@', '_at_')}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        images.append(path.name)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for name in names:
        ax.hist([r["latency_ms"] for r in report["retrievers"][name]["questions"] if "latency_ms" in r],
                bins=30, alpha=0.6, label=name)
    ax.set_xlabel("ms per question (retrieval + answer)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=90)
    plt.close(fig)
    images.append("latency.png")

    first = names[0]
    lines = ["# Evaluation report", "", f"Questions: `{report['questions_file']}` ({report['n']}), "
             f"k = {report.get('k')}, reference date {report.get('reference_date')}.", "", markdown_table(report), ""]
    lines += [f"![{img}]({img})" for img in images]
    lines += ["", f"## Worst 20 questions ({first})", "", "| id | kind | question | expected | retrieved instead | cited |", "|---|---|---|---|---|---|"]
    for r in worst(report["retrievers"][first]["questions"]):
        q = r.get("question", "").replace("|", "/")[:90]
        lines.append(f"| {r['id']} | {r['kind']} | {q} | {'<br>'.join(r.get('expected', [])) or '(none: abstain)'} | "
                     f"{'<br>'.join(r['retrieved'][:3])} | {'<br>'.join(dict.fromkeys(r['cited'])) or ('abstained' if r['abstained'] else '')} |")
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.report")
    parser.add_argument("results")
    parser.add_argument("--out", default="evals/report")
    args = parser.parse_args(argv)
    report = json.loads(Path(args.results).read_text(encoding="utf-8"))
    print(write_report(report, Path(args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
