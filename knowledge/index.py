"""The stored vector index: files, manifest, and the checks made when loading it.

``var/index/`` holds three files written together by ``knowledge.build``:

* ``index.faiss``: an ``IndexFlatIP`` over L2-normalised vectors (exact cosine);
* ``docs.json``: one entry per vector, in vector order: the document and the hash
  of the text that was embedded for it (the re-embedding cache key);
* ``manifest.json``: model name, model file hash, dimension, count and the hash of
  the source files the documents came from.

Loading refuses an index whose manifest does not match the running model or the
current sources (``IndexMismatchError``), so an answer never comes from stale data.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from knowledge.embedder import Vectors
from knowledge.models import Document

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "knowledge" / "data"
INDEX_FILE = "index.faiss"
DOCS_FILE = "docs.json"
MANIFEST_FILE = "manifest.json"
REBUILD_HINT = "run python -m knowledge.build"
# Version of ``embedding_text``: bump it when the recipe changes so indexes rebuild.
TEXT_RECIPE = 1


def default_index_dir() -> Path:
    """Return where the index lives (``PA_INDEX_DIR`` or ``var/index``)."""
    configured = os.environ.get("PA_INDEX_DIR")
    return Path(configured) if configured else ROOT / "var" / "index"


class IndexMismatchError(RuntimeError):
    """The stored index is missing, damaged, or was built from other inputs."""


class Manifest(BaseModel):
    """What an index was built from."""

    model_name: str
    model_sha256: str
    dimension: int
    count: int
    source_sha256: str
    text_recipe: int = TEXT_RECIPE


class StoredDocument(BaseModel):
    """One ``docs.json`` entry: the document and the hash of its embedded text."""

    document: Document
    text_sha256: str


@dataclass(frozen=True)
class VectorIndex:
    """An index loaded in memory: faiss index, its documents and manifest."""

    faiss_index: Any
    documents: list[StoredDocument]
    manifest: Manifest

    def vectors(self) -> Vectors:
        """Return all stored vectors (exact copies: the index is flat)."""
        count = self.faiss_index.ntotal
        if count == 0:
            return np.zeros((0, self.manifest.dimension), dtype=np.float32)
        return np.asarray(self.faiss_index.reconstruct_n(0, count), dtype=np.float32)


def embedding_text(document: Document) -> str:
    """Return the text embedded for a document: its title, then its body.

    The title leads because questions name things ("the Security competency"); a
    body that already starts with the title is not repeated.
    """
    if document.text.lower().startswith(document.title.lower()):
        return document.text
    return f"{document.title}. {document.text}"


def text_sha256(text: str) -> str:
    """Return the hex SHA-256 of a text (the vector cache key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# The code that turns catalogue entries into indexed text: a change to it changes the
# documents as surely as a data edit does, so it counts as a source.
TEXT_SOURCES = tuple(
    Path(__file__).with_name(name) for name in ("catalogue.py", "document_text.py", "index.py")
)


def source_sha256(data_dir: Path = DATA_DIR) -> str:
    """Hash every file under ``data_dir`` and the document-text code (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(data_dir).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for path in TEXT_SOURCES:
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def read_manifest(index_dir: Path) -> Manifest | None:
    """Return the stored manifest, or None when there is none or it is unreadable."""
    try:
        return Manifest.model_validate_json((index_dir / MANIFEST_FILE).read_text())
    except (OSError, ValidationError):
        return None


def write_index(
    index_dir: Path, vectors: Vectors, documents: list[StoredDocument], manifest: Manifest
) -> None:
    """Write the three index files; each replaces its old version atomically.

    The manifest goes last, so an interrupted write never leaves a manifest that
    vouches for other files (the next load or build sees the mismatch).
    """
    import faiss

    if len(documents) != vectors.shape[0] or manifest.count != len(documents):
        raise ValueError("vectors, documents and manifest disagree on the count")
    index_dir.mkdir(parents=True, exist_ok=True)
    (index_dir / MANIFEST_FILE).unlink(missing_ok=True)
    flat = faiss.IndexFlatIP(manifest.dimension)
    if len(documents):
        flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(flat, str(index_dir / f"{INDEX_FILE}.tmp"))
    (index_dir / f"{INDEX_FILE}.tmp").replace(index_dir / INDEX_FILE)
    payload = [entry.model_dump(mode="json") for entry in documents]
    _write_text(index_dir / DOCS_FILE, json.dumps(payload, ensure_ascii=False, indent=1))
    _write_text(index_dir / MANIFEST_FILE, manifest.model_dump_json(indent=2))


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text + "\n", encoding="utf-8")
    temporary.replace(path)


def read_index(index_dir: Path) -> VectorIndex:
    """Read an index without comparing it to a model or sources.

    Raises:
        IndexMismatchError: when a file is missing or the files disagree.

    """
    import faiss

    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexMismatchError(f"no index at {index_dir}; {REBUILD_HINT}")
    try:
        flat = faiss.read_index(str(index_dir / INDEX_FILE))
        raw = json.loads((index_dir / DOCS_FILE).read_text(encoding="utf-8"))
        documents = [StoredDocument.model_validate(entry) for entry in raw]
    except (OSError, RuntimeError, ValueError) as exc:
        raise IndexMismatchError(
            f"index at {index_dir} is damaged ({exc}); {REBUILD_HINT}"
        ) from exc
    if not flat.ntotal == len(documents) == manifest.count or flat.d != manifest.dimension:
        raise IndexMismatchError(f"index files at {index_dir} disagree; {REBUILD_HINT}")
    return VectorIndex(faiss_index=flat, documents=documents, manifest=manifest)


def check_manifest(manifest: Manifest, model_sha256: str, sources_sha256: str) -> None:
    """Raise ``IndexMismatchError`` saying why when the manifest does not match.

    Args:
        manifest: The stored manifest.
        model_sha256: Hash of the model file the query path uses and of its runtime.
        sources_sha256: Hash of the current source files.

    """
    if manifest.text_recipe != TEXT_RECIPE:
        raise IndexMismatchError(f"index was built with another text recipe; {REBUILD_HINT}")
    if manifest.model_sha256 != model_sha256:
        raise IndexMismatchError(f"index was built with another model; {REBUILD_HINT}")
    if manifest.source_sha256 != sources_sha256:
        raise IndexMismatchError(f"index was built from other sources; {REBUILD_HINT}")


def load_index(index_dir: Path, model_sha256: str, sources_sha256: str) -> VectorIndex:
    """Read an index and check it was built by this model from these sources.

    Raises:
        IndexMismatchError: when it is missing, damaged, or built from other inputs.

    """
    index = read_index(index_dir)
    check_manifest(index.manifest, model_sha256, sources_sha256)
    return index
