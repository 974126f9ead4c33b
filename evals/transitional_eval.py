"""Transitional questions by kind of matter (issue 22): is the governing point the
first one the answer quotes, are the exception points for the matter there, and is
an amending act's point quoted for a question that is not about that amendment?

    python -m evals.transitional_eval [evals/transitional.jsonl ...] [--show]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from assistant.config import Settings
from assistant.conversation.pipeline import Assistant

DEFAULT = Path(__file__).with_name("transitional.jsonl")
AMENDMENTS = ("övergångsbestämmelser 2025:1299", "övergångsbestämmelser 2025:1501")


def score(assistant: Assistant, items: list[dict], show: bool = False) -> dict:
    by_matter: dict[str, list[bool]] = defaultdict(list)
    stray = exceptions_missed = strict = 0
    for it in items:
        turn = assistant.respond(it["question"])
        cited = list(dict.fromkeys(turn.cited_labels()))
        first = cited[0] if cited else ""
        hit = first in it["expected"]
        strict += first == it["expected"][0]  # the governing point itself, not only one of the expected
        by_matter[it["matter"]].append(hit)
        about_amendment = it["matter"].startswith("ändring")
        stray += not about_amendment and any(a in c for c in cited for a in AMENDMENTS)
        specific = [e for e in it["expected"] if "övergångsbestämmelser" in e and not e.endswith(("p. 1", "p. 2"))
                    and "2025:400 p." in e]
        exceptions_missed += any(e not in cited for e in specific)
        if show and not hit:
            print(f"  {it['id']} [{it['matter']}] {it['question'][:110]}\n      expected {it['expected'][:2]} got {cited[:3]}")
    hits = [h for v in by_matter.values() for h in v]
    return {"n": len(hits), "hit@1": sum(hits) / max(len(hits), 1), "strict_hit@1": strict / max(len(hits), 1),
            "amendment_points_quoted_unasked": stray,
            "exception_points_missing": exceptions_missed,
            "by_matter": {m: f"{sum(v)}/{len(v)}" for m, v in sorted(by_matter.items())}}


def main(argv: list[str]) -> int:
    show = "--show" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or [DEFAULT]
    assistant = Assistant(Settings())
    for path in paths:
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        print(path, json.dumps(score(assistant, items, show), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
