"""A new catalogue release goes live in a running process, atomically (knowledge.live)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from knowledge import live
from knowledge.answers import answer_question
from knowledge.entities import extract_entities
from knowledge.search import search
from partners.catalogue import program_catalogue
from tests.knowledge.new_course import (
    CITATION,
    NEW_COURSE,
    QUESTION,
    release_of,
    shipped_content,
    with_course,
)

TITLE = NEW_COURSE["title"]
COURSE_ID = NEW_COURSE["id"]


@pytest.fixture(scope="module")
def shipped(real_index: None) -> live.Release:
    """The shipped release (version 0), loaded from knowledge/data and var/index."""
    live.reset()
    return live.current()


@pytest.fixture(scope="module")
def newer(shipped: live.Release) -> live.Release:
    """Release 1: the shipped content plus one new course."""
    return release_of(with_course(shipped_content()), version=1)


@pytest.fixture(autouse=True)
def serving_the_shipped_release(shipped: live.Release) -> Iterator[None]:
    """Each test starts and ends with the shipped release installed."""
    live.install(shipped)
    yield
    live.install(shipped)


def _top_course(query: str) -> str:
    return search(query, k=1, kind="course")[0].doc_id


def test_the_shipped_files_are_release_0_without_the_new_course(shipped: live.Release) -> None:
    assert live.current() is shipped and shipped.version == 0
    assert COURSE_ID not in shipped.catalogue.course_by_id
    assert _top_course(TITLE) != COURSE_ID
    assert CITATION not in answer_question(QUESTION).text


def test_after_install_search_names_catalogue_and_answers_know_the_new_course(
    newer: live.Release,
) -> None:
    live.install(newer)

    assert live.current() is newer
    assert _top_course(TITLE) == COURSE_ID
    named = [m for m in extract_entities(QUESTION) if m.label == "course"]
    assert [(m.id, m.fuzzy) for m in named] == [(COURSE_ID, False)]
    assert program_catalogue().courses[COURSE_ID].title == TITLE
    answer = answer_question(QUESTION)
    assert CITATION in answer.text and "6 hours" in answer.text, answer.text


def test_an_old_release_still_answers_from_its_own_content(
    shipped: live.Release, newer: live.Release
) -> None:
    live.install(newer)

    # Whoever still holds the old release gets old answers from every part of it.
    assert COURSE_ID not in shipped.catalogue.course_by_id
    assert shipped.engine.search(TITLE, k=1, kind="course")[0].doc_id != COURSE_ID
    assert shipped.engine.get(COURSE_ID) is None
    assert all(m.id != COURSE_ID for m in shipped.recognizer.extract(QUESTION))
    assert newer.engine.get(COURSE_ID) is not None


def test_a_turn_started_before_the_install_finishes_on_its_release(
    shipped: live.Release, newer: live.Release
) -> None:
    with live.pinned() as held:
        live.install(newer)
        assert held is shipped and live.current() is shipped
        assert _top_course(TITLE) != COURSE_ID
        assert CITATION not in answer_question(QUESTION).text
    assert live.current() is newer
    assert CITATION in answer_question(QUESTION).text


def test_readers_never_see_half_a_swap(shipped: live.Release, newer: live.Release) -> None:
    """Search and catalogue agree on every read while releases swap back and forth."""
    seen: list[tuple[int, bool, bool]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def chat() -> None:
        while not stop.is_set():
            try:
                with live.pinned() as release:
                    # Two searches around a catalogue read, as a turn makes them: a swap
                    # during the first (milliseconds) must not change what the rest sees.
                    found = _top_course(TITLE) == COURSE_ID
                    listed = COURSE_ID in program_catalogue().courses
                    found_again = _top_course(TITLE) == COURSE_ID
                    seen.append((release.version, found, listed and found_again))
            except BaseException as exc:  # noqa: BLE001 - any failure fails the test below
                failures.append(exc)

    readers = [threading.Thread(target=chat) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for round_ in range(40):
            live.install(newer if round_ % 2 == 0 else shipped)
            stop.wait(0.01)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert failures == []
    assert {version for version, _, _ in seen} == {0, 1}
    assert {(version, found, listed) for version, found, listed in seen} == {
        (0, False, False),
        (1, True, True),
    }


def test_reset_loads_the_shipped_files_again(shipped: live.Release, newer: live.Release) -> None:
    live.install(newer)
    live.reset()
    reloaded = live.current()
    assert reloaded.version == 0 and reloaded is not shipped
    assert COURSE_ID not in reloaded.catalogue.course_by_id
