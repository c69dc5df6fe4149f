"""Open the exported all-MiniLM-L6-v2 model: one loader for the app and the Rasa server.

The knowledge build exports the sentence encoder to ONNX with its ``tokenizer.json``
(``knowledge.onnx_export``). Two places run it: the app's query embedder
(``knowledge.embedder``) and the Rasa NLU featurizer
(``rasa_addons/minilm_featurizer.py``, in the Rasa server's Python 3.10 environment).
Both open it here, the same way: ONNX Runtime on the CPU, sequential, with as many
intra-op threads as asked (one on every query path: each server answers one message at
a time per thread and shares the machine), and the fast tokenizer without padding,
truncating at ``max_length`` word pieces.

So this module imports no Rasa and nothing of the app, and imports onnxruntime and
tokenizers (present in both environments) only when a model is opened.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


def open_session(model_path: Path, threads: int = 1) -> Any:
    """Return an ONNX Runtime inference session on ``model_path`` (CPU, sequential)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    return onnxruntime.InferenceSession(
        str(model_path), options, providers=["CPUExecutionProvider"]
    )


def open_tokenizer(tokenizer_path: Path, max_length: int) -> Any:
    """Return the fast tokenizer of ``tokenizer_path``: no padding, ``max_length`` pieces."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def files_sha256(*paths: Path) -> str:
    """Return the hex SHA-256 of the files' bytes, one after the other."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
