"""Lexical relevance: how much of a query's rare words a document contains.

MiniLM embeddings miss acronyms and product jargon that partners type ("CSPM
course", "S&OP", "SRE error budgets"): they are rare tokens the model barely knows.
A BM25-style term score catches them. It is normalised by the query's own weight,
so the result (0..1) reads as "share of the query's information found here" and
can be added to a cosine without one query's long words outweighing another's.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

TOKEN = re.compile(r"[a-z0-9][a-z0-9&+/-]*")
STOP_WORDS = frozenset(
    {
        "a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "is", "are", "be", "been",
        "do", "does", "did", "i", "we", "you", "our", "my", "your", "what", "which", "how",
        "who", "whose", "when", "where", "why", "it", "its", "this", "that", "these", "those",
        "with", "by", "at", "as", "from", "can", "could", "should", "would", "will", "there",
        "their", "them", "they", "me", "us", "about", "any", "get", "need",
    }
)  # fmt: skip
K1 = 1.2  # term-frequency saturation
B = 0.75  # length normalisation


def tokens(text: str) -> list[str]:
    """Lower-case word tokens without stop words."""
    return [word for word in TOKEN.findall(text.lower()) if word not in STOP_WORDS]


class LexicalIndex:
    """An in-memory inverted index over a few hundred documents.

    Args:
        texts: One text per document, in index order.

    """

    def __init__(self, texts: Sequence[str]) -> None:
        counts = [Counter(tokens(text)) for text in texts]
        self._size = len(texts)
        lengths = [sum(count.values()) for count in counts]
        average = (sum(lengths) / len(lengths)) if lengths else 1.0
        frequency = Counter(term for count in counts for term in count)
        self._idf = {
            term: math.log(1 + (self._size - n + 0.5) / (n + 0.5)) for term, n in frequency.items()
        }
        # A word no document has is as informative as the rarest one.
        self._unknown_idf = math.log(1 + (self._size + 0.5) / 0.5)
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for row, (count, length) in enumerate(zip(counts, lengths, strict=True)):
            norm = K1 * (1 - B + B * length / average)
            for term, tf in count.items():
                saturation = tf * (K1 + 1) / (tf + norm) / (K1 + 1)  # 0..1
                self._postings[term].append((row, self._idf[term] * saturation))

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """Score every document for ``query``: 0 (no query word) to 1 (all, often)."""
        result = np.zeros(self._size, dtype=np.float32)
        terms = set(tokens(query))
        if not terms:
            return result
        total = sum(self._idf.get(term, self._unknown_idf) for term in terms)
        for term in terms:
            for row, weight in self._postings.get(term, ()):
                result[row] += weight
        return result / total
