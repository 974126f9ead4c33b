"""A fast query encoder: the embedding model exported to ONNX at ingest time.

Importing sentence-transformers (and torch) costs ~4 s on this class of machine;
onnxruntime + tokenizers cost ~0.1 s. Ingest exports the model's transformer
once, checks that it gives the same vectors as sentence-transformers, and
`assistant ask` embeds its question with it. Models whose pooling is not mean
pooling, or whose export fails, simply keep using sentence-transformers.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np

META = "meta.json"


def export(model, model_name: str, directory: Path, check_texts: list[str]) -> str:
    """Export a loaded SentenceTransformer to `directory`; "" when done, else why not."""
    import torch

    pooling = model[1] if len(model) > 1 else None
    if pooling is None or "mean" not in str(getattr(pooling, "pooling_mode", "")) and not getattr(
        pooling, "pooling_mode_mean_tokens", False
    ):
        return "the model does not use mean pooling"
    tokenizer = model.tokenizer
    sample = tokenizer(["exempel", "ett längre exempel på text"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Wrapped(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs))).last_hidden_state

    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        axes = {n: {0: "batch", 1: "seq"} for n in names} | {"last_hidden_state": {0: "batch", 1: "seq"}}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer chatter; parity is checked below
            torch.onnx.export(
                Wrapped(model[0].auto_model).eval(), tuple(sample[n] for n in names), str(tmp / "model.onnx"),
                input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes,
                opset_version=17, dynamo=False,
            )
        tokenizer.save_pretrained(str(tmp))
        if not (tmp / "tokenizer.json").exists():
            raise RuntimeError("no fast tokenizer (tokenizer.json)")
        normalize = any(type(m).__name__ == "Normalize" for m in model)
        meta = {"model_name": model_name, "inputs": names, "max_length": int(model.max_seq_length), "normalize": normalize}
        (tmp / META).write_text(json.dumps(meta))
        encoder = OnnxQueryEncoder(tmp)
        reference = model.encode(check_texts, normalize_embeddings=True)
        for text, ref in zip(check_texts, reference):
            if float(np.dot(encoder.embed(text), ref)) < 0.999:
                raise RuntimeError("ONNX vectors differ from sentence-transformers")
    except Exception as exc:  # any failure: keep using sentence-transformers
        shutil.rmtree(tmp, ignore_errors=True)
        return f"{exc.__class__.__name__}: {exc}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(directory)
    return ""


class OnnxQueryEncoder:
    def __init__(self, directory: Path):
        import onnxruntime
        import tokenizers

        self.meta = json.loads((directory / META).read_text())
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = onnxruntime.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = tokenizers.Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.meta["max_length"])

    @classmethod
    def load(cls, directory: Path, model_name: str) -> OnnxQueryEncoder | None:
        try:
            meta = json.loads((directory / META).read_text())
            if meta.get("model_name") != model_name:
                return None
            return cls(directory)
        except Exception:
            return None

    def embed(self, text: str) -> np.ndarray:
        enc = self.tokenizer.encode(text)
        feeds = {
            "input_ids": np.array([enc.ids], dtype=np.int64),
            "attention_mask": np.array([enc.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
        }
        hidden = self.session.run(None, {n: feeds[n] for n in self.meta["inputs"]})[0]
        mask = feeds["attention_mask"][..., None]
        vector = (hidden * mask).sum(1)[0] / max(mask.sum(), 1)
        return vector / (np.linalg.norm(vector) or 1.0)
