"""Precision and recall of the draft -> enacted alignment (SOU 2020:47 avsnitt 1.1
-> SFS 2025:400) against `inquiry_alignment_gold.jsonl`, written by reading both
texts (not by the aligner). Pairs are (draft, enacted); (draft, None) when the
enacted law has no counterpart.

    python -m evals.inquiry_alignment [--data-dir DIR] [--show]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

GOLD = Path(__file__).with_name("inquiry_alignment_gold.jsonl")


def pairs(rows: list[dict]) -> set[tuple[str, str | None]]:
    out: set[tuple[str, str | None]] = set()
    for r in rows:
        out |= {(r["draft"], e) for e in r["enacted"]} or {(r["draft"], None)}
    return out


def evaluate(gold_rows: list[dict], predicted_rows: list[dict]) -> dict:
    gold, predicted = pairs(gold_rows), pairs(predicted_rows)
    judged = {p for p in predicted if p[0] in {r["draft"] for r in gold_rows}}
    hits = judged & gold
    return {"gold_pairs": len(gold), "predicted_pairs": len(judged),
            "precision": round(len(hits) / len(judged), 3) if judged else None,
            "recall": round(len(hits) / len(gold), 3) if gold else None,
            "missed": sorted(f"{d} -> {e}" for d, e in gold - predicted),
            "wrong": sorted(f"{d} -> {e}" for d, e in judged - gold)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.inquiry_alignment", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--show", action="store_true", help="list the missed and wrong pairs")
    args = parser.parse_args(argv)

    from assistant.changes.inquiry import align_draft
    from assistant.config import load_settings
    from assistant.index.store import PassageStore

    settings = load_settings(data_dir=args.data_dir)
    store = PassageStore.load(settings.index_dir / "passages.jsonl")
    predicted = [{"draft": a.draft, "enacted": a.enacted} for a in align_draft(store)]
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = evaluate(gold, predicted)
    print(f"draft paragraphs aligned {len(predicted)}, gold {len(gold)} ({result['gold_pairs']} pairs)")
    print(f"precision {result['precision']}  recall {result['recall']}")
    if args.show:
        print("missed:", *result["missed"], sep="\n  ")
        print("wrong:", *result["wrong"], sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
