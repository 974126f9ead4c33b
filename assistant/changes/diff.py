"""Word-level diff of an old and a new paragraph, rendered for the terminal and HTML."""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffOp:
    op: str  # equal | delete | insert
    text: str


def _tokens(text: str) -> list[str]:
    return re.findall(r"\S+|\s+", text)


def word_diff(old: str, new: str) -> list[DiffOp]:
    """Old -> new as equal/delete/insert runs of whole words (whitespace kept)."""
    a, b = _tokens(old), _tokens(new)
    ops: list[DiffOp] = []
    matcher = difflib.SequenceMatcher(a=[t.strip() or " " for t in a], b=[t.strip() or " " for t in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(DiffOp("equal", "".join(b[j1:j2])))
            continue
        if tag in ("delete", "replace"):
            ops.append(DiffOp("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            ops.append(DiffOp("insert", "".join(b[j1:j2])))
    return [op for op in ops if op.text]


def similarity(old: str, new: str) -> float:
    a = [t for t in _tokens(old) if t.strip()]
    b = [t for t in _tokens(new) if t.strip()]
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio() if a or b else 1.0


def render_text(ops: list[DiffOp]) -> str:
    """[-removed-] {+added+} markup, as `git diff --word-diff` prints it."""
    out = []
    for op in ops:
        if op.op == "equal":
            out.append(op.text)
        elif op.op == "delete":
            out.append(f"[-{op.text.strip()}-]" + (" " if op.text.endswith((" ", "\n")) else ""))
        else:
            out.append(f"{{+{op.text.strip()}+}}" + (" " if op.text.endswith((" ", "\n")) else ""))
    return "".join(out)


def render_html(ops: list[DiffOp]) -> str:
    out = []
    for op in ops:
        text = html.escape(op.text).replace("\n", "<br>")
        if op.op == "equal":
            out.append(text)
        elif op.op == "delete":
            out.append(f"<del>{text}</del>")
        else:
            out.append(f"<ins>{text}</ins>")
    return "".join(out)
