"""Follow-up detector: accuracy per labelled set, 5-fold cross-validation of the
one fitted parameter (the Zipf threshold for an informative word) over all the
given sets pooled, with the held-out accuracy reported per set, confusion counts
and every misclassified item.

    python -m evals.followup_eval [path ...]   # default: the development sets
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.conversation.followup import TOPIC_WORDS, TOPIC_ZIPF, is_follow_up

DEFAULT = Path(__file__).with_name("followups.jsonl")
FRESH = Path(__file__).with_name("followups_fresh.jsonl")
DEVELOPMENT = (DEFAULT, FRESH)  # the 270 pairs the detector is developed on
# The grid cross-validation searches: the Zipf threshold (3.0 … 5.5); the number of
# content words that make a topic is fixed by design (a clause's subject, verb
# and complement), not fitted.
GRID = [(round(3.0 + 0.1 * i, 1), TOPIC_WORDS) for i in range(26)]
FOLDS = 5
DEFAULT_PARAMS = (TOPIC_ZIPF, TOPIC_WORDS)


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def predict(item: dict, params: tuple[float, int] = DEFAULT_PARAMS) -> bool:
    threshold, min_words = params
    return is_follow_up(item["message"], item.get("previous"), threshold=threshold, min_words=min_words)


def accuracy(items: list[dict], params: tuple[float, int]) -> float:
    return sum(predict(it, params) == bool(it["followup"]) for it in items) / max(len(items), 1)


def best_params(items: list[dict]) -> tuple[float, int]:
    """The grid point with the best accuracy; among ties the highest threshold
    (more words count as topics: fewer new questions glued to old ones)."""
    scores = [accuracy(items, p) for p in GRID]
    best = max(range(len(GRID)), key=lambda i: (scores[i], i))
    return GRID[best]


def cross_validate(items: list[dict], folds: int = FOLDS) -> tuple[list[bool], list[tuple[float, int]]]:
    """Held-out predictions: fold k is every k-th item (deterministic), fitted on
    the rest. Returns whether each item was right when held out, and the
    parameters chosen per fold."""
    right, chosen = [False] * len(items), []
    for k in range(folds):
        train = [it for i, it in enumerate(items) if i % folds != k]
        t = best_params(train)
        chosen.append(t)
        for i in range(k, len(items), folds):
            right[i] = predict(items[i], t) == bool(items[i]["followup"])
    return right, chosen


def report(path: Path, items: list[dict]) -> None:
    preds = [predict(it) for it in items]
    gold = [bool(it["followup"]) for it in items]
    tp = sum(p and g for p, g in zip(preds, gold))
    tn = sum(not p and not g for p, g in zip(preds, gold))
    fp = sum(p and not g for p, g in zip(preds, gold))
    fn = sum(not p and g for p, g in zip(preds, gold))
    print(f"{path}: {len(items)} items, accuracy {(tp + tn) / max(len(items), 1):.3f} "
          f"(follow-up→follow-up {tp}, new→new {tn}, new→follow-up {fp}, follow-up→new {fn})")
    for it, p in zip(items, preds):
        if p != bool(it["followup"]):
            kind = "merged, should stand alone" if p else "standalone, should be merged"
            print(f"  {it.get('id', '?')} [{kind}] {it['message']!r} (previous: {it.get('previous')!r})")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in argv] or list(DEVELOPMENT)
    sets = [(path, load(path)) for path in paths]
    print(f"Zipf threshold {TOPIC_ZIPF}, content words {TOPIC_WORDS}")
    for path, items in sets:
        report(path, items)
    pooled = [it for _, items in sets for it in items]
    right, chosen = cross_validate(pooled)
    print(f"5-fold CV over {len(pooled)} items, held-out accuracy {sum(right) / max(len(pooled), 1):.3f} "
          f"(parameters chosen per fold: {chosen}; full-data best {best_params(pooled)})")
    start = 0
    for path, items in sets:
        held = right[start:start + len(items)]
        start += len(items)
        print(f"  {path}: held-out accuracy {sum(held) / max(len(items), 1):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
