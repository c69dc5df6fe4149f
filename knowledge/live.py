"""The live program content of this process: catalogue, search engine and entity names.

A ``Release`` is one immutable version of the content. Every reader (search,
entity recognition, answers, the API, the partner domain) asks ``current()`` for
the release it works on, and ``install()`` replaces the release with one reference
assignment, so a new catalogue goes live without a restart. A release is never
changed after it is built: a caller that already holds one (a turn pinned with
``pinned()``) finishes on it, consistently, while the next turn gets the new one.

Version 0 is the shipped content: ``knowledge/data`` and the index under
``var/index``, loaded on first use exactly as before there were releases; its
search engine and recognizer load only when asked for, so the partner domain can
read the catalogue without the index. Later versions come from the partner store
(``partners.releases``) and are built complete, off the event loop, by
``build_release`` before they are installed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

from knowledge.catalogue import Catalogue, documents, load_catalogue
from knowledge.embedder import Vectors

if TYPE_CHECKING:  # search and entities read this module; they are imported when used
    from knowledge.entities import EntityRecognizer
    from knowledge.search import SearchEngine

SHIPPED_VERSION = 0
T = TypeVar("T")


class _Once(Generic[T]):
    """A value made on first use, by one thread; a failure is not remembered."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._made: tuple[T] | None = None  # set once, in one assignment
        self._lock = threading.Lock()

    def get(self) -> T:
        made = self._made
        if made is None:
            with self._lock:
                if self._made is None:
                    self._made = (self._make(),)
                made = self._made
        return made[0]


@dataclass(frozen=True, eq=False, init=False)
class Release:
    """One version of the program content, never changed once made.

    Identity is the object (``eq=False``): two loads of one version are two releases.

    Attributes:
        version: 0 for the shipped files, else the partner store's release number.
        catalogue: The validated catalogue.

    """

    version: int
    catalogue: Catalogue = field(repr=False)  # thousands of courses: not for a log line
    _engine: _Once[SearchEngine] = field(repr=False)
    _recognizer: _Once[EntityRecognizer] = field(repr=False)

    def __init__(
        self,
        version: int,
        catalogue: Catalogue,
        engine: SearchEngine | Callable[[], SearchEngine],
        recognizer: EntityRecognizer | Callable[[], EntityRecognizer],
    ) -> None:
        """Make a release from built parts, or from functions that build them on first use."""
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "catalogue", catalogue)
        object.__setattr__(self, "_engine", _once(engine))
        object.__setattr__(self, "_recognizer", _once(recognizer))

    @property
    def engine(self) -> SearchEngine:
        """The search engine over this release's documents."""
        return self._engine.get()

    @property
    def recognizer(self) -> EntityRecognizer:
        """The entity recognizer that knows this release's names."""
        return self._recognizer.get()


def _once(value: T | Callable[[], T]) -> _Once[T]:
    if callable(value):
        return _Once(value)
    return _Once(lambda: value)


_installed: Release | None = None
_install_lock = threading.Lock()
# A turn pins the release it started on (``pinned``); worker threads started with
# asyncio.to_thread inherit it, as they copy the context.
_pinned: ContextVar[Release | None] = ContextVar("pinned_release", default=None)


def current() -> Release:
    """Return the release to read: the pinned one, else the installed one.

    The first call loads the shipped files (version 0).

    Raises:
        CatalogueError: The shipped catalogue files are invalid.

    """
    release = _pinned.get() or _installed
    if release is not None:
        return release
    return _install_shipped()


def _install_shipped() -> Release:
    global _installed
    with _install_lock:
        if _installed is None:
            _installed = shipped_release()
        return _installed


def install(release: Release) -> None:
    """Serve ``release`` from now on (one reference assignment: the swap is atomic)."""
    global _installed
    with _install_lock:
        _installed = release


def reset() -> None:
    """Forget the installed release: the next ``current()`` loads the shipped files again.

    For tests that point ``PA_INDEX_DIR`` elsewhere, and for putting back the
    shipped content after installing another release.
    """
    global _installed
    with _install_lock:
        _installed = None


@contextmanager
def pinned() -> Iterator[Release]:
    """Read one release for the whole block (a turn), whatever is installed meanwhile.

    Nested blocks keep the outer block's release.
    """
    release = current()
    token = _pinned.set(release)
    try:
        yield release
    finally:
        _pinned.reset(token)


def shipped_release() -> Release:
    """Version 0: ``knowledge/data`` and ``var/index``; engine and names load when used."""
    from knowledge.entities import catalogue_recognizer
    from knowledge.search import load_shipped_engine

    catalogue = load_catalogue()
    return Release(
        SHIPPED_VERSION,
        catalogue,
        load_shipped_engine,
        lambda: catalogue_recognizer(catalogue),
    )


def build_release(
    version: int, catalogue: Catalogue, vectors: Vectors, text_hashes: Sequence[str]
) -> Release:
    """Build a complete release from stored vectors, without embedding anything.

    Every document's embedded text must have its vector among ``vectors`` (row
    ``i`` is the vector of text hash ``text_hashes[i]``); extra rows are ignored.
    The query embedder is the process's one (``query_embedder``), loaded once.

    Args:
        version: The release number.
        catalogue: The validated catalogue.
        vectors: float32 rows, L2-normalised, one per entry of ``text_hashes``.
        text_hashes: The text hash of each row (``knowledge.index.text_sha256``).

    Raises:
        ValueError: A document has no vector, or vectors and hashes disagree.

    """
    import faiss

    from knowledge import onnx_export
    from knowledge.embedder import query_embedder
    from knowledge.entities import catalogue_recognizer
    from knowledge.index import Manifest, StoredDocument, VectorIndex, embedding_text, text_sha256
    from knowledge.search import SearchEngine

    if len(vectors) != len(text_hashes):
        raise ValueError(f"{len(vectors)} vectors for {len(text_hashes)} text hashes")
    docs = documents(catalogue)
    hashes = [text_sha256(embedding_text(document)) for document in docs]
    row_of = {digest: row for row, digest in enumerate(text_hashes)}
    lacking = [doc.id for doc, digest in zip(docs, hashes, strict=True) if digest not in row_of]
    if lacking:
        shown = ", ".join(lacking[:5]) + (" ..." if len(lacking) > 5 else "")
        raise ValueError(f"release {version} lacks vectors of {len(lacking)} documents: {shown}")
    ordered = np.ascontiguousarray(vectors[[row_of[d] for d in hashes]], dtype=np.float32)
    faiss.omp_set_num_threads(1)  # as the shipped engine: queries run on the request's thread
    flat = faiss.IndexFlatIP(onnx_export.DIMENSION)
    if len(ordered):
        flat.add(ordered)
    embedder = query_embedder()
    manifest = Manifest(
        model_name=onnx_export.MODEL_NAME,
        model_sha256=embedder.model_sha256,
        dimension=onnx_export.DIMENSION,
        count=len(docs),
        source_sha256=f"catalogue release {version}",
    )
    stored = [StoredDocument(document=d, text_sha256=h) for d, h in zip(docs, hashes, strict=True)]
    engine = SearchEngine(embedder, VectorIndex(flat, stored, manifest))
    return Release(version, catalogue, engine, catalogue_recognizer(catalogue, docs))
