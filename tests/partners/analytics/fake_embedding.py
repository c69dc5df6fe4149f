"""A stand-in for the MiniLM sentence embedding: fast, deterministic, same shape."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def fake_embed(texts: Sequence[str]) -> np.ndarray:
    """Deterministic unit vectors: texts with the same first word share a direction."""
    rows = []
    for text in texts:
        word = (text.lower().split() or [""])[0]
        seed = int(hashlib.sha256(word.encode()).hexdigest()[:8], 16)
        vector = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
        rows.append(vector / np.linalg.norm(vector))
    return np.stack(rows)
