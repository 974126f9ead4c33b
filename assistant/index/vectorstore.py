"""Chroma: embedded PersistentClient in the data directory by default, a Chroma
server over HTTP when `chroma_url` is set. Vectors come from our own
sentence-transformers EmbeddingFunction, never Chroma's downloading default."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import chromadb
from chromadb.api.types import EmbeddingFunction
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.config import BUNDLED_MODEL, Settings
from assistant.index.embeddings import Embedder, shared_embedder
from assistant.types import Passage


@register_embedding_function
class AssistantEmbeddingFunction(EmbeddingFunction):
    """The configured sentence-transformers model as a Chroma EmbeddingFunction."""

    def __init__(self, model_name: str = BUNDLED_MODEL, query_encoder_dir=None):
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
    def build_from_config(config: dict) -> "AssistantEmbeddingFunction":
        return AssistantEmbeddingFunction(config.get("model_name", BUNDLED_MODEL))

    def default_space(self):
        return "cosine"


class VectorStoreError(RuntimeError):
    pass


def collection_name(model_name: str) -> str:
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", model_name.removeprefix("bundled:")).strip("-").lower()
    return f"passages-{slug}"[:60]


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
    def __init__(self, settings: Settings):
        self.settings = settings
        self.client = make_client(settings)
        self.function = AssistantEmbeddingFunction(
            settings.embedding_model, settings.index_dir / "query-encoder" / collection_name(settings.embedding_model)
        )
        self.collection = self.client.get_or_create_collection(
            collection_name(settings.embedding_model),
            embedding_function=self.function,
            configuration={"hnsw": {"space": "cosine"}},
        )

    @property
    def embedder(self) -> Embedder:
        return self.function.embedder

    def count(self) -> int:
        return self.collection.count()

    def delete_documents(self, doc_ids: list[str]) -> None:
        for doc_id in doc_ids:
            self.collection.delete(where={"doc_id": doc_id})

    def add(self, passages: list[Passage], embeddings: list[list[float]], batch: int = 256) -> None:
        for i in range(0, len(passages), batch):
            chunk = passages[i : i + batch]
            self.collection.upsert(
                ids=[p.id for p in chunk],
                embeddings=embeddings[i : i + batch],
                documents=[p.text for p in chunk],
                metadatas=[p.metadata() for p in chunk],
            )

    def query(self, text: str, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """-> [(passage id, cosine similarity)], best first."""
        if self.collection.count() == 0:
            return []
        vector = self.embedder.embed_query(text)
        result = self.collection.query(
            query_embeddings=[vector], n_results=k, where=where or None, include=["distances"]
        )
        return [(pid, 1.0 - dist) for pid, dist in zip(result["ids"][0], result["distances"][0])]

    def ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])
