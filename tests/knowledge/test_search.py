"""knowledge.search over the real catalogue index.

Its speed is measured by `make bench` (scripts/bench_limits.py), not asserted here.
"""

from __future__ import annotations

import pytest

from knowledge import search
from knowledge.embedder import query_embedder
from knowledge.index import IndexMismatchError, default_index_dir, load_index

pytestmark = pytest.mark.usefixtures("real_index")


def test_named_competency_comes_first() -> None:
    hits = search.search("what does the Security Operations competency require?")
    assert hits[0].doc_id == "C-SECURITY"
    assert hits[0].kind == "competency" and hits[0].title == "Security Operations"
    assert "60 course credits" in hits[0].text


def test_hits_are_ranked_and_limited() -> None:
    hits = search.search("kubernetes courses", k=7)
    assert len(hits) == 7
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(-1.0 <= h.score <= 1.0 for h in hits)


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"kind": "course"}, lambda h: h.kind == "course"),
        ({"kind": "fact"}, lambda h: h.kind == "fact"),
        ({"level": "advanced"}, lambda h: h.level == "advanced"),
        ({"area": "security"}, lambda h: h.area == "Security"),
        ({"kind": "course", "level": "beginner", "area": "Cloud"},
         lambda h: (h.kind, h.level, h.area) == ("course", "beginner", "Cloud")),
    ],
)  # fmt: skip
def test_filters_keep_only_matching_documents(filters, check) -> None:
    hits = search.search("security of cloud workloads", k=10, **filters)
    assert len(hits) == 10
    assert all(check(hit) for hit in hits)


def test_filters_are_applied_before_the_cut() -> None:
    # An advanced storage course is far down the unfiltered list; it must still come back.
    hits = search.search("what does the Security competency require?", k=3, level="advanced",
                         area="Systems and storage")  # fmt: skip
    assert hits and all(h.level == "advanced" and h.area == "Systems and storage" for h in hits)


def test_unknown_filter_value_gives_no_hits() -> None:
    assert search.search("security", kind="recipe") == []


def test_a_stale_index_is_refused() -> None:
    with pytest.raises(IndexMismatchError, match="other sources; run python -m knowledge.build"):
        load_index(default_index_dir(), query_embedder().model_sha256, "not-the-sources")
