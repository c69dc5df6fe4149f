"""References of rows that failed their model: unknown ids and prerequisite cycles.

Rows that pass their model are checked with the whole catalogue afterwards
(``catalogue_problems``); a bad row is not in that check, so what it refers to is
checked here, and every problem of the file is reported in one run.
"""

from __future__ import annotations

from typing import Any

from partners.importing.catalogue_rows import EntryKind
from partners.importing.tabular import Problem, Row, split_multi


def reference_problems(kind: EntryKind, row: Row, ids: dict[str, set[str]]) -> list[Problem]:
    """Check the ids a bad row refers to, so its problems are all reported at once.

    Rows that pass their model are checked with the whole catalogue afterwards; a
    row that failed it is not in that check, so its references are checked here.

    Args:
        kind: The kind of file.
        row: A row that failed its model.
        ids: Known ids per part (``courses``, ``competencies``), the file's included.

    """
    references = {
        "courses": (("prerequisites", "courses"), ("competencies", "competencies")),
        "competencies": (("required_courses", "courses"),),
    }.get(kind.content_key, ())
    singular = {"courses": "course", "competencies": "competency"}
    problems = []
    for column, part in references:
        for ref in split_multi(row.get(column)):
            if ref not in ids[part]:
                why = f"unknown {singular[part]} '{ref}'"
                problems.append(row.problem(column, why, ref))
    return problems


def cycles_through_bad_rows(
    existing: list[dict[str, Any]], rows: dict[str, Row], failed: set[str]
) -> list[Problem]:
    """Find prerequisite cycles that pass through a row that failed its model.

    The whole-catalogue check finds cycles among good entries; a bad row is not in
    it, so a cycle through one would only show once the row is fixed.

    Args:
        existing: The current courses (catalogue content).
        rows: The file's first row per course id.
        failed: Ids of the rows that failed their model.

    Returns:
        One problem per cycle, on the first bad row in it, naming the whole cycle.

    """
    graph = {course["id"]: list(course["prerequisites"]) for course in existing}
    graph.update(
        {course_id: split_multi(row.get("prerequisites")) for course_id, row in rows.items()}
    )
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()
    for start in sorted(failed & set(rows)):
        path = _path_back(graph, start)
        if path is None or frozenset(path) in reported:
            continue
        reported.add(frozenset(path))
        cycle = " -> ".join([*path, start])
        row = rows[start]
        problems.append(row.problem("prerequisites", f"prerequisite cycle {cycle}", path[1]))
    return problems


def _path_back(graph: dict[str, list[str]], start: str) -> list[str] | None:
    """Return a prerequisite path from ``start`` back to itself (breadth first), if any."""
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in graph.get(node, []):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return path[::-1]
            if child not in previous and child in graph:
                previous[child] = node
                queue.append(child)
    return None
