"""Files the page writes for download (PDFs, CSV, Markdown) go to a private
directory (0700, files 0600) that is also Gradio's cache, and are deleted an
hour after they were written: a conversation PDF may hold case details. A
server that was killed cannot clean up after itself, so the next one removes
the directories of processes that no longer run."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

MAX_AGE_S = 3600
PREFIX = "assistant-downloads-"
OWNER = ".owner-pid"
_lock = threading.Lock()
_dir: Path | None = None


def private_dir() -> Path:
    """This process's private download directory; also set as GRADIO_TEMP_DIR so
    Gradio's copies of uploads and downloads land there too."""
    global _dir
    with _lock:
        if _dir is None or not _dir.is_dir():
            remove_orphans()
            _dir = Path(tempfile.mkdtemp(prefix=PREFIX))  # mode 0700
            fd = os.open(_dir / OWNER, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # whatever the umask
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            os.environ["GRADIO_TEMP_DIR"] = str(_dir)
            atexit.register(shutil.rmtree, _dir, True)  # nothing is left behind when the server stops
        return _dir


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_orphans(root: Path | None = None) -> list[Path]:
    """Delete this user's download directories whose server no longer runs (or,
    with no owner recorded, that are older than MAX_AGE_S); the ones deleted."""
    root = root or Path(tempfile.gettempdir())
    removed = []
    for folder in root.glob(PREFIX + "*"):
        try:
            if not folder.is_dir() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
            owner = folder / OWNER
            if owner.exists():
                orphaned = not _alive(int(owner.read_text().strip() or 0))
            else:
                orphaned = folder.stat().st_mtime < time.time() - MAX_AGE_S
        except (OSError, ValueError):
            continue
        if orphaned:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def write(data: bytes, name: str) -> str:
    """Write one download (readable by this user only) and sweep old ones."""
    sweep()
    folder = private_dir() / uuid.uuid4().hex
    folder.mkdir(mode=0o700)
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return str(path)


def sweep(max_age_s: float = MAX_AGE_S) -> int:
    """Delete files older than `max_age_s` (and folders left empty); the count deleted."""
    root = private_dir()
    limit = time.time() - max_age_s
    deleted = 0
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        try:
            if path.is_file() and path.name != OWNER and path.stat().st_mtime < limit:
                path.unlink()
                deleted += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        except OSError:  # deleted meanwhile by Gradio's own cache cleaner
            pass
    return deleted
