from __future__ import annotations

from collections.abc import Iterator

import pytest

from knowledge.embedder import OnnxEmbedder, onnx_embedder
from knowledge.onnx_export import export
from tests.knowledge.building import ensure_index


@pytest.fixture(scope="session")
def real_index() -> None:
    """The real catalogue index under var/index, current."""
    ensure_index()


@pytest.fixture(scope="session")
def int8_embedder() -> Iterator[OnnxEmbedder]:
    export()  # no-op when var/onnx is current
    yield onnx_embedder(quantized=True, threads=1)


@pytest.fixture(scope="session")
def fp32_embedder() -> Iterator[OnnxEmbedder]:
    export()
    yield onnx_embedder(quantized=False, threads=1)
