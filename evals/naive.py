"""The `naive` baseline: what a typical tutorial builds. LangChain's
RecursiveCharacterTextSplitter (1000/200 characters) over the same documents,
embedded with the same model into its own Chroma collection, dense search only.

Each chunk is mapped back to the canonical labels of the structured passages it
overlaps (largest overlap first), so its hits are scored on the same labels.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from assistant.config import Settings
from assistant.conversation import Assistant
from assistant.conversation.pipeline import load_concordance
from assistant.index.store import PassageStore
from assistant.retrieval.hybrid import Filters, RetrievalResult
from assistant.types import Passage, ScoredPassage


def naive_chunks(store: PassageStore, size: int = 1000, overlap: int = 200) -> list[tuple[Passage, list[str]]]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap, add_start_index=True)
    by_doc: dict[str, list[Passage]] = defaultdict(list)
    for p in store.passages:
        by_doc[p.doc_id].append(p)
    out = []
    for doc_id, passages in by_doc.items():
        text, spans = "", []
        for p in passages:
            start = len(text) + (2 if text else 0)
            text = f"{text}\n\n{p.text}" if text else p.text
            spans.append((start, start + len(p.text), p.label))
        for i, chunk in enumerate(splitter.create_documents([text])):
            a = chunk.metadata["start_index"]
            b = a + len(chunk.page_content)
            overlaps: dict[str, int] = defaultdict(int)
            for s, e, label in spans:
                if min(b, e) > max(a, s):
                    overlaps[label] += min(b, e) - max(a, s)
            labels = sorted(overlaps, key=lambda l: -overlaps[l])
            first = passages[0]
            out.append((
                Passage(id=f"naive:{doc_id}#{i}", doc_id=doc_id, label=labels[0] if labels else doc_id,
                        text=chunk.page_content, kind=first.kind, title=first.title, law_version=first.law_version),
                labels,
            ))
    return out


class NaiveRetriever:
    def __init__(self, settings: Settings, product):
        import chromadb

        from assistant.index.embeddings import shared_embedder

        self.keyword = product.keyword  # only for the answerer's term weights
        self.product = product  # paragraphs by label and the concordance (comparisons are not retrieval)
        self.store = PassageStore([])
        self.embedder = shared_embedder(settings.embedding_model)
        chunks = naive_chunks(product.store)
        self.labels = {p.id: labels for p, labels in chunks}
        digest = hashlib.sha1("".join(p.text for p, _ in chunks).encode()).hexdigest()[:12]
        client = chromadb.PersistentClient(path=str(settings.index_dir / "naive-chroma"))
        name = f"naive-{digest}"
        collection = client.get_or_create_collection(name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
        if collection.count() != len(chunks):
            vectors = self.embedder.embed_passages([p.text for p, _ in chunks])
            for i in range(0, len(chunks), 256):
                part = chunks[i:i + 256]
                collection.upsert(ids=[p.id for p, _ in part], embeddings=vectors[i:i + 256],
                                  documents=[p.text for p, _ in part])
        self.collection = collection
        self.store = PassageStore([p for p, _ in chunks])

    def search(self, question: str, k: int = 8, filters: Filters | None = None, date: str | None = None) -> RetrievalResult:
        vector = self.embedder.embed_query(question)
        result = self.collection.query(query_embeddings=[vector], n_results=k, include=["distances"])
        hits = [ScoredPassage(self.store.get(pid), 1 - d, {"dense": i + 1})
                for i, (pid, d) in enumerate(zip(result["ids"][0], result["distances"][0]))]
        return RetrievalResult(hits)

    def lookup(self, label: str, date: str | None = None):
        return self.product.lookup(label, date)

    def retrieved_labels(self, result: RetrievalResult) -> list[str]:
        labels: list[str] = []
        for sp in result.passages:
            for label in self.labels.get(sp.passage.id, [sp.passage.label]):
                if label not in labels:
                    labels.append(label)
        return labels


class NaiveAssistant(Assistant):
    """The pipeline over the naive retriever. Its chunks are not paragraphs, so
    comparisons and change summaries use the concordance of the product index
    the chunks were cut from (they are routing, not retrieval)."""

    @property
    def concordance(self):
        return load_concordance(self.retriever.product)
