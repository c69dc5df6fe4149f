"""Find the courses that match a partner's free-text goal ("we want to get into AI").

The semantic search (``knowledge.search``) is the normal path. When the index or
the model cannot be loaded, a keyword match over titles, summaries and competency
names and aliases answers instead, and a log line says why, so a missing index
degrades recommendations rather than breaking them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from partners.catalogue import ProgramCatalogue

logger = logging.getLogger(__name__)

# Measured on the sample catalogue: on-topic goals score 0.55-0.75 with MiniLM,
# gibberish and off-topic text 0.2-0.3.
MIN_SIMILARITY = 0.35
RELATIVE_SIMILARITY = 0.7

CourseSearch = Callable[[str, int], list[str]]
"""Given a goal and a count, return matching course ids, best first."""

_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "get", "go", "got",
        "have", "i", "in", "into", "is", "it", "me", "more", "of", "on", "or", "our", "over",
        "some", "that", "the", "their", "them", "to", "up", "us", "want", "wants", "we", "what",
        "with", "would", "you", "your",
    }
)  # fmt: skip


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS}


def keyword_course_search(catalogue: ProgramCatalogue) -> CourseSearch:
    """Build a search that ranks courses by the goal words their texts share."""
    texts: dict[str, set[str]] = {}
    for course in catalogue.courses.values():
        words = _words(f"{course.title} {course.summary}")
        for competency_id in course.competencies:
            competency = catalogue.competencies.get(competency_id)
            if competency:
                words |= _words(" ".join([competency.name, competency.area, *competency.aliases]))
        texts[course.id] = words

    def search(goal: str, k: int) -> list[str]:
        wanted = _words(goal)
        scored = [(len(wanted & words), course_id) for course_id, words in texts.items()]
        ranked = sorted((item for item in scored if item[0] > 0), key=lambda i: (-i[0], i[1]))
        return [course_id for _, course_id in ranked[:k]]

    return search


def semantic_course_search(goal: str, k: int) -> list[str]:
    """Search the course documents of the catalogue index (``knowledge.search``).

    Only clear matches count: a cosine similarity of at least ``MIN_SIMILARITY`` and
    within ``RELATIVE_SIMILARITY`` of the best hit. Gibberish or an off-topic goal
    ("ignore previous instructions ...") then matches nothing instead of twenty
    random courses.
    """
    from knowledge.search import search

    hits = search(goal, k=k, kind="course")
    if not hits:
        return []
    floor = max(MIN_SIMILARITY, hits[0].score * RELATIVE_SIMILARITY)
    return [hit.doc_id for hit in hits if hit.score >= floor]


def default_course_search(catalogue: ProgramCatalogue) -> CourseSearch:
    """Semantic search, falling back to keywords when the index is unavailable."""
    fallback = keyword_course_search(catalogue)

    def search(goal: str, k: int) -> list[str]:
        try:
            found = semantic_course_search(goal, k)
        except Exception as exc:  # noqa: BLE001 - any failure of the index degrades to keywords
            logger.warning("semantic course search unavailable (%s); using keywords", exc)
            return fallback(goal, k)
        return [course_id for course_id in found if course_id in catalogue.courses]

    return search
