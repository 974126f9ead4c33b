"""Chroma: embedded PersistentClient in the data directory by default, a Chroma
server over HTTP when `chroma_url` is set. Vectors come from our own
sentence-transformers EmbeddingFunction, never Chroma's downloading default."""

from __future__ import annotations

from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api.types import EmbeddingFunction
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.config import DEFAULT_EMBEDDING_MODEL, Settings
from assistant.index.embeddings import Embedder, canonical_model, model_slug, query_encoder_dir, shared_embedder
from assistant.types import Passage


@register_embedding_function
class AssistantEmbeddingFunction(EmbeddingFunction):
    """The configured embedding model (any backend) as a Chroma EmbeddingFunction."""

    def __init__(self, model_name: str = DEFAULT_EMBEDDING_MODEL, query_encoder_dir=None):
        self.model_name = model_name
        self.embedder: Embedder = shared_embedder(model_name, query_encoder_dir)

    def __call__(self, input):
        return self.embedder.embed_passages(list(input))

    def embed_query(self, input):
        return [self.embedder.embed_query(t) for t in input]

    @staticmethod
    def name() -> str:
        return "socialtjanst-assistant-sentence-transformer"

    def get_config(self) -> dict:
        return {"model_name": self.model_name}

    @staticmethod
    def build_from_config(config: dict) -> AssistantEmbeddingFunction:
        return AssistantEmbeddingFunction(config.get("model_name", DEFAULT_EMBEDDING_MODEL))

    def default_space(self):
        return "cosine"


class VectorStoreError(RuntimeError):
    pass


def collection_name(model_name: str, what: str = "passages") -> str:
    """One Chroma collection per model (and per kind: passages, sentences)."""
    return f"{what}-{model_slug(model_name)}"[:60]


def make_client(settings: Settings):
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "//" in settings.chroma_url else "http://" + settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
            )
        except Exception as exc:
            raise VectorStoreError(f"Chroma-servern {settings.chroma_url} svarar inte: {exc}") from exc
    path = settings.index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path))


class VectorStore:
    """Two collections per model: passages (with their context) and the
    sentences of every passage (for choosing quotes by meaning)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.client = make_client(settings)
        self.model_name = canonical_model(settings.embedding_model)
        self.function = AssistantEmbeddingFunction(
            self.model_name, query_encoder_dir(settings.index_dir, self.model_name)
        )
        self.collection = self._collection("passages")
        self.sentences = self._collection("sentences")
        self._snapshot = None

    def _collection(self, what: str):
        return self.client.get_or_create_collection(
            collection_name(self.model_name, what),
            embedding_function=self.function,
            configuration={"hnsw": {"space": "cosine"}},
        )

    @property
    def embedder(self) -> Embedder:
        return self.function.embedder

    def count(self) -> int:
        return self.collection.count()

    def delete_documents(self, doc_ids: list[str]) -> None:
        self._changed()
        for doc_id in doc_ids:
            self.collection.delete(where={"doc_id": doc_id})
            self.sentences.delete(where={"doc_id": doc_id})

    def _changed(self) -> None:
        self._snapshot = None

    def add(self, passages: list[Passage], embeddings, batch: int = 256) -> None:
        self._changed()
        for i in range(0, len(passages), batch):
            chunk = passages[i : i + batch]
            self.collection.upsert(
                ids=[p.id for p in chunk],
                embeddings=[list(map(float, v)) for v in embeddings[i : i + batch]],
                documents=[p.text for p in chunk],
                metadatas=[p.metadata() for p in chunk],
            )

    def add_sentences(self, rows: list[tuple[Passage, int, int]], embeddings, batch: int = 512) -> None:
        """rows: (passage, start, end) of each sentence, offsets into passage.text."""
        self._changed()
        for i in range(0, len(rows), batch):
            chunk = rows[i : i + batch]
            self.sentences.upsert(
                ids=[f"{p.id}@{a}" for p, a, _ in chunk],
                embeddings=[list(map(float, v)) for v in embeddings[i : i + batch]],
                metadatas=[{"passage_id": p.id, "doc_id": p.doc_id, "start": a, "end": b} for p, a, b in chunk],
            )

    def query(self, text: str, k: int) -> list[tuple[str, float]]:
        """-> [(passage id, cosine similarity)], best first."""
        return self.query_vector(self.embedder.embed_query_array(text), k)

    def snapshot(self):
        """Every vector of both collections in memory (a few MB), searched
        exactly with numpy (see assistant.index.snapshot); read from Chroma once
        and again after the store changes."""
        from assistant.index.snapshot import VectorSnapshot

        if self._snapshot is None:
            passages = self.collection.get(include=["embeddings"])
            sentences = self.sentences.get(include=["embeddings", "metadatas"])
            self._snapshot = VectorSnapshot(
                list(passages["ids"]), _matrix(passages),
                [(m["passage_id"], int(m["start"]), int(m["end"])) for m in sentences["metadatas"]],
                _matrix(sentences), self.embedder,
            )
        return self._snapshot

    def query_vector(self, vector, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """-> [(passage id, cosine similarity)], best first; only `allowed` ids if given."""
        return self.snapshot().query_vector(vector, k, allowed)

    def similarity(self, passage_id: str, vector) -> float:
        return self.snapshot().similarity(passage_id, vector)

    def query_sentences(self, vector, k: int, allowed: set[str] | None = None) -> list[tuple[str, dict, float]]:
        """-> [(sentence id, metadata with passage_id/start/end, cosine)], best first."""
        return self.snapshot().query_sentences(vector, k, allowed)

    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
        """The stored sentence vectors of some passages: id -> [(start, end, vector)]."""
        return self.snapshot().sentence_vectors(passage_ids)

    def ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    def sentence_passage_ids(self) -> set[str]:
        return {m["passage_id"] for m in self.sentences.get(include=["metadatas"])["metadatas"]}


def _matrix(got: dict) -> np.ndarray:
    return np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
