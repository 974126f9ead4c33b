"""No personnummer is kept: each common form is written through every entry
point (the chat in a real browser with feedback and the conversation PDF,
/fraga, /chat, MCP, the CLI's ask and repl), and then every file the app wrote,
its log and its output are searched for the digits. Downloads are private."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port, wait_until_up

ROOT = Path(__file__).parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

# Every form: 10 or 12 digits; hyphen, en dash, em dash, minus sign, plus, space or nothing;
# samordningsnummer (day + 60). Each has its own date digits, so a leak names its form.
FORMS = ["19850412-1238", "850413-1236", "8504141234", "198504151232", "850416+1230", "850417 1238",
         "19850418–1236", "850419 – 1234", "850420—1232", "850421−1230", "850482-1238", "19850483–1236",
         "pnr-850505.1234", "850506/1234", "8505\u200b07\u20111234", "1985-05-29-1234"]
DIGITS = ["".join(c for c in f if c.isdigit())[-10:][:6] for f in FORMS]  # the ÅÅMMDD part of each
# (the end-to-end forms; tests/test_personnummer.py generates thousands more against the detector)


def _leaks(text: str) -> list[str]:
    return [f for f, d in zip(FORMS, DIGITS) if d in text or f in text]


def _question(pnr: str) -> str:
    return f"Klienten {pnr} har ansökt om hemtjänst. Hur lång tid har nämnden på sig för en förhandsbedömning?"


@pytest.fixture(scope="module")
def served(indexed_settings, tmp_path_factory):
    """`assistant serve --mcp` as its own process, with its own data dir (a copy of
    the index) and temp dir, so everything it writes can be searched."""
    import shutil

    data = tmp_path_factory.mktemp("private-data")
    shutil.copytree(indexed_settings.index_dir, data / "index")
    tmp = tmp_path_factory.mktemp("private-tmp")
    port, mcp_port = free_port(), free_port()
    log = (tmp.parent / f"server-{port}.log").open("w")
    env = os.environ | {"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_DATE": indexed_settings.date, "TMPDIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port), "--mcp",
                             "--mcp-port", str(mcp_port)], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url)
    yield {"url": url, "mcp": f"http://127.0.0.1:{mcp_port}/mcp", "data": data, "tmp": tmp, "log": Path(log.name),
           "env": env}
    proc.terminate()
    proc.wait(timeout=30)
    log.close()
    left = list(tmp.glob("assistant-downloads-*"))
    assert not left, f"a stopped server (SIGTERM) left its download directory behind: {left}"


def _written_files(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file() and "chroma" not in p.parts
            and p.suffix not in (".npz", ".onnx", ".sqlite3", ".bin")]


def test_no_personnummer_survives_any_entry_point(served):
    from gradio_client import Client
    from playwright.sync_api import expect, sync_playwright

    outputs: list[str] = []
    client = Client(served["url"], verbose=False)
    for pnr in FORMS:
        outputs.append(json.dumps(client.predict(_question(pnr), [], api_name="/fraga"), ensure_ascii=False))
    turn = client.predict(_question(FORMS[0]), [], [], [], api_name="/chat")
    assert "personnummer borttaget" in json.dumps(turn, ensure_ascii=False)
    outputs.append(json.dumps(turn, ensure_ascii=False))

    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def mcp_calls():
        async with streamable_http_client(served["mcp"]) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                out = []
                for pnr in FORMS[:4]:
                    r = await session.call_tool("answer_question", {"question": _question(pnr),
                                                                    "previous_questions": [_question(FORMS[-1])]})
                    out.append(r.content[0].text)
                    r = await session.call_tool("search_passages", {"query": _question(pnr)})
                    out.append(r.content[0].text)
                return out

    outputs += asyncio.run(mcp_calls())

    for pnr in FORMS[:3]:
        cli = subprocess.run([sys.executable, "-m", "assistant", "ask", "--json", _question(pnr)], capture_output=True,
                             text=True, env=served["env"], cwd=ROOT, timeout=120)
        assert cli.returncode == 0, cli.stderr
        outputs += [cli.stdout, cli.stderr]
    repl = subprocess.run([sys.executable, "-m", "assistant", "repl"], input=_question(FORMS[4]) + "\nog för äldre?\n\n",
                          capture_output=True, text=True, env=served["env"], cwd=ROOT, timeout=120)
    outputs += [repl.stdout, repl.stderr]

    # The page: ask with a personnummer, thumbs up with "save my question" ticked, save the PDF.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(served["url"])
        page.locator("#include-question input").check()
        for pnr in (FORMS[6], FORMS[10]):
            page.locator("#question textarea").fill(_question(pnr))
            page.locator("#send").click()
            expect(page.locator("#chatbot")).to_contain_text("personnummer borttaget", timeout=30_000)
        expect(page.locator("#chatbot")).to_contain_text("20 kap. 2 §", timeout=30_000)
        page.locator("#chatbot button[aria-label='Like']").first.click()
        page.locator("#session-pdf").click()
        link = page.locator("#session-file a").first
        expect(link).to_be_visible(timeout=30_000)
        with page.expect_download(timeout=30_000) as download:
            link.click()
        pdf = Path(download.value.path()).read_bytes()
        outputs.append(page.content())
        browser.close()
    from io import BytesIO

    from pypdf import PdfReader

    pdf_text = "".join(pg.extract_text() for pg in PdfReader(BytesIO(pdf)).pages)
    assert "personnummer borttaget" in pdf_text
    outputs.append(pdf_text)

    time.sleep(1)  # the feedback line is written after the click
    feedback = served["data"] / "feedback.jsonl"
    assert feedback.exists() and "question" in feedback.read_text()  # the opt-in question was kept, masked
    for text in outputs:
        assert _leaks(text) == [], text[:300]
    files = _written_files(served["data"], served["tmp"]) + [served["log"]]
    assert len(files) >= 3
    for path in files:
        content = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".pdf":
            content = "".join(pg.extract_text() for pg in PdfReader(path).pages)
        assert _leaks(content) == [], path


def test_downloads_are_private(served):
    """The files the app wrote for download are readable by its user only."""
    downloads = [p for p in served["tmp"].rglob("*") if p.is_file()]
    folders = [p for p in served["tmp"].iterdir() if p.is_dir()]
    assert folders and all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in folders)
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in downloads)
    for name in ("feedback.jsonl",):
        path = served["data"] / name
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_old_downloads_are_swept(tmp_path, monkeypatch):
    from assistant.ui import downloads

    path = Path(downloads.write(b"%PDF-1.4 samtal", "samtal.pdf"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert downloads.sweep() == 0 and path.exists()
    old = time.time() - downloads.MAX_AGE_S - 5
    os.utime(path, (old, old))
    assert downloads.sweep() == 1 and not path.exists()


def test_a_killed_servers_downloads_are_removed_by_the_next(tmp_path):
    """A server killed with SIGKILL leaves its download directory; the next one
    deletes it (its owner no longer runs), and leaves a running server's alone."""
    import subprocess
    import sys

    from assistant.ui import downloads

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / (downloads.PREFIX + "killed")
    (orphan / "a1").mkdir(parents=True)
    (orphan / "a1" / "samtal.pdf").write_bytes(b"%PDF-1.4 samtal")
    (orphan / downloads.OWNER).write_text(str(dead.pid))
    running = tmp_path / (downloads.PREFIX + "running")
    running.mkdir()
    (running / downloads.OWNER).write_text(str(os.getpid()))
    unowned_old = tmp_path / (downloads.PREFIX + "old")
    unowned_old.mkdir()
    old = time.time() - downloads.MAX_AGE_S - 5
    os.utime(unowned_old, (old, old))
    assert sorted(p.name for p in downloads.remove_orphans(tmp_path)) == sorted([orphan.name, unowned_old.name])
    assert not orphan.exists() and not unowned_old.exists() and running.exists()
