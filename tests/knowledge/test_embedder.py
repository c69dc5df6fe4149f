"""The exported MiniLM model: shape, normalisation, int8 fidelity, padding."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge import onnx_export
from knowledge.embedder import ModelMissingError, OnnxEmbedder
from knowledge.onnx_export import DEFAULT_ONNX_DIR

SENTENCES = [
    "What does the Security competency require?",
    "hi",
    "Platinum partners get a lab advocate, a deep solution expert inside the development lab.",
    "how long is it",
    "Which courses count toward Kubernetes and how many hours are they?",
]


def test_embeddings_are_unit_vectors_of_dimension_384(int8_embedder: OnnxEmbedder) -> None:
    vectors = int8_embedder.embed(SENTENCES)
    assert vectors.shape == (len(SENTENCES), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_int8_model_stays_close_to_fp32(
    int8_embedder: OnnxEmbedder, fp32_embedder: OnnxEmbedder
) -> None:
    cosines = (int8_embedder.embed(SENTENCES) * fp32_embedder.embed(SENTENCES)).sum(axis=1)
    assert cosines.min() > 0.97, cosines


def test_padding_in_a_batch_does_not_change_an_embedding(fp32_embedder: OnnxEmbedder) -> None:
    batch = fp32_embedder.embed(SENTENCES)
    one_by_one = np.vstack([fp32_embedder.embed_one(text) for text in SENTENCES])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-5)


def test_paraphrase_is_closer_than_an_unrelated_sentence(int8_embedder: OnnxEmbedder) -> None:
    question, paraphrase, unrelated = int8_embedder.embed(
        [
            "what do I need for the security competency",
            "requirements to earn the Security Operations competency",
            "how do I bake sourdough bread",
        ]
    )
    assert question @ paraphrase > question @ unrelated + 0.3


def test_export_is_documented_for_other_runtimes(int8_embedder: OnnxEmbedder) -> None:
    manifest = json.loads((DEFAULT_ONNX_DIR / onnx_export.EXPORT_MANIFEST).read_text())
    assert manifest["inputs"] == ["input_ids", "attention_mask", "token_type_ids"]
    assert manifest["output"] == "sentence_embedding"
    assert manifest["dimension"] == 384
    assert onnx_export.is_current()


def test_missing_model_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="python -m knowledge.build"):
        OnnxEmbedder(tmp_path / "model-int8.onnx", tmp_path / "tokenizer.json")
