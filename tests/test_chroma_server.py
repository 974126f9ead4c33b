"""Chroma over HTTP: a real `chroma run` on loopback, started by the test."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.index.embeddings import MINILM
from assistant.index.ingest import ingest
from assistant.retrieval.hybrid import FusionParams, HybridRetriever

pytestmark = pytest.mark.server

MANIFEST = """
[[document]]
id = "sfs-2025-400"
title = "Socialtjänstlag (2025:400)"
kind = "statute"
citation_prefix = "SFS 2025:400"
format = "statute-text"
version = "new"
in_force = "2025-07-01"
mirror = "laws/sfs-2025-400.txt"
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def chroma_server(tmp_path):
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = _free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma run did not start")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def test_ingest_and_search_through_a_chroma_server(tmp_path, mirror, chroma_server):
    (tmp_path / "sources.toml").write_text(MANIFEST, encoding="utf-8")
    settings = load_settings(data_dir=str(tmp_path / "data"), mirror_dir=str(mirror),
                             manifest=str(tmp_path / "sources.toml"), chroma_url=chroma_server,
                             embedding_model=MINILM)  # the server is tested here, not the model: the fast one
    report = ingest(settings, progress=False)
    assert report.embedded == report.passages_total > 300
    assert not (settings.index_dir / "chroma").exists()  # nothing embedded on disk

    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_server.rsplit(":", 1)[1]))
    collections = {c.name: c for c in client.list_collections()}
    assert collections["passages-all-minilm-l6-v2"].count() == report.passages_total
    assert collections["sentences-all-minilm-l6-v2"].count() > report.passages_total

    retriever = HybridRetriever(settings, params=FusionParams(bm25=0.0, dense=1.0))
    hits = retriever.vectors.query("socialnämnden ska göra en förhandsbedömning inom fjorton dagar", 10)
    assert hits and all(retriever.store.get(pid) for pid, _ in hits)
    assert "SFS 2025:400 20 kap. 2 §" in [retriever.store.get(pid).label for pid, _ in hits]
