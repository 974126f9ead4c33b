"""Check that every expected label of a question file is canonical and exists
in the index (run by the tests).

    python -m evals.check_labels evals/questions.jsonl [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import sys

from assistant.labels import parse_label


def problems(questions: list[dict], labels: set[str]) -> list[str]:
    out = []
    seen = set()
    kinds = {"lookup", "change", "deadline", "definition", "source_doc", "out_of_scope", "reasons"}
    for q in questions:
        if q["id"] in seen:
            out.append(f"{q['id']}: duplicate id")
        seen.add(q["id"])
        if q.get("kind") not in kinds:
            out.append(f"{q['id']}: unknown kind {q.get('kind')!r}")
        if (q.get("kind") == "out_of_scope") != (not q["expected"]):
            out.append(f"{q['id']}: out_of_scope exactly when expected is empty")
        for label in q["expected"]:
            try:
                parse_label(label)
            except ValueError:
                out.append(f"{q['id']}: not a canonical label: {label!r}")
                continue
            if label not in labels:
                out.append(f"{q['id']}: label not in the index: {label!r}")
    return out


def main(argv=None) -> int:
    from assistant.config import load_settings
    from assistant.index.store import PassageStore
    from evals.run import load_questions

    parser = argparse.ArgumentParser(prog="python -m evals.check_labels")
    parser.add_argument("questions")
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    settings = load_settings(data_dir=args.data_dir)
    store = PassageStore.load(settings.index_dir / "passages.jsonl")
    found = problems(load_questions(args.questions), store.labels())
    for line in found:
        print(line)
    print(f"{len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
