"""Precision and recall of the concordance against hand-made gold pairs.

Gold and predictions become sets of (old, new) pairs: (old, None) for a removed
paragraph, (None, new) for a new provision. Predictions are judged where the
gold has an opinion: pairs whose old paragraph is in the gold, and new
provisions whose new paragraph appears in the gold.
"""

from __future__ import annotations

import json
from pathlib import Path


def _pairs(rows) -> set[tuple[str | None, str | None]]:
    out = set()
    for r in rows:
        old, new = r["old"], r["new"]
        if old and new:
            out |= {(old, n) for n in new}
        elif old:
            out.add((old, None))
        else:
            out |= {(None, n) for n in new}
    return out


def load_gold(path: str | Path) -> list[dict]:
    return [json.loads(l) for l in Path(path).read_text(encoding="utf-8").splitlines() if l.strip()]


def evaluate(gold_rows: list[dict], predicted_rows: list[dict]) -> dict:
    gold = _pairs(gold_rows)
    predicted = _pairs(predicted_rows)
    gold_old = {o for o, _ in gold if o}
    gold_new = {n for _, n in gold if n}
    judged = {(o, n) for o, n in predicted if (o in gold_old) or (o is None and n in gold_new)}
    hits = judged & gold
    relation_ok = 0
    by_old = {r["old"]: r for r in predicted_rows if r["old"]}
    gold_by_old = {r["old"]: r for r in gold_rows if r["old"]}
    for old, g in gold_by_old.items():
        if old in by_old and by_old[old]["relation"] == g["relation"]:
            relation_ok += 1
    return {
        "gold_pairs": len(gold),
        "predicted_pairs_judged": len(judged),
        "precision": len(hits) / len(judged) if judged else None,
        "recall": len(hits) / len(gold) if gold else None,
        "relation_accuracy": relation_ok / len(gold_by_old) if gold_by_old else None,
        "missed": sorted(f"{o} -> {n}" for o, n in gold - predicted)[:200],
        "wrong": sorted(f"{o} -> {n}" for o, n in judged - gold)[:200],
    }
