"""Memory of the MCP server under many different reference dates (numbers printed,
never asserted; issue 23 row 15).

    python benchmarks/mcp_dates.py [--data-dir DIR] [--calls 8000] [--every 1000]

Starts `assistant mcp --http` on a free loopback port (the index must exist in the
data dir; default: the project's) and calls `search_passages` through the real `mcp`
client, each call with another date (one a day back from 2026-12-31, so every call
asks for a scope the server has not seen), printing the server's resident memory
(VmRSS, VmHWM from /proc) after one warm-up call (the index loaded) and after every
`--every` calls. A per-date
cache that grows without bound shows as RSS rising with the calls; a bounded one
levels off.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from load import free_port  # benchmarks/ is the script's directory

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ("förhandsbedömning inom fjorton dagar", "hemtjänst utan behovsprövning", "återkrav av ekonomiskt bistånd",
           "fast omsorgskontakt", "anmälningsskyldighet barn som far illa")


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the MCP server ended with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers (a bare GET on /mcp is refused, but the server is up)
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the MCP server did not start")


async def run(url: str, pid: int, calls: int, every: int) -> None:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    start = dt.date(2026, 12, 31)
    async with streamable_http_client(url) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await session.call_tool("search_passages", {"query": QUERIES[0], "k": 3})  # loads the index
            rss, hwm = rss_mb(pid)
            print(f"{'calls':>6s} {'RSS MB':>8s} {'peak MB':>8s} {'s':>7s}")
            print(f"{0:6d} {rss:8.0f} {hwm:8.0f} {0:7.1f}", flush=True)
            t0 = time.perf_counter()
            errors = 0
            for i in range(1, calls + 1):
                date = (start - dt.timedelta(days=i)).isoformat()
                result = await session.call_tool("search_passages",
                                                 {"query": QUERIES[i % len(QUERIES)], "k": 3, "date": date})
                errors += bool(result.isError)
                if i % every == 0 or i == calls:
                    rss, hwm = rss_mb(pid)
                    print(f"{i:6d} {rss:8.0f} {hwm:8.0f} {time.perf_counter() - t0:7.1f}", flush=True)
            print(f"errors: {errors} of {calls}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/mcp_dates.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(ROOT / "data"))
    parser.add_argument("--calls", type=int, default=8000)
    parser.add_argument("--every", type=int, default=1000)
    args = parser.parse_args(argv)
    port = free_port()
    env = os.environ | {"ASSISTANT_DATA_DIR": args.data_dir}
    process = subprocess.Popen([sys.executable, "-m", "assistant", "mcp", "--http", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        wait_until_up(url, process)
        asyncio.run(run(url, process.pid, args.calls, args.every))
    finally:
        process.terminate()
        process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
