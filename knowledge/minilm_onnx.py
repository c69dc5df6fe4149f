"""Open the exported all-MiniLM-L6-v2 model: one loader for the app and the Rasa server.

The knowledge build exports the sentence encoder to ONNX with its ``tokenizer.json``
(``knowledge.onnx_export``). Two places run it: the app's query embedder
(``knowledge.embedder``) and the Rasa NLU featurizer
(``rasa_addons/components/minilm_featurizer.py``, in the Rasa server's Python 3.10 environment).
Both open it here, the same way: ONNX Runtime on the CPU, sequential, with as many
intra-op threads as asked (one on every query path: each server answers one message at
a time per thread and shares the machine), and the fast tokenizer without padding,
truncating at ``max_length`` word pieces.

So this module imports no Rasa and nothing of the app, and imports onnxruntime and
tokenizers (present in both environments) only when a model is opened.

It also holds the one format in which a sentence embedding travels from the Rasa
server to the app: the featurizer stores the message's vector in the parse data
(``EMBEDDING_PROPERTY``, packed by ``pack_vector``), and the knowledge action searches
with it (``unpack_vector``) instead of embedding the same text again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

# The parse-data key of a message's sentence embedding (Rasa keeps it with the message).
EMBEDDING_PROPERTY = "text_embedding"
# Characters of a SHA-256 that name a model and runtime: enough to tell them apart.
MODEL_ID_LENGTH = 16


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


def runtime_sha256(model_sha256: str) -> str:
    """Hash the ONNX file's hash together with the onnxruntime version that runs it.

    Two processes compute bit-identical vectors only with the same file and the same
    onnxruntime version: on the int8 model, onnxruntime 1.23 and 1.32 differ by up to
    0.02 in a component, enough to reorder close search results. Stored vectors (the
    index, a catalogue release) are named by this hash, so a new runtime re-embeds.
    """
    import onnxruntime

    runtime = f"{model_sha256} onnxruntime {onnxruntime.__version__}"
    return hashlib.sha256(runtime.encode()).hexdigest()


def vectors_id(model_sha256: str) -> str:
    """Name, in a few characters, the vectors this process computes with that ONNX file.

    The NLU's vectors travel in each message's parse data with this name, and the
    search reuses one only where it would have computed the same (``runtime_sha256``).
    """
    return runtime_sha256(model_sha256)[:MODEL_ID_LENGTH]


def pack_vector(vector: npt.NDArray[np.float32], vectors: str) -> dict[str, str]:
    """Pack a sentence embedding for a message's parse data: compact, JSON-safe.

    The values go as base64 of float32 (2 KB for 384 dimensions; a JSON list of
    floats is about 8 KB): the tracker carries every message's parse data to each
    action call. Not float16, though half the size: its rounding (scores move by up
    to 6e-5) reorders near-ties among the questions of tests/knowledge/, and the
    search must rank exactly as if it had embedded the text itself.

    Args:
        vector: The embedding, shape ``[dim]`` or ``[1, dim]``.
        vectors: ``vectors_id`` of the model and runtime that computed it.

    """
    raw = np.asarray(vector, dtype="<f4").reshape(-1).tobytes()
    return {"model": vectors, "float32": base64.b64encode(raw).decode()}


def unpack_vector(packed: Any, vectors: str, dimension: int) -> npt.NDArray[np.float32] | None:
    """Return a packed embedding as a ``[1, dimension]`` float32 array, or None.

    None when ``packed`` is missing or malformed, or was not computed as the caller
    would compute it (``vectors``, its ``vectors_id``: another export, as in a Rasa
    model trained before the last build, or another onnxruntime version): the
    caller embeds the text itself then.
    """
    if not isinstance(packed, Mapping) or packed.get("model") != vectors:
        return None
    encoded = packed.get("float32")
    if not isinstance(encoded, str):
        return None
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 4 * dimension:
        return None
    return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(1, dimension)
