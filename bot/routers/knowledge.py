"""Program knowledge API: semantic search, competencies and courses (``/v1``).

Every response says which of the figures it states are sample values, in
``sample_figures`` (figure paths, docs/data.md "Where figures come from"; empty when
nothing is sample).
"""

from __future__ import annotations

import logging
from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from knowledge import entities, live, search
from knowledge.catalogue import Catalogue, CatalogueError
from knowledge.embedder import ModelMissingError
from knowledge.index import IndexMismatchError
from knowledge.models import Competency, Course, Delivery, DocKind, Level
from knowledge.provenance import sample_figures

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["knowledge"])

ItemT = TypeVar("ItemT")
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page (1-100).")]
Offset = Annotated[int, Query(ge=0, description="Items to skip.")]


SAMPLE_FIGURES = "Figure paths stated here that are sample values; empty when none."


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: the items and how many match in all."""

    items: list[ItemT]
    total: int = Field(description="Items matching the filters, over all pages.")
    sample_figures: list[str] = Field(default_factory=list, description=SAMPLE_FIGURES)


class CompetencyOut(Competency):
    """A competency, with whether its catalogue is sample data."""

    sample_figures: list[str] = Field(default_factory=list, description=SAMPLE_FIGURES)


class CourseOut(Course):
    """A University course, with whether its catalogue is sample data."""

    sample_figures: list[str] = Field(default_factory=list, description=SAMPLE_FIGURES)


class SearchHit(BaseModel):
    """A document matching a search, with its cosine similarity to the query."""

    doc_id: str
    kind: DocKind
    title: str
    text: str
    score: float
    area: str | None = None
    level: Level | None = None
    sample_figures: list[str] = Field(default_factory=list, description=SAMPLE_FIGURES)


class SearchResults(BaseModel):
    """Search results, best first."""

    query: str
    items: list[SearchHit]
    total: int = Field(description="Number of items returned.")


def warm_up() -> None:
    """Load the index, model and entity recognizer now; log (not raise) if unavailable."""
    try:
        search.warm_up()
        entities.recognizer()
    except Exception:  # the app still serves partners; search answers 503 with the reason
        logger.exception("knowledge search unavailable (python -m knowledge.build?)")


def _catalogue() -> Catalogue:
    """Return the live release's catalogue (``knowledge.live``): new courses without a restart."""
    try:
        return live.current().catalogue
    except CatalogueError as exc:
        logger.exception("catalogue failed to load")
        raise HTTPException(503, f"program catalogue unavailable: {exc}") from exc


def _document_sample(doc_id: str) -> list[str]:
    document = search.get_document(doc_id)
    return list(document.sample_figures) if document else []


def _part_sample(catalogue: Catalogue, part: str) -> list[str]:
    """``[part]`` while that catalogue file (competencies, courses) is sample data."""
    return list(sample_figures(catalogue.rules, (part,)))


def _window(items: list[ItemT], limit: int, offset: int) -> list[ItemT]:
    return items[offset : offset + limit]


@router.get("/search", response_model=SearchResults)
def search_documents(
    q: Annotated[str, Query(min_length=1, max_length=500, description="What to look for.")],
    k: Annotated[int, Query(ge=1, le=50, description="How many results.")] = 5,
    kind: Annotated[DocKind | None, Query(description="Only this kind of document.")] = None,
    area: Annotated[str | None, Query(description="Only this solution area.")] = None,
    level: Annotated[Level | None, Query(description="Only courses of this level.")] = None,
) -> SearchResults:
    """Semantic search over competencies, courses, tier rules and program facts."""
    try:
        hits = search.search(q, k=k, kind=kind, area=area, level=level)
    except (IndexMismatchError, ModelMissingError) as exc:
        logger.exception("search unavailable")
        raise HTTPException(503, f"search unavailable: {exc}") from exc
    items = [
        SearchHit.model_validate({**hit.__dict__, "sample_figures": _document_sample(hit.doc_id)})
        for hit in hits
    ]
    return SearchResults(query=q, items=items, total=len(items))


@router.get("/competencies", response_model=Page[Competency])
def list_competencies(
    area: Annotated[str | None, Query(description="Solution area, e.g. Security.")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[Competency]:
    """List the competencies of the catalogue, optionally of one area."""
    catalogue = _catalogue()
    items = [
        competency
        for competency in catalogue.competencies
        if area is None or competency.area.casefold() == area.casefold()
    ]
    return Page[Competency](
        items=_window(items, limit, offset),
        total=len(items),
        sample_figures=_part_sample(catalogue, "competencies"),
    )


@router.get(
    "/competencies/{competency_id}",
    response_model=CompetencyOut,
    responses={404: {"description": "No competency with this id."}},
)
def get_competency(competency_id: str) -> CompetencyOut:
    """Return one competency by id (e.g. ``C-SECURITY``)."""
    catalogue = _catalogue()
    competency = catalogue.competency_by_id.get(competency_id.upper())
    if competency is None:
        raise HTTPException(404, f"no competency {competency_id}; see /v1/competencies")
    return CompetencyOut(
        **competency.model_dump(), sample_figures=_part_sample(catalogue, "competencies")
    )


@router.get("/courses", response_model=Page[Course])
def list_courses(
    competency: Annotated[
        str | None, Query(description="Competency id, name or alias the course counts toward.")
    ] = None,
    level: Level | None = None,
    delivery: Delivery | None = None,
    voucher_eligible: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words that id, title or summary contain.")
    ] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[Course]:
    """List University courses matching every filter given, in catalogue order."""
    catalogue = _catalogue()
    competency_id = None
    if competency is not None:
        found = catalogue.competency_by_id.get(competency.upper()) or catalogue.find_competency(
            competency
        )
        if found is None:
            raise HTTPException(
                422, f"unknown competency {competency!r}; see /v1/competencies for the ids"
            )
        competency_id = found.id
    words = (q or "").casefold().split()
    items = [
        course
        for course in catalogue.courses
        if (competency_id is None or competency_id in course.competencies)
        and (level is None or course.level == level)
        and (delivery is None or course.delivery == delivery)
        and (voucher_eligible is None or course.voucher_eligible == voucher_eligible)
        and all(word in f"{course.id} {course.title} {course.summary}".casefold() for word in words)
    ]
    return Page[Course](
        items=_window(items, limit, offset),
        total=len(items),
        sample_figures=_part_sample(catalogue, "courses"),
    )


@router.get(
    "/courses/{course_id}",
    response_model=CourseOut,
    responses={404: {"description": "No course with this id."}},
)
def get_course(course_id: str) -> CourseOut:
    """Return one University course by id (e.g. ``U-SEC-101``)."""
    catalogue = _catalogue()
    course = catalogue.course_by_id.get(course_id.upper())
    if course is None:
        raise HTTPException(404, f"no course {course_id}; see /v1/courses")
    return CourseOut(**course.model_dump(), sample_figures=_part_sample(catalogue, "courses"))
