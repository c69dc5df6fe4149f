"""Search over the catalogue: the one search used by actions and the API.

Relevance is semantic (MiniLM cosine over the faiss index) plus a lexical bonus
for the query's rare words (``knowledge.lexical``), which embeddings miss.

The engine belongs to the live release (``knowledge.live``): the shipped index and
the int8 model load once per process, on first use (or in the app's lifespan through
``warm_up()``), and refuse to load when the index is stale; a newer catalogue
release brings its own index, built from stored vectors, with the same model.
Everything runs on one thread: a query costs a few milliseconds on one core and
the app serves many requests side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge import live, onnx_export
from knowledge.embedder import OnnxEmbedder, Vectors, query_embedder
from knowledge.index import (
    VectorIndex,
    default_index_dir,
    embedding_text,
    load_index,
    source_sha256,
)
from knowledge.lexical import LexicalIndex
from knowledge.minilm_onnx import unpack_vector
from knowledge.models import Document

# Weight of lexical coverage next to the cosine. Chosen on the retrieval question
# set (scripts/bench_knowledge.py): 0 gave recall@3 0.944, 0.3 gives 0.970.
LEXICAL_WEIGHT = 0.3


@dataclass(frozen=True)
class Hit:
    """One search result.

    ``score`` is the relevance: the cosine similarity of query and document plus
    ``LEXICAL_WEIGHT`` times the share of the query's rare words the document
    contains (so about -1..1.3; typical good matches score 0.5 and up).
    """

    doc_id: str
    kind: str
    title: str
    text: str
    score: float
    area: str | None = None
    level: str | None = None


def _matches(value: str | None, wanted: str | None) -> bool:
    return wanted is None or (value is not None and value.casefold() == wanted.casefold())


class SearchEngine:
    """A loaded index plus the model that embeds queries for it.

    Args:
        embedder: The model the index was built with.
        index: The loaded (and checked) index.

    """

    def __init__(self, embedder: OnnxEmbedder, index: VectorIndex) -> None:
        self._embedder = embedder
        self._index = index
        self.documents: list[Document] = [entry.document for entry in index.documents]
        self._by_id = {document.id: document for document in self.documents}
        self._rows = {document.id: row for row, document in enumerate(self.documents)}
        self._lexical = LexicalIndex([embedding_text(document) for document in self.documents])

    def get(self, doc_id: str) -> Document | None:
        """Return the indexed document with this id, if any."""
        return self._by_id.get(doc_id)

    def search(
        self,
        query: str,
        k: int = 5,
        kind: str | None = None,
        area: str | None = None,
        level: str | None = None,
        boosts: Mapping[str, float] | None = None,
        vector: Vectors | None = None,
    ) -> list[Hit]:
        """Return up to ``k`` documents most relevant to ``query``, best first.

        Every document is scored (exact: a few thousand documents cost a few
        milliseconds), then filters apply, so a filter never loses a match to the
        cut. Filters compare case-insensitively.

        Args:
            query: The text to match.
            k: How many hits at most.
            kind: Only documents of this kind (competency, course, rule, fact).
            area: Only documents of this solution area.
            level: Only courses of this level.
            boosts: Added to the score of these document ids before ranking.
            vector: ``query``'s embedding by this engine's model, when the caller
                has it already (Rasa's NLU computed it); else it is computed here.

        """
        total = len(self.documents)
        if k <= 0 or not query.strip() or total == 0:
            return []
        scores = self.relevance(query, vector)
        for doc_id, boost in (boosts or {}).items():
            row = self._rows.get(doc_id)
            if row is not None:
                scores[row] += boost
        hits: list[Hit] = []
        for row in np.argsort(-scores, kind="stable"):
            document = self.documents[row]
            if not (
                _matches(document.kind, kind)
                and _matches(document.area, area)
                and _matches(document.level, level)
            ):
                continue
            hits.append(
                Hit(
                    doc_id=document.id,
                    kind=document.kind,
                    title=document.title,
                    text=document.text,
                    score=float(scores[row]),
                    area=document.area,
                    level=document.level,
                )
            )
            if len(hits) == k:
                break
        return hits

    def vector_from(self, packed: Any) -> Vectors | None:
        """Return a vector packed by Rasa's NLU (``minilm_onnx.pack_vector``), or None.

        None unless it was computed exactly as this engine's embedder would compute it
        (same ONNX file and onnxruntime version): a vector of a Rasa model trained
        with another export, or run by another runtime, must not be searched with.
        """
        return unpack_vector(packed, self._embedder.vectors_id, onnx_export.DIMENSION)

    def relevance(self, query: str, vector: Vectors | None = None) -> npt.NDArray[np.float32]:
        """Score every document: cosine plus ``LEXICAL_WEIGHT`` x lexical coverage.

        Args:
            query: The text to match.
            vector: Its embedding (shape ``[1, dim]``), when already computed.

        """
        if vector is None:
            vector = self._embedder.embed_one(query)
        found, rows = self._index.faiss_index.search(vector, len(self.documents))
        cosine = np.zeros(len(self.documents), dtype=np.float32)
        cosine[rows[0]] = found[0]
        return cosine + LEXICAL_WEIGHT * self._lexical.scores(query)


def engine() -> SearchEngine:
    """Return the search engine of the live release (``knowledge.live``).

    The first call loads the model and the shipped index.

    Raises:
        IndexMismatchError: when the index is missing or stale.
        ModelMissingError: when the ONNX export is missing.

    """
    return live.current().engine


def load_shipped_engine() -> SearchEngine:
    """Load the model and the shipped index (``var/index``, or ``PA_INDEX_DIR``).

    Raises:
        IndexMismatchError: when the index is missing or stale.
        ModelMissingError: when the ONNX export is missing.

    """
    import faiss

    faiss.omp_set_num_threads(1)
    embedder = query_embedder()
    index = load_index(default_index_dir(), embedder.model_sha256, source_sha256())
    return SearchEngine(embedder, index)


def search(
    query: str,
    k: int = 5,
    kind: str | None = None,
    area: str | None = None,
    level: str | None = None,
    boosts: Mapping[str, float] | None = None,
    vector: Vectors | None = None,
) -> list[Hit]:
    """Search the catalogue index (see ``SearchEngine.search``)."""
    return engine().search(
        query, k=k, kind=kind, area=area, level=level, boosts=boosts, vector=vector
    )


def get_document(doc_id: str) -> Document | None:
    """Return the indexed document with this id, if any."""
    return engine().get(doc_id)


def warm_up() -> None:
    """Load the model and index now and run one query, so the first user waits less."""
    engine().search("warm up", k=1)
