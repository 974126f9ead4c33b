"""Chroma over HTTP: a real `chroma run` on loopback, started by the test."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port, wait_until_up

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


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path_factory.mktemp("chroma-server") / "server-data"), "--host", "127.0.0.1",
         "--port", str(port)],
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


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, mirror, chroma_server):
    """One ingest of the new law into the Chroma server, shared by the tests below."""
    root = tmp_path_factory.mktemp("chroma-client")
    (root / "sources.toml").write_text(MANIFEST, encoding="utf-8")
    settings = load_settings(data_dir=str(root / "data"), mirror_dir=str(mirror),
                             manifest=str(root / "sources.toml"), chroma_url=chroma_server,
                             embedding_model=MINILM)  # the server is tested here, not the model: the fast one
    return root, settings, ingest(settings, progress=False)


def test_ingest_and_search_through_a_chroma_server(ingested, chroma_server):
    _, settings, report = ingested
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


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_two_replicas_answer_alike_from_one_chroma_server_and_a_read_only_data_dir(ingested, chroma_server):
    """Deployment: one ingest into a Chroma server and a data dir that the
    replicas only read; each replica writes feedback and plans to its own state dir."""
    import os

    from gradio_client import Client

    tmp_path, settings, _ = ingested
    data = Path(settings.data_dir)
    before = _tree(data)
    procs, urls = [], []
    for i in range(2):
        port = free_port()
        env = os.environ | {"ASSISTANT_DATA_DIR": str(data), "ASSISTANT_CHROMA_URL": chroma_server,
                            "ASSISTANT_EMBEDDING_MODEL": MINILM, "ASSISTANT_MANIFEST": str(tmp_path / "sources.toml"),
                            "ASSISTANT_STATE_DIR": str(tmp_path / f"state-{i}"), "ASSISTANT_DATE": "2026-02-01"}
        procs.append(subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", str(port)], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_until_up(url)
        clients = [Client(url, verbose=False) for url in urls]
        for q in ["Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?",
                  "Vad innebär insatser utan individuell behovsprövning?", "Vad säger 20 kap. 2 §?"]:
            a, b = (c.predict(q, [], api_name="/fraga") for c in clients)
            assert a["citations"] and [(c["label"], c["quote"]) for c in a["citations"]] == \
                [(c["label"], c["quote"]) for c in b["citations"]], q
        assert clients[0].predict("Hur lång tid har nämnden för en förhandsbedömning?", [],
                                  api_name="/fraga")["citations"][0]["label"] == "SFS 2025:400 20 kap. 2 §"
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(30)
    assert _tree(data) == before  # the replicas wrote nothing into the shared data dir
