"""Sentence embeddings from the exported all-MiniLM-L6-v2 ONNX model.

The query path runs the int8 model with onnxruntime on one thread and tokenizes with
the ``tokenizers`` fast tokenizer, both opened by ``knowledge.minilm_onnx`` (as the
Rasa featurizer opens them); no torch is imported. ``SentenceTransformerEmbedder``
(the unquantized PyTorch model) exists only as the reference the benchmark compares
against.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from knowledge import minilm_onnx, onnx_export

Vectors = npt.NDArray[np.float32]


def default_onnx_dir() -> Path:
    """Return where the ONNX export lives (``PA_ONNX_DIR`` or ``var/onnx``)."""
    configured = os.environ.get("PA_ONNX_DIR")
    return Path(configured) if configured else onnx_export.DEFAULT_ONNX_DIR


class ModelMissingError(RuntimeError):
    """The ONNX export the embedder needs is not there."""


class Embedder(Protocol):
    """Turns texts into L2-normalised 384-dimensional vectors."""

    name: str
    model_sha256: str

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed texts; returns a ``float32`` array of shape ``[len(texts), 384]``."""
        ...


class OnnxEmbedder:
    """all-MiniLM-L6-v2 as an ONNX graph (tokenize, encode, pool, normalise).

    Args:
        model_path: An ONNX file exported by ``knowledge.onnx_export``.
        tokenizer_path: Its ``tokenizer.json`` (no padding, truncation at 256).
        threads: onnxruntime intra-op threads; 1 on the query path.

    """

    def __init__(self, model_path: Path, tokenizer_path: Path, threads: int = 1) -> None:
        if not model_path.is_file() or not tokenizer_path.is_file():
            raise ModelMissingError(f"no ONNX model at {model_path}; run python -m knowledge.build")
        self._session = minilm_onnx.open_session(model_path, threads)
        self._tokenizer: Any = minilm_onnx.open_tokenizer(tokenizer_path, onnx_export.MAX_TOKENS)
        self.name = f"{onnx_export.MODEL_NAME} ({model_path.name})"
        file_sha256 = minilm_onnx.files_sha256(model_path)
        # Stored vectors are named by the file and the runtime (minilm_onnx.runtime_sha256).
        self.model_sha256 = minilm_onnx.runtime_sha256(file_sha256)
        self.vectors_id = minilm_onnx.vectors_id(file_sha256)

    def embed_one(self, text: str) -> Vectors:
        """Embed one text without padding (the fast query path); shape ``[1, 384]``."""
        encoding = self._tokenizer.encode(text)
        input_ids = np.asarray([encoding.ids], dtype=np.int64)
        attention_mask = np.asarray([encoding.attention_mask], dtype=np.int64)
        return self._run(input_ids, attention_mask)

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> Vectors:
        """Embed many texts, batching texts of similar length together."""
        if not texts:
            return np.zeros((0, onnx_export.DIMENSION), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        # Sorting by length keeps padding (wasted work) small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        result = np.zeros((len(texts), onnx_export.DIMENSION), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in chunk)
            input_ids = np.zeros((len(chunk), width), dtype=np.int64)
            attention_mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids = encodings[i].ids
                input_ids[row, : len(ids)] = ids
                attention_mask[row, : len(ids)] = 1
            result[chunk] = self._run(input_ids, attention_mask)
        return result

    def _run(
        self, input_ids: npt.NDArray[np.int64], attention_mask: npt.NDArray[np.int64]
    ) -> Vectors:
        outputs = self._session.run(
            [onnx_export.OUTPUT_NAME],
            {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "token_type_ids": np.zeros_like(input_ids),
            },
        )
        return np.ascontiguousarray(outputs[0], dtype=np.float32)


class SentenceTransformerEmbedder:
    """The unquantized PyTorch model through sentence-transformers (reference only)."""

    def __init__(self, threads: int = 1) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        model_dir = onnx_export.source_model_dir()
        self._model = SentenceTransformer(str(model_dir), device="cpu")
        self.name = f"{onnx_export.MODEL_NAME} (sentence-transformers, torch fp32)"
        self.model_sha256 = minilm_onnx.files_sha256(model_dir / "model.safetensors")

    def embed_one(self, text: str) -> Vectors:
        """Embed one text; shape ``[1, 384]``."""
        return self.embed([text])

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> Vectors:
        """Embed many texts."""
        vectors = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)


def onnx_embedder(
    onnx_dir: Path | None = None, quantized: bool = True, threads: int = 1
) -> OnnxEmbedder:
    """Open the exported model (int8 unless ``quantized`` is False)."""
    directory = onnx_dir or default_onnx_dir()
    model_file = onnx_export.INT8_FILE if quantized else onnx_export.FP32_FILE
    return OnnxEmbedder(directory / model_file, directory / onnx_export.TOKENIZER_FILE, threads)


@cache
def query_embedder() -> OnnxEmbedder:
    """Return the process-wide single-threaded int8 embedder, opened on first use."""
    return onnx_embedder(threads=1)
