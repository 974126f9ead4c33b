"""The README's deployment (issue 23 row 5): the data dir read-only, a state dir of
its own. Every command and the server answer, and nothing in the served
generation changes, read-only or not.

Read-only is real: as root a read-only bind mount of the session's data dir (root
ignores file modes); otherwise a copy without write permission."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

QUESTION = "Hur lång tid har nämnden på sig för en förhandsbedömning?"


def _commands(module: str) -> list[list[str]]:
    return [["ask", QUESTION], ["ask", "--json", "Vad motsvarar 4 kap. 1 § i gamla lagen?"], ["compare", "4 kap. 1 §"],
            ["changes"], ["course", "list"], ["course", "show", module], ["concordance"], ["status"]]


def _run(args: list[str], data_dir: Path, state_dir: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_STATE_DIR": str(state_dir)}
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def _digest(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def read_only_data(indexed_settings, tmp_path_factory):
    source = Path(indexed_settings.data_dir)
    target = tmp_path_factory.mktemp("ro") / "data"
    target.mkdir()
    if os.geteuid() == 0:
        done = subprocess.run(["mount", "--bind", "-o", "ro", str(source), str(target)], capture_output=True, text=True)
        assert done.returncode == 0, f"a read-only bind mount is needed for this test: {done.stderr}"
        yield target
        subprocess.run(["umount", str(target)], check=False)
    else:
        shutil.rmtree(target)
        shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns("ingest.lock"))
        for p in [target, *target.rglob("*")]:
            if not p.is_symlink():
                p.chmod(p.stat().st_mode & ~0o222)
        yield target
        for p in [target, *target.rglob("*")]:
            if not p.is_symlink():
                p.chmod(p.stat().st_mode | 0o200)


def _first_module(data_dir: Path, state_dir: Path) -> str:
    out = _run(["course", "list"], data_dir, state_dir)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()[0]


def test_every_command_answers_from_a_read_only_data_dir(read_only_data, tmp_path):
    with pytest.raises(OSError):
        (read_only_data / "probe").write_text("x")
    for args in _commands(_first_module(read_only_data, tmp_path)):
        out = _run(args, read_only_data, tmp_path)
        assert out.returncode == 0 and "Traceback" not in out.stderr, (args, out.stderr[-1500:])
        assert out.stdout.strip(), args
    answer = _run(["ask", "--json", QUESTION], read_only_data, tmp_path)
    assert json.loads(answer.stdout)["citations"][0]["label"] == "SFS 2025:400 20 kap. 2 §"


def test_the_server_answers_from_a_read_only_data_dir(read_only_data, tmp_path):
    from conftest import free_port, wait_until_up

    port = free_port()
    env = os.environ | {"ASSISTANT_DATA_DIR": str(read_only_data), "ASSISTANT_STATE_DIR": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        for question in [QUESTION, "Vad är skillnaden mellan 4 kap. 1 § i gamla lagen och nya lagen?"]:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/fraga",
                                             data=json.dumps({"question": question}).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as response:
                assert response.status == 200
                body = json.loads(response.read())
            assert body["kind"] in ("answer", "comparison") and (body.get("citations") or body.get("comparison"))
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    assert "readonly" not in log and "Traceback" not in log, log[-2000:]


def test_no_command_changes_the_served_generation(indexed_settings, tmp_path):
    """On a writable data dir too: commands read the generation, they never write it."""
    from assistant.index.generations import served

    data_dir = Path(indexed_settings.data_dir)
    generation = served(indexed_settings.index_dir)
    before = _digest(generation)
    for args in _commands(_first_module(data_dir, tmp_path)):
        assert _run(args, data_dir, tmp_path).returncode == 0, args
    assert _digest(generation) == before


def test_a_full_state_disk_is_said_in_swedish_and_the_server_still_answers(indexed_settings, tmp_path):
    """Issue 23 row 14: the state dir's disk is full (a real 1 MB tmpfs, filled)."""
    from conftest import free_port, wait_until_up

    from assistant.reform.plan import PlanError, PlanStore

    state = tmp_path / "state"
    state.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(state)], capture_output=True, text=True)
    assert done.returncode == 0, f"this test needs to mount a small tmpfs (root): {done.stderr}"
    server = None
    try:
        with open(state / "filler", "wb") as fh, pytest.raises(OSError):
            fh.write(b"\0" * (2 << 20))
        with pytest.raises(PlanError, match="full"):
            PlanStore(state / "plans.sqlite").create_plan("Omställning 2026")
        port = free_port()
        env = os.environ | {"ASSISTANT_DATA_DIR": str(indexed_settings.data_dir), "ASSISTANT_STATE_DIR": str(state)}
        server = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_until_up(f"http://127.0.0.1:{port}/")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/fraga", data=json.dumps({"question": QUESTION}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert json.loads(response.read())["citations"][0]["label"] == "SFS 2025:400 20 kap. 2 §"
    finally:
        if server is not None:
            server.terminate()
            log = server.communicate(timeout=30)[0]
            assert "Traceback" not in log, log[-2000:]
        subprocess.run(["umount", "-l", str(state)], check=False)
