"""At most a few questions at a time from one client (its IP address), so one user
or script cannot fill the answer pool that everyone shares."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

PER_CLIENT = int(os.environ.get("ASSISTANT_PER_CLIENT", "8"))  # 0: no limit
BUSY = ("För många frågor samtidigt från samma dator. Vänta tills svaren har kommit och "
        "försök sedan igen.")


class Busy(Exception):
    """The client already has as many questions in progress as it may."""

    def __str__(self) -> str:
        return BUSY


class ClientLimiter:
    """Counts the questions in progress per client; a client holds no entry when idle,
    so the table is bounded by the questions in progress."""

    def __init__(self, limit: int = PER_CLIENT):
        self.limit = limit
        self._lock = threading.Lock()
        self._active: dict[str, int] = {}

    def acquire(self, client: str) -> bool:
        if self.limit <= 0:
            return True
        with self._lock:
            count = self._active.get(client, 0)
            if count >= self.limit:
                return False
            self._active[client] = count + 1
            return True

    def release(self, client: str) -> None:
        if self.limit <= 0:
            return
        with self._lock:
            count = self._active.get(client, 0) - 1
            if count > 0:
                self._active[client] = count
            else:
                self._active.pop(client, None)

    @contextmanager
    def slot(self, client: str):
        """One question of `client` in progress; Busy when it has too many already."""
        if not self.acquire(client):
            raise Busy
        try:
            yield
        finally:
            self.release(client)

    def in_progress(self) -> int:
        with self._lock:
            return sum(self._active.values())


def client_of(request) -> str:
    """The client's address as the server sees it (a Gradio or Starlette request)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "okänd"
