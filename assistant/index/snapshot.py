"""The index's vectors as one numpy file, written by ingest beside Chroma.

Chroma is the vector store of record. Questions are answered from this
snapshot instead: an exact search over a few thousand vectors in numpy takes
well under a millisecond, and `assistant ask` need not import chromadb
(~0.8 s) or read every vector out of it (~0.5 s) before it can answer. The
snapshot is used only while it holds exactly the passages of the passage
store, for the configured model; otherwise the retriever reads Chroma.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def snapshot_path(index_dir: Path, model_name: str) -> Path:
    from assistant.index.embeddings import model_slug

    return Path(index_dir) / "vectors" / f"{model_slug(model_name)}.npz"


def save(store, index_dir: Path) -> Path:
    """Write the vectors of a VectorStore (both collections) to the snapshot file."""
    path = snapshot_path(index_dir, store.model_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    vectors = store.snapshot()
    meta = [[m["passage_id"], m["start"], m["end"]] for m in vectors.sentence_meta]
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(
        tmp, passage_ids=np.array(vectors.passage_ids, dtype=object), passage_vectors=vectors.passage_vectors,
        sentence_meta=np.array(json.dumps(meta), dtype=object),
        sentence_vectors=vectors.sentence_vectors_matrix, model=np.array(store.model_name, dtype=object),
    )
    tmp.replace(path)
    return path


def _limit_blas_threads() -> None:
    """One BLAS thread (see assistant/__init__.py), also when numpy was imported
    before the assistant package set OPENBLAS_NUM_THREADS."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1, user_api="blas")


class VectorSnapshot:
    """Exact search over the passage and sentence vectors, in memory: from the
    snapshot file (`load`) or from Chroma (`VectorStore.snapshot`)."""

    def __init__(self, passage_ids: list[str], passage_vectors: np.ndarray, sentence_meta: list,
                 sentence_vectors: np.ndarray, embedder):
        _limit_blas_threads()
        self.passage_ids = passage_ids
        self.passage_vectors = passage_vectors
        self.sentence_meta = [{"passage_id": p, "start": a, "end": b} for p, a, b in sentence_meta]
        self.sentence_passages = [m["passage_id"] for m in self.sentence_meta]
        self.sentence_vectors_matrix = sentence_vectors
        self.embedder = embedder
        self._row = {pid: i for i, pid in enumerate(passage_ids)}
        self._by_passage: dict[str, list[tuple[int, int, np.ndarray]]] = {}
        for m, v in zip(self.sentence_meta, sentence_vectors):
            self._by_passage.setdefault(m["passage_id"], []).append((m["start"], m["end"], v))

    @classmethod
    def load(cls, index_dir: Path, model_name: str, passage_ids: set[str], embedder) -> VectorSnapshot | None:
        """The snapshot, or None when it is missing, of another model, or stale."""
        path = snapshot_path(index_dir, model_name)
        try:
            data = np.load(path, allow_pickle=True)
            from assistant.index.embeddings import canonical_model

            if str(data["model"]) != canonical_model(model_name):
                return None
            ids = [str(x) for x in data["passage_ids"]]
            if set(ids) != passage_ids:
                return None
            return cls(ids, data["passage_vectors"], json.loads(str(data["sentence_meta"])),
                       data["sentence_vectors"], embedder)
        except (OSError, KeyError, ValueError):
            return None

    @staticmethod
    def _top(vectors, keys, vector, k: int, allowed) -> tuple[list[int], np.ndarray]:
        if not len(keys):
            return [], np.zeros(0)
        sims = vectors @ np.asarray(vector, dtype=np.float32)
        if allowed is not None:
            sims = np.where([key in allowed for key in keys], sims, -np.inf)
        order = np.argsort(-sims)[:k]
        return [int(i) for i in order if np.isfinite(sims[i])], sims

    def query_vector(self, vector, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        order, sims = self._top(self.passage_vectors, self.passage_ids, vector, k, allowed)
        return [(self.passage_ids[i], float(sims[i])) for i in order]

    def similarity(self, passage_id: str, vector) -> float:
        """Cosine of one passage's vector with a (normalised) vector."""
        return float(self.passage_vectors[self._row[passage_id]] @ np.asarray(vector, dtype=np.float32))

    def query_sentences(self, vector, k: int, allowed: set[str] | None = None) -> list[tuple[str, dict, float]]:
        order, sims = self._top(self.sentence_vectors_matrix, self.sentence_passages, vector, k, allowed)
        return [(f"{self.sentence_passages[i]}@{self.sentence_meta[i]['start']}", self.sentence_meta[i], float(sims[i]))
                for i in order]

    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
        return {pid: self._by_passage[pid] for pid in passage_ids if pid in self._by_passage}
