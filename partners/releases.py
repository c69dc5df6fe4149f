"""Catalogue releases in the partner store: the program content every app process serves.

An import (``partners.importing``) or the sync changes courses, competencies or
rules by publishing the whole catalogue as a new numbered release
(``publish``). Each app process polls ``latest_version`` and installs a newer
release (``bot/catalogue_refresh.py``), so every process serves the same content
within seconds, without a restart. Version 0 means no release: the shipped
files (``knowledge/data`` and ``var/index``) are served.

A release stores the search vectors of its documents, embedded when it is
published (only texts no earlier release or the shipped index holds), so an app
process builds its index without running the model over thousands of courses.
Old releases stay as history; only the newest is served.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge import onnx_export
from knowledge.build import embed_documents, stored_vectors
from knowledge.catalogue import (
    catalogue_content,
    catalogue_from_content,
    documents,
    load_catalogue,
)
from knowledge.embedder import Embedder, Vectors, onnx_embedder
from knowledge.index import default_index_dir
from knowledge.live import Release, build_release
from partners.models import CatalogueRelease

logger = logging.getLogger(__name__)


class ReleaseError(RuntimeError):
    """A stored release cannot be served (missing, or embedded by another model)."""


@dataclass(frozen=True)
class PublishResult:
    """What ``publish`` did.

    Attributes:
        version: The new release, or the latest one when nothing changed.
        changed: False when the content equals the latest release's (nothing written).
        embedded: How many document texts were embedded (the rest were reused).

    """

    version: int
    changed: bool
    embedded: int


def content_sha256(content: Mapping[str, Any]) -> str:
    """Hash catalogue content independently of key order and whitespace."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@cache
def _shipped_content() -> tuple[dict[str, Any], str]:
    content = catalogue_content(load_catalogue())
    return content, content_sha256(content)


@cache
def publishing_embedder() -> Embedder:
    """Return the model that embeds new texts, on every core (loaded once per process)."""
    return onnx_embedder(threads=os.cpu_count() or 1)


def _latest(session: Session) -> CatalogueRelease | None:
    query = select(CatalogueRelease).order_by(CatalogueRelease.version.desc()).limit(1)
    return session.scalars(query).first()


def latest_version(session: Session) -> int:
    """Return the newest release's version, 0 when there is none (the shipped files)."""
    return session.scalar(select(func.max(CatalogueRelease.version))) or 0


def current_content(session: Session) -> dict[str, Any]:
    """Return the newest release's content, or the shipped files' when there is none.

    This is what an import edits: keys competencies, courses, rules, facts.
    """
    latest = _latest(session)
    if latest is None:
        return json.loads(json.dumps(_shipped_content()[0]))  # a copy the caller may edit
    content: dict[str, Any] = json.loads(latest.content)
    return content


def _vector_cache(latest: CatalogueRelease | None, model_sha256: str) -> dict[str, Vectors]:
    """Vector per text hash from the shipped index and the latest release (same model)."""
    cache_: dict[str, Vectors] = stored_vectors(default_index_dir(), model_sha256)
    if latest is not None and _model_of(latest) == model_sha256:
        hashes: list[str] = json.loads(latest.text_hashes)
        vectors = _vectors(latest.vectors)
        cache_.update(zip(hashes, vectors, strict=True))
    return cache_


def _model_of(release: CatalogueRelease) -> str | None:
    """Return the hash of the model that embedded a release's vectors."""
    model_sha256: str | None = json.loads(release.summary).get("model_sha256")
    return model_sha256


def _vectors(raw: bytes) -> Vectors:
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, onnx_export.DIMENSION)


def publish(
    session: Session,
    content: Mapping[str, Any],
    *,
    source: str,
    log: Callable[[str], None] = print,
    embedder: Embedder | None = None,
) -> PublishResult:
    """Validate ``content`` and add it as a new release, in the caller's transaction.

    Idempotent: content equal to the latest release's (or, with no release, the
    shipped files') writes nothing. The caller commits; two publishers at the same
    moment cannot both commit (the second gets an IntegrityError on the version).

    Args:
        session: A session on the partner store; the row is added and flushed.
        content: Keys competencies, courses, rules, facts (``current_content``'s form).
        source: Who or what published it, e.g. "import courses courses.csv by ops@...".
        log: Where progress lines go.
        embedder: The model for new texts; the process's publishing embedder if None.

    Returns:
        The version served from now on, whether it is new, and how many texts were embedded.

    Raises:
        CatalogueError: The content is invalid (nothing is written).

    """
    catalogue = catalogue_from_content(content)
    # The models' JSON form with defaults filled in, so equal catalogues hash alike.
    normalised = catalogue_content(catalogue)
    digest = content_sha256(normalised)
    latest = _latest(session)
    embedder = embedder or publishing_embedder()
    # Same content embedded by another model (an upgrade) is published again, re-embedded.
    same_model = latest is None or _model_of(latest) == embedder.model_sha256
    if digest == (latest.content_sha256 if latest else _shipped_content()[1]) and same_model:
        version = latest.version if latest else 0
        log(f"catalogue unchanged (release {version})")
        return PublishResult(version, False, 0)
    docs = documents(catalogue)
    embedded = embed_documents(docs, embedder, _vector_cache(latest, embedder.model_sha256), log)
    version = (latest.version if latest else 0) + 1
    summary = {
        "competencies": len(catalogue.competencies),
        "courses": len(catalogue.courses),
        "facts": len(catalogue.facts),
        "documents": len(docs),
        "embedded": embedded.embedded,
        "model_sha256": embedder.model_sha256,
    }
    session.add(
        CatalogueRelease(
            version=version,
            created_at=dt.datetime.now(dt.UTC),
            source=source,
            content_sha256=digest,
            content=json.dumps(normalised, ensure_ascii=False),
            vectors=np.ascontiguousarray(embedded.vectors, dtype=np.float32).tobytes(),
            text_hashes=json.dumps(embedded.text_hashes),
            summary=json.dumps(summary),
        )
    )
    session.flush()
    log(
        f"catalogue release {version}: {len(catalogue.courses)} courses, {len(docs)} documents "
        f"({embedded.embedded} embedded) from {source}"
    )
    return PublishResult(version, True, embedded.embedded)


def load_release(session: Session, version: int) -> Release:
    """Build the servable release ``version`` from its row (no embedding; seconds).

    Raises:
        ReleaseError: There is no such release, or another model embedded it.
        CatalogueError: Its content no longer validates (the models changed).

    """
    from knowledge.embedder import query_embedder

    row = session.get(CatalogueRelease, version)
    if row is None:
        raise ReleaseError(f"no catalogue release {version}")
    if _model_of(row) != query_embedder().model_sha256:
        raise ReleaseError(
            f"catalogue release {version} was embedded by another model; publish it again"
        )
    catalogue = catalogue_from_content(json.loads(row.content))
    return build_release(version, catalogue, _vectors(row.vectors), json.loads(row.text_hashes))
