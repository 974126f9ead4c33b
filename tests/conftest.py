"""Shared fixtures: one real ingest of the corpus mirror per test session."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, load_settings

MIRROR = Path(os.environ.get("ASSISTANT_MIRROR", PROJECT_ROOT.parent / "shared" / "corpus"))


def pytest_configure(config):
    if not (MIRROR / "laws" / "sfs-2025-400.txt").is_file():
        raise pytest.UsageError(f"the corpus mirror is missing at {MIRROR} (set ASSISTANT_MIRROR)")


@pytest.fixture(scope="session")
def mirror() -> Path:
    return MIRROR


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory):
    """Settings whose data dir holds a full index of the mirror (built once)."""
    from assistant.index.ingest import ingest

    data_dir = tmp_path_factory.mktemp("data")
    settings = load_settings(data_dir=str(data_dir), mirror_dir=str(MIRROR), reference_date="2026-02-01")
    report = ingest(settings, progress=False)
    assert report.count("failed") == 0
    return settings


@pytest.fixture(scope="session")
def retriever(indexed_settings):
    from assistant.retrieval.hybrid import HybridRetriever

    return HybridRetriever(indexed_settings)


@pytest.fixture(scope="session")
def answerer(indexed_settings, retriever):
    from assistant.answering.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(retriever, indexed_settings)


def wait_until_up(url: str, timeout: float = 120) -> None:
    """Until a server answers at `url` (a fresh process loads its index first)."""
    import time
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"no server at {url} after {timeout} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def assistant(indexed_settings, retriever):
    from assistant.conversation import Assistant

    return Assistant(indexed_settings, retriever)


@pytest.fixture(scope="session")
def server(indexed_settings):
    """The real app (`assistant serve --mcp`) on free loopback ports: (web url, MCP url)."""
    from assistant.ui.app import serve

    port, mcp_port = free_port(), free_port()
    # Every test asks from 127.0.0.1: the per-minute text budget per client would stop the suite
    # (it is tested on its own: test_the_client_limiter_*); the concurrency limit stays on.
    budget = os.environ.get("ASSISTANT_CHARS_PER_MINUTE")
    os.environ["ASSISTANT_CHARS_PER_MINUTE"] = "0"
    demo = serve(indexed_settings, host="127.0.0.1", port=port, prevent_thread_lock=True, mcp_port=mcp_port)
    if budget is None:
        os.environ.pop("ASSISTANT_CHARS_PER_MINUTE", None)
    else:
        os.environ["ASSISTANT_CHARS_PER_MINUTE"] = budget
    yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{mcp_port}/mcp"
    demo.mcp_http[0].should_exit = True
    demo.close()


@pytest.fixture(scope="session")
def app_url(server):
    return server[0]


@pytest.fixture(scope="session")
def pdf_to_png():
    """Renders each page of a PDF to test-artifacts/<name>-p<n>.png (to look at after a run, as
    issue 22 asks) and returns the share of non-white pixels per page (0 = a blank page)."""
    def render(data: bytes, name: str) -> list[float]:
        import numpy as np
        import pypdfium2 as pdfium

        artifacts = Path(__file__).parents[1] / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        inked = []
        document = pdfium.PdfDocument(data)
        for i, page in enumerate(document):
            image = page.render(scale=1.4).to_pil()
            image.save(artifacts / f"{name}-p{i + 1}.png")
            pixels = np.asarray(image.convert("L"))
            inked.append(float((pixels < 200).mean()))
        document.close()
        return inked
    return render
