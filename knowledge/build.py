"""Build the search index: ``python -m knowledge.build [--check] [--force]``.

Steps: export the ONNX model if ``var/onnx/`` is not current, load and validate the
catalogue, then embed every document into ``var/index/`` and write the catalogue's
entity vocabulary beside it (the Rasa model's tagger, ``knowledge.entity_tagger``).
A build is incremental: nothing happens ("index up to date") when the sources and
model match the manifest, and otherwise only documents whose embedded text changed
are re-embedded (vectors are cached by text hash in the previous index).

Exit codes: 0 done or up to date; 1 ``--check`` found the index out of date; 2 the
catalogue is invalid (the message says what is wrong).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from knowledge import minilm_onnx, onnx_export
from knowledge.embedder import Embedder, Vectors, default_onnx_dir, onnx_embedder
from knowledge.entity_tagger import VOCABULARY_FILE
from knowledge.index import (
    DATA_DIR,
    IndexMismatchError,
    Manifest,
    StoredDocument,
    VectorIndex,
    check_manifest,
    default_index_dir,
    embedding_text,
    read_index,
    source_sha256,
    text_sha256,
    write_index,
)
from knowledge.models import Document

BATCH_SIZE = 32


@dataclass(frozen=True)
class BuildResult:
    """What a build did."""

    up_to_date: bool
    count: int
    embedded: int
    reused: int


def stored_vectors(index_dir: Path, model_sha256: str) -> dict[str, np.ndarray]:
    """Map text hash to vector from the index in ``index_dir`` if the same model made it."""
    try:
        previous = read_index(index_dir)
    except IndexMismatchError:
        return {}
    if previous.manifest.model_sha256 != model_sha256:
        return {}
    vectors = previous.vectors()
    return {entry.text_sha256: vectors[row] for row, entry in enumerate(previous.documents)}


def _current_index(index_dir: Path, model_sha256: str, sources: str) -> VectorIndex | None:
    try:
        index = read_index(index_dir)
        check_manifest(index.manifest, model_sha256, sources)
    except IndexMismatchError:
        return None
    return index


@dataclass(frozen=True)
class EmbeddedDocuments:
    """Vectors of documents in order, with the hash of each embedded text."""

    vectors: Vectors
    text_hashes: list[str]
    embedded: int


def embed_documents(
    documents: Sequence[Document],
    embedder: Embedder,
    cache: Mapping[str, npt.NDArray[np.float32]],
    log: Callable[[str], None] = print,
) -> EmbeddedDocuments:
    """Embed documents, reusing the vector of every text whose hash ``cache`` holds.

    The one recipe for index vectors: ``build_index`` and catalogue releases
    (``partners.releases``) both use it, so a text always gets the same vector.

    Args:
        documents: The documents, in index order.
        embedder: The model that embeds them (the query path's model).
        cache: Vector per text hash, from earlier builds by the same model.
        log: Where the counts line goes.

    Returns:
        One vector per document, the text hashes and how many were embedded.

    """
    texts = [embedding_text(document) for document in documents]
    hashes = [text_sha256(text) for text in texts]
    # Longest first: batches of similar length pad little, and the ETA is honest.
    missing = sorted(
        (row for row, digest in enumerate(hashes) if digest not in cache),
        key=lambda row: len(texts[row]),
        reverse=True,
    )
    log(
        f"{len(documents)} documents: {len(documents) - len(missing)} unchanged, "
        f"{len(missing)} to embed"
    )
    vectors: Vectors = np.zeros((len(documents), onnx_export.DIMENSION), dtype=np.float32)
    for row, digest in enumerate(hashes):
        if digest in cache:
            vectors[row] = cache[digest]
    with tqdm(total=len(missing), desc="embedding", unit="doc", disable=not missing) as bar:
        for start in range(0, len(missing), BATCH_SIZE):
            rows = missing[start : start + BATCH_SIZE]
            vectors[rows] = embedder.embed([texts[row] for row in rows])
            bar.update(len(rows))
    return EmbeddedDocuments(vectors, hashes, len(missing))


def build_index(
    documents: list[Document],
    embedder: Embedder,
    index_dir: Path,
    sources: str,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> BuildResult:
    """Embed ``documents`` into ``index_dir``, reusing what is already there.

    Args:
        documents: Every document of the catalogue, in index order.
        embedder: The model that embeds them (the query path's model).
        index_dir: Where the index files go.
        sources: Hash of the sources the documents came from (goes in the manifest).
        force: Re-embed everything even when the index is current.
        log: Where step lines go.

    Returns:
        Counts of what was embedded and reused.

    """
    ids = [document.id for document in documents]
    if len(set(ids)) != len(ids):
        duplicates = sorted({doc_id for doc_id in ids if ids.count(doc_id) > 1})
        raise ValueError(f"duplicate document ids: {', '.join(duplicates)}")
    if not force:
        current = _current_index(index_dir, embedder.model_sha256, sources)
        if current is not None:
            log(f"index up to date ({current.manifest.count} documents in {index_dir})")
            return BuildResult(True, current.manifest.count, 0, 0)
    cache = {} if force else stored_vectors(index_dir, embedder.model_sha256)
    started = time.perf_counter()
    embedded = embed_documents(documents, embedder, cache, log)
    vectors, hashes, missing = embedded.vectors, embedded.text_hashes, embedded.embedded
    manifest = Manifest(
        model_name=onnx_export.MODEL_NAME,
        model_sha256=embedder.model_sha256,
        dimension=vectors.shape[1],
        count=len(documents),
        source_sha256=sources,
    )
    stored = [
        StoredDocument(document=document, text_sha256=digest)
        for document, digest in zip(documents, hashes, strict=True)
    ]
    write_index(index_dir, vectors, stored, manifest)
    log(
        f"wrote {len(documents)} documents to {index_dir} "
        f"(embedded {missing} in {time.perf_counter() - started:.1f}s)"
    )
    return BuildResult(False, len(documents), missing, len(documents) - missing)


def is_up_to_date(index_dir: Path, onnx_dir: Path, data_dir: Path = DATA_DIR) -> bool:
    """Tell whether the export and index match the installed model and the sources."""
    if not onnx_export.is_current(onnx_dir):
        return False
    file_sha256 = minilm_onnx.files_sha256(onnx_dir / onnx_export.INT8_FILE)
    model_sha256 = minilm_onnx.runtime_sha256(file_sha256)
    if not (index_dir / VOCABULARY_FILE).is_file():
        return False
    return _current_index(index_dir, model_sha256, source_sha256(data_dir)) is not None


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module docstring for exit codes)."""
    parser = argparse.ArgumentParser(description="Build the knowledge search index.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the index is stale")
    parser.add_argument("--force", action="store_true", help="re-export and re-embed all")
    parser.add_argument("--index-dir", type=Path, default=None, help="default: var/index")
    parser.add_argument("--onnx-dir", type=Path, default=None, help="default: var/onnx")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="default: knowledge/data")
    args = parser.parse_args(argv)
    index_dir: Path = args.index_dir or default_index_dir()
    onnx_dir: Path = args.onnx_dir or default_onnx_dir()
    if args.check:
        current = is_up_to_date(index_dir, onnx_dir, args.data_dir)
        print("index up to date" if current else f"index at {index_dir} is out of date")
        return 0 if current else 1

    from knowledge.catalogue import CatalogueError, documents, load_catalogue
    from knowledge.entities import catalogue_vocabulary

    print("[1/3] loading the catalogue", flush=True)
    try:
        catalogue = load_catalogue(args.data_dir)
        docs = documents(catalogue)
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"[2/3] checking the ONNX export in {onnx_dir}", flush=True)
    onnx_export.export(onnx_dir, force=args.force)
    print("[3/3] indexing", flush=True)
    embedder = onnx_embedder(onnx_dir, threads=os.cpu_count() or 1)
    build_index(docs, embedder, index_dir, source_sha256(args.data_dir), force=args.force)
    # The Rasa model's entity tagger knows the same names (knowledge.entity_tagger).
    vocabulary = catalogue_vocabulary(catalogue, docs)
    if vocabulary.write(index_dir / VOCABULARY_FILE):
        print(f"wrote the entity vocabulary {vocabulary.id} to {index_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
