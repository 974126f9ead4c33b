"""The passage store: every indexed passage as JSON lines (the source of truth for
texts; row order = keyword-index order), plus the ingest state."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

from assistant.types import Passage


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class PassageStore:
    def __init__(self, passages: list[Passage]):
        self.passages = passages
        self.by_id = {p.id: i for i, p in enumerate(passages)}
        self.by_label: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(passages):
            self.by_label[p.label].append(i)

    def __len__(self) -> int:
        return len(self.passages)

    def get(self, pid: str) -> Passage | None:
        i = self.by_id.get(pid)
        return None if i is None else self.passages[i]

    def with_label(self, label: str) -> list[Passage]:
        return [self.passages[i] for i in self.by_label.get(label, [])]

    def labels(self) -> set[str]:
        return set(self.by_label)

    def save(self, path: Path) -> None:
        write_atomic(path, "".join(json.dumps(p.__dict__, ensure_ascii=False) + "\n" for p in self.passages))

    @classmethod
    def load(cls, path: Path) -> PassageStore:
        with open(path, encoding="utf-8") as fh:
            return cls([Passage.from_dict(json.loads(line)) for line in fh if line.strip()])
