"""Mark imported catalogue parts as the program office's own, so their sample label goes.

``knowledge.models.ProgramRules.figure_sources`` says where each figure and each
catalogue part (``competencies``, ``courses``) comes from. A part is one source as a
whole, so an import marks it ``office`` only when, afterwards, every entry of the
part came from the office's file; a partial file leaves sample entries beside the
office's, and the label stays until they are replaced or pruned.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from typing import Any

from knowledge import figure_paths


def mark_part(
    content: dict[str, Any], part: str, imported_ids: Collection[str]
) -> tuple[dict[str, Any], bool]:
    """Return ``content`` with ``part`` marked ``office`` if the file now holds all of it.

    Args:
        content: Catalogue content after the merge (keys competencies, courses, rules, facts).
        part: ``competencies`` or ``courses`` (facts carry a source per fact).
        imported_ids: Ids of the entries the file held.

    Returns:
        The content (a new dict when marked) and whether the part is still not the
        office's own after this import.

    """
    if part not in figure_paths.PARTS:
        return content, False
    source = content["rules"].get("figure_sources", {}).get(part)
    source = source or content["rules"].get("default_source", "sample")
    whole = all(entry["id"] in imported_ids for entry in content[part])
    if not whole:
        return content, source == "sample"
    if source == "office":
        return content, False
    rules = copy.deepcopy(content["rules"])
    figure_paths.mark_sources(rules, [part], "office")
    return dict(content, rules=rules), False
