"""Topic modules: data in modules.yaml, rendered with the sources' own text."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.changes.diff import render_markdown, word_diff

MODULES_FILE = Path(__file__).with_name("modules.yaml")


@dataclass
class Module:
    id: str
    title: str
    summary: str
    paragraphs: list[str]
    questions: list[str]


def load_modules(path: Path = MODULES_FILE) -> list[Module]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Module(**entry) for entry in data]


def find_module(modules: list[Module], key: str) -> Module | None:
    """By id, or by a case-insensitive piece of the title ("orosanmälan")."""
    key = key.strip().lower()
    for m in modules:
        if m.id == key:
            return m
    return next((m for m in modules if key in m.title.lower()), None)


@dataclass
class KeyParagraph:
    label: str
    heading: str
    text: str
    url: str
    old: list[tuple[str, str]] = field(default_factory=list)  # (label, text)
    relation: str = ""
    basis: str = ""
    diff: str = ""  # word diff against the first old counterpart


@dataclass
class RenderedModule:
    module: Module
    paragraphs: list[KeyParagraph]
    background: list[tuple[str, str]]  # (label, text) from the bill/inquiry when present


def render_module(module: Module, retriever, concordance, date: str | None = None) -> RenderedModule:
    from assistant.changes.compare import BASIS_SV, RELATION_SV
    from assistant.retrieval.hybrid import Filters

    key = []
    for label in module.paragraphs:
        parts = retriever.lookup(label, date)
        if not parts:
            continue
        text = "\n\n".join(p.text for p in parts)
        kp = KeyParagraph(label, parts[0].heading, text, parts[0].url)
        pairs = concordance.counterparts_of_new(label) if concordance else []
        for pair in pairs:
            if pair.old:
                old = retriever.lookup(pair.old, date)
                if old:
                    kp.old.append((pair.old, "\n\n".join(p.text for p in old)))
            kp.relation = RELATION_SV.get(pair.relation, pair.relation)
            kp.basis = BASIS_SV.get(pair.basis, pair.basis)
        if kp.old:
            kp.diff = render_markdown(word_diff(kp.old[0][1], text))
        key.append(kp)
    background = []
    docs = Filters(kinds=("bill", "inquiry"))
    result = retriever.search(f"{module.title}. {module.summary}", k=3, filters=docs, date=date)
    for sp in result.passages:
        if sp.passage.kind in ("bill", "inquiry"):
            background.append((sp.passage.label, sp.passage.text))
    return RenderedModule(module, key, background)
