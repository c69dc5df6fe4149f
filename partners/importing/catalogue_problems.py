"""Map the whole-catalogue check's messages back to the rows of an imported file.

``knowledge.catalogue.catalogue_from_content`` reports problems as
``courses: entry U-SEC-101: field 'prerequisites': unknown course 'U-SEC-999'``; an
import reports them on the row of the file that caused them, with the column and
the offending value, or, for an entry the file does not hold, naming that entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from knowledge.catalogue import CatalogueError, catalogue_from_content
from partners.importing.tabular import Problem, Row

# Where a check message points in the imported file: (part, entry, field) -> row, column.
Locate = Callable[[str, str, str], "tuple[Row, str] | None"]

_CHECK_MESSAGE = re.compile(
    r"^(?P<part>\w+): entry (?P<entry>.+?): field '(?P<field>[^']*)': (?P<why>.*)$"
)
_QUOTED_ID = re.compile(r"'([A-Z]-[A-Z0-9-]+)'")


def cross_check(
    content: dict[str, Any],
    locate: Locate,
    file: str,
    failed: Collection[str],
    removed: Collection[str],
) -> list[Problem]:
    """Check the merged content as the files are checked; map each problem to its row."""
    try:
        catalogue_from_content(content)
    except CatalogueError as exc:
        return [
            problem
            for message in exc.problems
            if (problem := problem_of(message, locate, file, failed, removed)) is not None
        ]
    return []


def problem_of(
    message: str,
    locate: Locate,
    file: str,
    failed: Collection[str],
    removed: Collection[str],
) -> Problem | None:
    """Turn one catalogue message into a problem of the imported file (None: said already)."""
    match = _CHECK_MESSAGE.match(message)
    if match is None:
        return Problem(file, None, None, None, message)
    part, entry, field, why = match["part"], match["entry"], match["field"], match["why"]
    quoted = _QUOTED_ID.findall(why)
    if entry in failed or any(ref in failed for ref in quoted):
        return None  # follows from a row already reported as bad
    located = locate(part, entry, field)
    if located is not None:
        row, column = located
        return row.problem(column, why, quoted[0] if quoted else None)
    gone = [ref for ref in quoted if ref in removed]
    if gone:
        why = (
            f"would be removed (not in the file, --prune) but {part} entry {entry} "
            f"still refers to it in '{field}'"
        )
        return Problem(file, None, "id", gone[0], why)
    return Problem(file, None, None, None, f"{part} entry {entry}, field '{field}': {why}")
