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


class DiskFull(RuntimeError):
    """No space left while building a generation; the message is Swedish."""


DISK_FULL = ("Disken är full ({where}): indexeringen avbröts och det halvfärdiga indexet togs bort, "
             "så utrymmet är som före. Det gamla indexet används fortfarande. Frigör utrymme och kör "
             "`assistant ingest` igen.")


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC (or a quota) anywhere in an exception, including shutil.copytree's list of errors."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if isinstance(exc, shutil.Error):
        return any("No space left" in str(e) or "Disk quota" in str(e) for e in (exc.args[0] if exc.args else []))
    return "database or disk is full" in str(exc) or "No space left on device" in str(exc)


def generations_dir(data_dir: Path) -> Path:
    return Path(data_dir) / GENERATIONS


def served(index_dir: Path) -> Path | None:
    """The directory the served index really is in (None when there is none)."""
    if index_dir.is_symlink() or index_dir.is_dir():
        target = index_dir.resolve()
        return target if target.is_dir() else None
    return None


def begin(index_dir: Path, copy: bool = True) -> Path:
    """A new generation: a copy of the served one (so unchanged documents are
    not re-embedded), or empty (none served, or `copy` false: a damaged one is
    rebuilt from the sources)."""
    root = generations_dir(index_dir.parent)
    root.mkdir(parents=True, exist_ok=True)
    # Never a name used before: Chroma caches its client per path, even for a deleted directory.
    new = root / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    current = served(index_dir) if copy else None
    if current is not None:
        try:
            shutil.copytree(current, new, symlinks=True, ignore=shutil.ignore_patterns("*.tmp", "ingest.lock"))
        except BaseException as exc:
            shutil.rmtree(new, ignore_errors=True)
            if is_disk_full(exc):
                raise DiskFull(DISK_FULL.format(where=root)) from None
            raise
        state = new / "state.json"
        if state.exists():  # the copy is not complete until this ingest says so
            data = json.loads(state.read_text(encoding="utf-8"))
            data.pop(COMPLETE, None)
            state.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        new.mkdir()
    return new


UNREADABLE = "går inte att läsa"
NO_PASSAGES = "avsnitten saknas"


def unreadable(found: list[str]) -> bool:
    """Whether `problems` found files that cannot be read (truncated, garbled, missing)."""
    return any(UNREADABLE in p or p == NO_PASSAGES for p in found)


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
    try:
        state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
    except (OSError, ValueError):
        return [f"indexets tillstånd (state.json) {UNREADABLE}"]
    if not state.get(COMPLETE):
        out.append("indexeringen avslutades aldrig")
    store_path = index_dir / "passages.jsonl"
    if not store_path.exists():
        return out + [NO_PASSAGES]
    try:
        ids = {p.id for p in PassageStore.load(store_path).passages}
    except Exception:
        return out + [f"avsnitten {UNREADABLE}"]
    if state.get(COMPLETE) and state.get("passages") not in (None, len(ids)):
        out.append(f"{len(ids)} avsnitt men {state.get('passages')} enligt indexeringen")
    if not scopes_current(index_dir):
        out.append("nyckelordsindexet saknas eller är byggt med en äldre ordbehandling")
    model = embedding_model or state.get("embedding_model", "")
    if state.get("embedding_model") and canonical_model(model) != state.get("embedding_model"):
        out.append(f"byggt med {state.get('embedding_model')!r}, inte {canonical_model(model)!r}")
    else:
        try:
            if ids and VectorSnapshot.load(index_dir, model, ids, None) is None:
                out.append("vektorerna stämmer inte med avsnitten")
        except Exception:
            out.append(f"vektorerna {UNREADABLE}")
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


def remove_debris(index_dir: Path) -> list[Path]:
    """Remove the generations that were never completed (killed or failed ingests),
    except the one served. Call with the ingest lock held. -> the removed ones."""
    current = served(index_dir)
    root = generations_dir(index_dir.parent)
    removed = []
    if not root.is_dir():
        return removed
    for gen in root.iterdir():
        if not gen.is_dir() or gen.is_symlink() or gen == current:
            continue
        try:
            complete = json.loads((gen / "state.json").read_text(encoding="utf-8")).get(COMPLETE)
        except (OSError, ValueError):
            complete = False
        if not complete:
            shutil.rmtree(gen, ignore_errors=True)
            removed.append(gen)
    return removed


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
