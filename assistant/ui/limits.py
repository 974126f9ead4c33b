"""What one client (its IP address) may ask of the answer pool that everyone shares:
at most a few questions at a time, and at most so much text per minute (a long
message costs the model more than a short one; a person asking every ten seconds
stays far below the budget, a script sending 2,000-character messages does not)."""

from __future__ import annotations

import os
import threading
import time
from collections import deque

PER_CLIENT = 8  # questions in progress per client (ASSISTANT_PER_CLIENT; 0: no limit)
CHARS_PER_MINUTE = 8000  # characters per client and minute (ASSISTANT_CHARS_PER_MINUTE; 0: no budget)
BUSY = ("För många frågor samtidigt från samma dator. Vänta tills svaren har kommit och "
        "försök sedan igen.")
TOO_MUCH = ("Du har skickat mycket text på kort tid. Vänta en minut och försök igen – "
            "kortare frågor besvaras också snabbare.")


class ClientLimiter:
    """Counts the questions in progress per client (a client holds no entry when idle, so
    the table is bounded by the questions in progress) and the characters each client sent
    in the last minute (entries older than a minute are dropped, idle clients forgotten)."""

    def __init__(self, limit: int | None = None, chars_per_minute: int | None = None, clock=time.monotonic):
        self.limit = int(os.environ.get("ASSISTANT_PER_CLIENT", PER_CLIENT)) if limit is None else limit
        self.chars_per_minute = (int(os.environ.get("ASSISTANT_CHARS_PER_MINUTE", CHARS_PER_MINUTE))
                                 if chars_per_minute is None else chars_per_minute)
        self.clock = clock
        self._lock = threading.Lock()
        self._active: dict[str, int] = {}
        self._sent: dict[str, deque[tuple[float, int]]] = {}

    def charge(self, client: str, chars: int) -> bool:
        """Counts a message of `chars` characters against the client's budget; False (and not
        counted) when it would go over. One message is never larger than the budget itself."""
        if self.chars_per_minute <= 0:
            return True
        now = self.clock()
        with self._lock:
            for key in list(self._sent):  # forget what is older than a minute, and idle clients
                sent = self._sent[key]
                while sent and sent[0][0] <= now - 60:
                    sent.popleft()
                if not sent:
                    del self._sent[key]
            sent = self._sent.get(client, deque())
            used = sum(c for _, c in sent)
            cost = min(chars, self.chars_per_minute)
            if used + cost > self.chars_per_minute:
                return False
            sent.append((now, cost))
            self._sent[client] = sent
            return True

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

    def admit(self, client: str, chars: int = 0) -> str | None:
        """Lets one question of `client` (of `chars` characters) in: None, and it is in progress
        until `release`; or the Swedish reason it is not (too many questions at a time, too much
        text in the last minute), and nothing is counted."""
        if not self.acquire(client):
            return BUSY
        if not self.charge(client, chars):
            self.release(client)
            return TOO_MUCH
        return None


def client_of(request) -> str:
    """The client's address as the server sees it (a Gradio or Starlette request)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "okänd"
