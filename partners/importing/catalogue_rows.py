"""Rows of course, competency and fact files turned into catalogue entries.

Each kind has its columns (the CSV contract in ``docs/data.md``) and a function that
turns one row into the entry the catalogue holds (the dict a YAML file would hold),
validated by the pydantic model of ``knowledge/models.py``. Every problem names the
row and the column as the file has them, never the model's field path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from knowledge.models import Competency, Course, Fact
from partners.importing.tabular import Problem, Row, split_multi


@dataclass(frozen=True)
class EntryKind:
    """How one kind of catalogue file is read.

    Attributes:
        name: The kind as the command line names it (``courses``).
        content_key: Its list in the catalogue content.
        model: The pydantic model of one entry.
        columns: Every column, in the order the docs list them.
        required: Columns the header must have.
        not_empty: Columns whose cell must hold a value.
        to_entry: Turns a row into the entry dict (before validation).
        id_example: An id of this kind, for messages.

    """

    name: str
    content_key: str
    model: type[BaseModel]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    not_empty: tuple[str, ...]
    to_entry: Callable[[Row, list[Problem]], dict[str, Any]]
    id_example: str


def _course_entry(row: Row, problems: list[Problem]) -> dict[str, Any]:
    return {
        "id": row.get("id"),
        "title": row.get("title"),
        "summary": row.get("summary"),
        # Learning platforms write "Beginner" or "Self-paced"; the catalogue's are lower case.
        "level": row.get("level").lower(),
        "duration_hours": row.get("duration_hours"),
        "delivery": row.get("delivery").lower(),
        "prerequisites": split_multi(row.get("prerequisites")),
        "competencies": split_multi(row.get("competencies")),
        "credits": row.get("credits"),
        "voucher_eligible": row.get("voucher_eligible").lower(),
    }


def _competency_entry(row: Row, problems: list[Problem]) -> dict[str, Any]:
    return {
        "id": row.get("id"),
        "name": row.get("name"),
        "area": row.get("area"),
        "description": row.get("description"),
        "aliases": split_multi(row.get("aliases")),
        "requirements": {
            "credits": row.get("credits"),
            "certified_people": row.get("certified_people"),
            "client_references": row.get("client_references"),
            "required_courses": split_multi(row.get("required_courses")),
        },
        "credit_transfer": _credit_transfer(row, problems),
    }


def _credit_transfer(row: Row, problems: list[Problem]) -> list[dict[str, Any]]:
    """Parse ``Certification name=20;Other certification=10`` (the last ``=`` splits)."""
    transfers = []
    for part in split_multi(row.get("credit_transfer")):
        name, equals, credits = part.rpartition("=")
        if not equals or not name.strip() or not credits.strip().isdigit():
            why = "expected 'Certification name=credits' (a whole number), several split by ';'"
            problems.append(row.problem("credit_transfer", why, part))
            continue
        transfers.append({"certification": name.strip(), "credits": int(credits.strip())})
    return transfers


def _fact_entry(row: Row, problems: list[Problem]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": row.get("id"),
        "title": row.get("title"),
        "text": row.get("text"),
        "topic": row.get("topic"),
        "source": "office",  # an imported fact is the office's own: no sample label
    }
    if row.get("kind"):
        entry["kind"] = row.get("kind").lower()
    return entry


COURSE_COLUMNS = (
    "id",
    "title",
    "summary",
    "level",
    "duration_hours",
    "delivery",
    "prerequisites",
    "competencies",
    "credits",
    "voucher_eligible",
)
COMPETENCY_REQUIRED = (
    "id",
    "name",
    "area",
    "description",
    "credits",
    "certified_people",
    "client_references",
)

COURSES = EntryKind(
    name="courses",
    content_key="courses",
    model=Course,
    columns=COURSE_COLUMNS,
    # The contract's columns (docs/data.md): every one must be in the header.
    required=COURSE_COLUMNS,
    not_empty=(
        "id",
        "title",
        "level",
        "duration_hours",
        "delivery",
        "competencies",
        "credits",
        "voucher_eligible",
    ),
    to_entry=_course_entry,
    id_example="U-SEC-101",
)

COMPETENCIES = EntryKind(
    name="competencies",
    content_key="competencies",
    model=Competency,
    columns=(
        "id",
        "name",
        "area",
        "description",
        "aliases",
        "credits",
        "certified_people",
        "client_references",
        "required_courses",
        "credit_transfer",
    ),
    required=COMPETENCY_REQUIRED,
    not_empty=COMPETENCY_REQUIRED,
    to_entry=_competency_entry,
    id_example="C-STORAGE",
)

FACTS = EntryKind(
    name="facts",
    content_key="facts",
    model=Fact,
    columns=("id", "title", "text", "kind", "topic"),
    required=("id", "title", "text", "topic"),
    not_empty=("id", "title", "text", "topic"),
    to_entry=_fact_entry,
    id_example="F-VOUCHER-VALIDITY",
)


def entry_from_row(kind: EntryKind, row: Row) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Turn one row into a validated entry (as JSON-able data) or its problems.

    Args:
        kind: The kind of file.
        row: One row with our column names.

    Returns:
        The entry as the catalogue content holds it (None when the row is bad) and
        every problem of the row, one per bad cell.

    """
    problems = [
        row.problem(column, "empty: a value is required")
        for column in kind.not_empty
        if column in row.values and not row.get(column)
    ]
    empty = {p.column for p in problems}
    entry = kind.to_entry(row, problems)
    try:
        model = kind.model.model_validate(entry)
    except ValidationError as exc:
        seen: set[tuple[str, str]] = set()
        for error in exc.errors():
            column = _column(error["loc"])
            if column in empty or (column, error["msg"]) in seen:
                continue  # already said "empty", or the same message for another list item
            if column in kind.required and column not in row.values:
                continue  # the header lacks the column: said once for the file
            seen.add((column, error["msg"]))
            value = error.get("input")
            shown = str(value) if isinstance(value, str | int | float) else None
            problems.append(row.problem(column, _reason(kind, column, error), shown))
        return None, problems
    if problems:
        return None, problems
    return model.model_dump(mode="json"), []


def _column(loc: tuple[int | str, ...]) -> str:
    """Return the file column of a model field path (requirements are columns of their own)."""
    parts = [part for part in loc if isinstance(part, str)]
    if not parts:
        return "id"
    if parts[0] == "requirements" and len(parts) > 1:
        return parts[1]
    return parts[0]


def _reason(kind: EntryKind, column: str, error: Any) -> str:
    if error["type"] == "string_pattern_mismatch" and column == "id":
        prefix = kind.id_example.split("-")[0]
        return (
            f"not a valid id: expected {prefix}- then capitals, digits and dashes "
            f"(like {kind.id_example})"
        )
    if error["type"] == "missing":
        return "missing: a value is required"
    if error["type"] == "too_short" and column == "competencies":
        return "at least one competency id is required"
    return _PLAIN_REASONS.get(error["type"], str(error["msg"]))


# Pydantic's wording for what a spreadsheet user gets wrong most, in plainer words.
_PLAIN_REASONS = {
    "bool_parsing": "expected true or false (yes/no and 1/0 work too)",
    "float_parsing": "not a number (use a dot for decimals: 1.5)",
    "int_parsing": "not a whole number",
    "int_from_float": "not a whole number",
}
