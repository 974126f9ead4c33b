"""The served index is always whole.

`<data>/index` is a symlink to one complete generation in
`<data>/index-generations/`. Ingest copies the served generation, updates the
copy, checks that its passages, keyword index and vectors agree (ids, model,
tokenizer version) and only then swaps the symlink, atomically. A killed ingest
leaves the served generation untouched; the next one removes the debris. The
previous generation is kept until the next switch, for servers still reading it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

GENERATIONS = "index-generations"
COMPLETE = "complete"  # key in state.json, written last in a generation


class IndexIncomplete(RuntimeError):
    """An index whose parts disagree; the message (Swedish) says what to run."""


def generations_dir(data_dir: Path) -> Path:
    return Path(data_dir) / GENERATIONS


def served(index_dir: Path) -> Path | None:
    """The directory the served index really is in (None when there is none)."""
    if index_dir.is_symlink() or index_dir.is_dir():
        target = index_dir.resolve()
        return target if target.is_dir() else None
    return None


def begin(index_dir: Path) -> Path:
    """A new generation: a copy of the served one (so unchanged documents are
    not re-embedded), or empty."""
    root = generations_dir(index_dir.parent)
    root.mkdir(parents=True, exist_ok=True)
    # Never a name used before: Chroma caches its client per path, even for a deleted directory.
    new = root / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    current = served(index_dir)
    if current is not None:
        shutil.copytree(current, new, symlinks=True, ignore=shutil.ignore_patterns("*.tmp", "ingest.lock"))
        state = new / "state.json"
        if state.exists():  # the copy is not complete until this ingest says so
            data = json.loads(state.read_text(encoding="utf-8"))
            data.pop(COMPLETE, None)
            state.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        new.mkdir()
    return new


def problems(index_dir: Path, embedding_model: str | None = None) -> list[str]:
    """What disagrees in one generation (Swedish, empty when whole): state written
    to the end, passages, keyword index and vector snapshot on the same ids,
    model and tokenizer version."""
    from assistant.index.embeddings import canonical_model
    from assistant.index.keyword import scopes_current
    from assistant.index.snapshot import VectorSnapshot
    from assistant.index.store import PassageStore

    out = []
    state_path = index_dir / "state.json"
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
    if not state.get(COMPLETE):
        out.append("indexeringen avslutades aldrig")
    store_path = index_dir / "passages.jsonl"
    if not store_path.exists():
        return out + ["avsnitten saknas"]
    ids = {p.id for p in PassageStore.load(store_path).passages}
    if state.get(COMPLETE) and state.get("passages") not in (None, len(ids)):
        out.append(f"{len(ids)} avsnitt men {state.get('passages')} enligt indexeringen")
    if not scopes_current(index_dir):
        out.append("nyckelordsindexet saknas eller är byggt med en äldre ordbehandling")
    model = embedding_model or state.get("embedding_model", "")
    if state.get("embedding_model") and canonical_model(model) != state.get("embedding_model"):
        out.append(f"byggt med {state.get('embedding_model')!r}, inte {canonical_model(model)!r}")
    elif ids and VectorSnapshot.load(index_dir, model, ids, None) is None:
        out.append("vektorerna stämmer inte med avsnitten")
    return out


def commit(index_dir: Path, new: Path) -> None:
    """Serve `new` from now on: one atomic rename of a symlink."""
    data_dir = index_dir.parent
    if index_dir.is_dir() and not index_dir.is_symlink():  # an index from before generations
        os.rename(index_dir, generations_dir(data_dir) / f"legacy-{time.strftime('%Y%m%d-%H%M%S')}")
    link = data_dir / f".index-{os.getpid()}.tmp"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(new, data_dir), link)
    os.replace(link, index_dir)


def clean(index_dir: Path, keep_previous: Path | None = None) -> None:
    """Remove generations that are neither served nor the one before it (the
    debris of killed ingests included). Call with the ingest lock held."""
    current = served(index_dir)
    root = generations_dir(index_dir.parent)
    if not root.is_dir():
        return
    for gen in root.iterdir():
        if gen.is_dir() and gen != current and gen != keep_previous:
            shutil.rmtree(gen, ignore_errors=True)
