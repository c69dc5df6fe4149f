"""Catalogue releases in the partner store, on SQLite and PostgreSQL (partners.releases)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from knowledge.catalogue import CatalogueError, catalogue_from_content, documents
from knowledge.embedder import OnnxEmbedder, Vectors, query_embedder
from knowledge.index import default_index_dir, embedding_text, read_index, text_sha256
from partners.db import create_db_engine
from partners.migrate import upgrade
from partners.models import CatalogueRelease
from partners.releases import (
    PublishResult,
    current_content,
    latest_version,
    load_release,
    publish,
)
from tests.knowledge.building import ensure_index
from tests.knowledge.new_course import NEW_COURSE, shipped_content, with_course
from tests.partners.fixtures import postgres_schema

SECOND_COURSE = {
    **NEW_COURSE,
    "id": "U-PQC-201",
    "title": "Quantum-Safe Key Management Lab",
    "summary": "Rotate keys to hybrid post-quantum schemes in a hands-on lab.",
    "delivery": "lab",
    "prerequisites": ["U-PQC-101"],
}


class CountingEmbedder:
    """The real query model, remembering every text it was asked to embed."""

    def __init__(self, model: OnnxEmbedder) -> None:
        self._model = model
        self.name = model.name
        self.model_sha256 = model.model_sha256
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return self._model.embed(texts)


@pytest.fixture(scope="module")
def shipped_hashes() -> set[str]:
    """Text hashes the shipped index holds (the vector cache of a first release)."""
    ensure_index()
    return {entry.text_sha256 for entry in read_index(default_index_dir()).documents}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated partner store."""
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'partners.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    with postgres_schema(f"pa_releases_test_{os.getpid()}") as engine:
        upgrade(engine)
        yield engine


@pytest.fixture
def embedder() -> CountingEmbedder:
    return CountingEmbedder(query_embedder())


def _publish(engine: Engine, content: dict[str, Any], embedder: CountingEmbedder) -> PublishResult:
    with Session(engine) as session, session.begin():
        return publish(session, content, source="test", log=lambda _: None, embedder=embedder)


def _rows(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(CatalogueRelease)) or 0


def _new_texts(content: dict[str, Any], known: set[str]) -> set[str]:
    texts = {embedding_text(d) for d in documents(catalogue_from_content(content))}
    return {text for text in texts if text_sha256(text) not in known}


def test_the_shipped_content_is_release_0_and_publishing_it_changes_nothing(
    store: Engine, embedder: CountingEmbedder
) -> None:
    with Session(store) as session:
        assert latest_version(session) == 0
        content = current_content(session)
    assert content == shipped_content()
    assert _publish(store, content, embedder) == PublishResult(0, False, 0)
    assert _rows(store) == 0 and embedder.texts == []


def test_a_new_course_is_published_embedding_only_texts_never_embedded(
    store: Engine, embedder: CountingEmbedder, shipped_hashes: set[str]
) -> None:
    first = with_course(shipped_content())
    expected = _new_texts(first, shipped_hashes)
    # The course's own text, and its competency's (which counts its courses).
    assert len(expected) == 2

    assert _publish(store, first, embedder) == PublishResult(1, True, 2)
    assert set(embedder.texts) == expected

    embedder.texts.clear()
    assert _publish(store, first, embedder) == PublishResult(1, False, 0)  # same content again
    second = with_course(first, SECOND_COURSE)
    assert _publish(store, second, embedder) == PublishResult(2, True, 2)
    # The second course's text and its competency's; the first course's text came
    # from release 1's stored vectors.
    in_release_1 = shipped_hashes | {text_sha256(text) for text in expected}
    assert set(embedder.texts) == _new_texts(second, in_release_1)
    assert not expected & set(embedder.texts)

    with Session(store) as session:
        assert latest_version(session) == 2
        assert [c["id"] for c in current_content(session)["courses"][-2:]] == [
            "U-PQC-101",
            "U-PQC-201",
        ]
    assert _rows(store) == 2  # history is kept


def test_invalid_content_raises_and_writes_nothing(
    store: Engine, embedder: CountingEmbedder
) -> None:
    broken = with_course(shipped_content(), {**NEW_COURSE, "prerequisites": ["U-NOPE-999"]})
    with pytest.raises(CatalogueError, match="courses: entry U-PQC-101: field 'prerequisites'"):
        _publish(store, broken, embedder)
    assert _rows(store) == 0 and embedder.texts == []


def test_a_loaded_release_serves_the_new_course(store: Engine, embedder: CountingEmbedder) -> None:
    _publish(store, with_course(shipped_content()), embedder)
    with Session(store) as session:
        release = load_release(session, latest_version(session))
    assert release.version == 1
    assert release.catalogue.course_by_id["U-PQC-101"].title == NEW_COURSE["title"]
    (hit,) = release.engine.search(NEW_COURSE["title"], k=1, kind="course")
    assert hit.doc_id == "U-PQC-101"
    assert [m.id for m in release.recognizer.extract(NEW_COURSE["title"])] == ["U-PQC-101"]
