"""Load test of the real server (numbers printed, never asserted).

    python benchmarks/load.py [--data-dir DIR] [--users 1 10 50 200] [--questions-per-user 4] [--api json gradio]
                              [--think 0 10]

Starts `assistant serve` on a free loopback port (the index must exist in the
data dir; default: the project's), then for each number of simultaneous users
runs that many clients at once, each asking its questions one after another,
and prints p50 / p95 / max latency per question, throughput and errors. With
`--think S` a user reads each answer for a while before the next question (random,
mean S seconds; the first question comes within S seconds), as people at work do;
0 is the worst case, every user asking again the moment an answer arrives. Each
run starts with questions the server has not answered yet ("new": the share of
them; a run longer than the repository's question sets repeats some). Two
ways in: `json` is the plain HTTP endpoint POST /api/fraga, `gradio` the named
Gradio endpoint /fraga through gradio_client (its queue protocol). The load
generator runs on the same machine and shares its cores.

Each simulated user of the JSON API connects from its own loopback address
(127.0.0.2, 127.0.0.3, …), so the server's per-client limit sees 50 users as 50
clients; gradio_client cannot choose its address, so the Gradio runs switch the
per-client limits off (ASSISTANT_PER_CLIENT=0, ASSISTANT_CHARS_PER_MINUTE=0)
rather than measure them.

    python benchmarks/load.py --scenario fresh-burst   # 50 users x 8 new questions the moment the server accepts
    python benchmarks/load.py --scenario abuse         # 8 clients sending 2,000-emoji messages among 50 users

`fresh-burst` starts a new server and sends the burst as soon as it accepts
connections (it accepts only after the index is loaded and one question
answered). `abuse` runs 50 normal users (think time 10 s) while 8 other clients
keep sending 2,000-emoji messages (half emoji only, refused before the model;
half a question padded with emoji, embedded after the 256-token cap);
the normal questions' latencies are reported apart from the abusive ones.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not start at {url}")


QUESTION_SETS = ("questions.jsonl", "holdout.jsonl", "fresh.jsonl", "blind.jsonl")


def questions() -> list[str]:
    """Every in-scope question of the repository's question sets, each once."""
    rows = [json.loads(line) for name in QUESTION_SETS
            for line in (ROOT / "evals" / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(r["question"] for r in rows if r.get("expected")))


class JsonClient:
    """POST /api/fraga over one keep-alive connection per user, opened again when the
    server has closed it (as a browser does after a pause)."""

    def __init__(self, url: str, source: str | None = None, **_):
        from urllib.parse import urlparse

        parsed = urlparse(url)
        self.address = (parsed.hostname, parsed.port)
        self.source = (source, 0) if source else None
        self.conn = self._connect()

    def _connect(self):
        import http.client

        return http.client.HTTPConnection(*self.address, timeout=120, source_address=self.source)

    def predict(self, question: str, sources, api_name: str = "") -> dict:
        import http.client

        body = json.dumps({"question": question, "sources": sources})
        for attempt in (1, 2):
            try:
                self.conn.request("POST", "/api/fraga", body=body, headers={"Content-Type": "application/json"})
                response = self.conn.getresponse()
                break
            except (http.client.RemoteDisconnected, http.client.CannotSendRequest, BrokenPipeError,
                    ConnectionResetError):
                self.conn.close()
                self.conn = self._connect()
                if attempt == 2:
                    raise
        data = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {data.get('error', '')}")
        return data


def source_address(i: int) -> str:
    """The i-th simulated client's own loopback address (Linux routes all of 127/8 to lo)."""
    return f"127.0.{2 + i // 250}.{2 + i % 250}"


def run(url: str, users: int, per_user: int, pool: list[str], api: str = "json", think: float = 0.0) -> dict:
    from gradio_client import Client

    if api == "json":
        Client = JsonClient  # noqa: F811, N806 (same interface: predict)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    clients = []
    for i in range(users):  # connected first (not timed): the figures are about answering
        try:
            clients.append(Client(url, verbose=False, httpx_kwargs={"timeout": 120}) if api == "gradio"
                           else Client(url, source=source_address(i)))
        except Exception as exc:  # counted, not raised: the table shows it
            errors.append(f"connect: {exc.__class__.__name__}")

    def user(i: int) -> None:
        client = clients[i]
        rng = random.Random(i)
        if think:
            time.sleep(rng.uniform(0, think))
        for j in range(per_user):
            if think and j:
                time.sleep(rng.expovariate(1 / think))
            q = pool[(i * per_user + j) % len(pool)]
            t = time.perf_counter()
            try:
                result = client.predict(q, [], api_name="/fraga")
                ok = bool(result.get("citations")) or result.get("abstained")
            except Exception as exc:
                ok, result = False, exc
            with lock:
                latencies.append(time.perf_counter() - t)
                if not ok:
                    errors.append(str(result)[:80])

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as ex:
        list(ex.map(user, range(len(clients))))
    wall = time.perf_counter() - started
    return {"users": users, "questions": len(latencies), "p50_s": pct(latencies, 0.5), "p95_s": pct(latencies, 0.95),
            "max_s": max(latencies, default=float("nan")), "per_s": len(latencies) / wall, "errors": len(errors),
            "error_examples": errors[:3]}


@contextlib.contextmanager
def server(data_dir: str, per_client: bool = True):
    port = free_port()
    env = os.environ | {"ASSISTANT_DATA_DIR": data_dir} | (
        {} if per_client else {"ASSISTANT_PER_CLIENT": "0", "ASSISTANT_CHARS_PER_MINUTE": "0"})
    process = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_up(url)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def fresh_burst(data_dir: str, users: int = 50, per_user: int = 8) -> None:
    """A server started just now, hit by every user at once the moment it accepts."""
    pool = questions()
    started = time.perf_counter()
    with server(data_dir) as url:
        up = time.perf_counter() - started
        r = run(url, users, per_user, pool[:users * per_user])
    print(f"fresh-burst: server accepted after {up:.1f} s; {r['users']} users x {per_user} new questions: "
          f"p50 {r['p50_s']:.2f} s, p95 {r['p95_s']:.2f} s, max {r['max_s']:.2f} s, {r['per_s']:.1f} q/s, "
          f"errors {r['errors']}" + (f" e.g. {r['error_examples']}" if r["errors"] else ""), flush=True)


def abuse(data_dir: str, users: int = 50, per_user: int = 8, abusers: int = 8, think: float = 10.0) -> None:
    """Normal users with think time while a few clients keep sending 2,000-emoji messages."""
    pool = questions()
    # half the abusers send emoji only (refused before the model), half a question padded with
    # emoji to just under the 2,000-character limit (embedded, cut to 256 tokens)
    emoji_only = "\U0001F600" * 2000
    padded = pool[0] + " {} " + "\U0001F600" * (1980 - len(pool[0]))  # a new number each time: no cache hit
    stop = threading.Event()
    abusive: list[float] = []
    refused = [0]

    def abuser(i: int) -> None:
        client = JsonClient(url, source=source_address(1000 + i))
        n = 0
        while not stop.is_set():
            n += 1
            t = time.perf_counter()
            try:
                client.predict(emoji_only if i % 2 else padded.format(n * 100 + i), [])
            except RuntimeError:
                refused[0] += 1
            abusive.append(time.perf_counter() - t)

    with server(data_dir) as url:
        run(url, 1, 1, pool)  # one question first: the figures are about the mix, not the start
        threads = [threading.Thread(target=abuser, args=(i,), daemon=True) for i in range(abusers)]
        for t in threads:
            t.start()
        r = run(url, users, per_user, pool[1:1 + users * per_user], think=think)
        stop.set()
        for t in threads:
            t.join(timeout=120)
    print(f"abuse: {users} users (think {think:g} s) x {per_user} questions beside {abusers} clients sending "
          f"2,000 emoji: normal p50 {r['p50_s']:.2f} s, p95 {r['p95_s']:.2f} s, max {r['max_s']:.2f} s, "
          f"errors {r['errors']}; abusive messages {len(abusive)} (refused {refused[0]}), "
          f"p50 {pct(abusive, 0.5):.2f} s, p95 {pct(abusive, 0.95):.2f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=["table", "fresh-burst", "abuse"], default="table",
                        help="table: users x ways in (default); fresh-burst; abuse (see the module's docstring)")
    parser.add_argument("--data-dir", default=os.environ.get("ASSISTANT_DATA_DIR", str(ROOT / "data")))
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--questions-per-user", type=int, default=4)
    parser.add_argument("--api", nargs="+", default=["json", "gradio"], choices=["json", "gradio"])
    parser.add_argument("--think", type=float, nargs="+", default=[0.0],
                        help="mean seconds a user reads an answer before asking again (one run per value)")
    args = parser.parse_args()
    if not (Path(args.data_dir) / "index" / "passages.jsonl").exists():
        raise SystemExit(f"no index in {args.data_dir}: run `assistant ingest` first")
    if args.scenario == "fresh-burst":
        fresh_burst(args.data_dir)
        return 0
    if args.scenario == "abuse":
        abuse(args.data_dir)
        return 0
    pool = questions()
    print(f"{'api':>6} {'think':>5} {'users':>6} {'questions':>9} {'new':>5} {'p50 s':>7} {'p95 s':>7} {'max s':>7} "
          f"{'q/s':>6} {'errors':>6}")
    for api, think in itertools.product(args.api, args.think):
        with server(args.data_dir, per_client=api == "json") as url:  # a fresh server per way in and pace
            run(url, 1, 2, pool, "gradio")  # the index loads in the background: wait for it
            seen, start = set(pool[:2]), 2  # each run starts with questions this server has not answered
            for users in args.users:
                wanted = [pool[(start + n) % len(pool)] for n in range(users * args.questions_per_user)]
                start += len(wanted)
                new = sum(q not in seen and not seen.add(q) for q in wanted)
                r = run(url, users, args.questions_per_user, wanted, api, think)
                print(f"{api:>6} {think:>5g} {r['users']:>6} {r['questions']:>9} {new / len(wanted):>5.0%} "
                      f"{r['p50_s']:>7.2f} {r['p95_s']:>7.2f} {r['max_s']:>7.2f} {r['per_s']:>6.1f} {r['errors']:>6}"
                      + (f"  e.g. {r['error_examples']}" if r["errors"] else ""), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
