"""Import course, competency, fact and rule files into the live program catalogue.

An import reads the whole file, checks every row (types, required values, ids,
references, prerequisite cycles, the rules' consistency), merges the rows into the
current catalogue content and checks the result exactly as the shipped files are
checked (``knowledge.catalogue.catalogue_from_content``). Any problem means nothing
is written and every problem is reported; a good file is published as one new
catalogue release (``partners.releases.publish``), which every app process picks up.

Merging: rows add or replace entries by id; entries the file does not hold stay
unless ``prune`` is set, and a removal that another entry still depends on is a
problem. The same file twice changes nothing and publishes no release.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partners.importing import provenance
from partners.importing.catalogue_problems import cross_check
from partners.importing.catalogue_refs import cycles_through_bad_rows, reference_problems
from partners.importing.catalogue_rows import (
    COMPETENCIES,
    COURSES,
    FACTS,
    EntryKind,
    entry_from_row,
)
from partners.importing.report import ImportReport, Progress, tracked
from partners.importing.rule_figures import (
    FIGURE_COLUMNS,
    apply_figures,
    figure_of_check,
    find_row,
)
from partners.importing.tabular import (
    ColumnMapping,
    Problem,
    Row,
    load_mapping,
    read_table,
    unique_rows,
)
from partners.releases import current_content, publish

logger = logging.getLogger(__name__)

MappingArg = Path | str | ColumnMapping | None


def import_courses(
    session: Session,
    path: Path,
    *,
    mapping: MappingArg = None,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a course file (``.csv`` or ``.jsonl``; columns in ``docs/data.md``).

    Args:
        session: A session on the partner store (catalogue releases live there).
        path: The file.
        mapping: A column-mapping file (or a loaded mapping) for other header names.
        prune: Remove courses the file does not hold.
        dry_run: Check and report what would change without writing.
        progress: Told how far the row checks have come.

    Returns:
        The report; ``applied`` is True when a new catalogue release was published.

    """
    return _import_entries(session, COURSES, path, mapping, prune, dry_run, progress)


def import_competencies(
    session: Session,
    path: Path,
    *,
    mapping: MappingArg = None,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a competency file; arguments and result as for ``import_courses``."""
    return _import_entries(session, COMPETENCIES, path, mapping, prune, dry_run, progress)


def import_facts(
    session: Session,
    path: Path,
    *,
    mapping: MappingArg = None,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a facts file (answerable text); arguments and result as for ``import_courses``."""
    return _import_entries(session, FACTS, path, mapping, prune, dry_run, progress)


def import_rules(
    session: Session,
    path: Path,
    *,
    mapping: MappingArg = None,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a figures file (``figure,value`` rows) into the program rules.

    Each imported figure becomes the office's own: its sample label goes. ``prune``
    does not apply (a figures file names figures, not whole entries) and is reported
    as a problem rather than ignored.

    Args:
        session: A session on the partner store.
        path: The figures file.
        mapping: A column-mapping file (or a loaded mapping) for other header names.
        prune: Not supported for rules.
        dry_run: Check and report what would change without writing.
        progress: Told how far the row checks have come.

    Returns:
        The report; ids are the canonical figure paths.

    """
    file = str(path)
    report = ImportReport("rules", [file], dry_run)
    if prune:
        why = "--prune does not apply to rules: a figures file changes only the figures it names"
        report.problems.append(Problem(file, None, None, None, why))
    table = read_table(
        path,
        kind="rules",
        columns=FIGURE_COLUMNS,
        required=FIGURE_COLUMNS,
        mapping=_mapping(mapping, report),
    )
    report.problems += table.problems
    rows = list(tracked(table.rows, progress, f"{file}: checking figures", len(table.rows)))
    if not rows:
        return _no_rows(report)
    content = current_content(session)
    figures = apply_figures(content["rules"], rows)
    report.problems += figures.problems
    if figures.rules is None:
        return report
    report.added, report.changed = figures.added, figures.changed
    report.unchanged = figures.unchanged
    if figures.relabelled:
        report.notes.append(
            f"{len(figures.relabelled)} figures kept their value and lose their sample label: "
            + ", ".join(figures.relabelled)
        )
    new_content = dict(content, rules=figures.rules)

    def locate(part: str, entry: str, field: str) -> tuple[Row, str] | None:
        if part != "rules":
            return None
        row = find_row(figures.rows, figure_of_check(entry, field))
        return None if row is None else (row, "value")

    report.problems += cross_check(new_content, locate, file, set(), [])
    return _finish(session, report, content, new_content)


def _import_entries(
    session: Session,
    kind: EntryKind,
    path: Path,
    mapping: MappingArg,
    prune: bool,
    dry_run: bool,
    progress: Progress | None,
) -> ImportReport:
    """Read, check, merge and publish a file of entries with ids."""
    file = str(path)
    report = ImportReport(kind.name, [file], dry_run)
    table = read_table(
        path,
        kind=kind.name,
        columns=kind.columns,
        required=kind.required,
        mapping=_mapping(mapping, report),
    )
    report.problems += table.problems
    first_of, duplicates = unique_rows(table.rows, "id")
    report.problems += duplicates
    entries: dict[str, tuple[Row, dict[str, Any]]] = {}
    failed: set[str] = set()  # ids of bad rows: problems that follow from them are not repeated
    for row in tracked(table.rows, progress, f"{file}: checking rows", len(table.rows)):
        entry, problems = entry_from_row(kind, row)
        report.problems += problems
        if entry is None:
            failed.add(row.get("id"))
        elif first_of.get(entry["id"]) is row:
            entries[entry["id"]] = (row, entry)
    if not table.rows:
        return _no_rows(report)
    content = current_content(session)
    known = {
        part: {e["id"] for e in content[part]} for part in ("courses", "competencies", "facts")
    }
    known[kind.content_key] |= {row.get("id") for row in table.rows}
    for row in table.rows:
        if row.get("id") in failed and first_of.get(row.get("id")) is row:
            report.problems += reference_problems(kind, row, known)
    if kind is COURSES:
        good = {row.get("id") for row, _entry in entries.values()}
        report.problems += cycles_through_bad_rows(content["courses"], first_of, failed - good)
    merged = _merge(kind, content[kind.content_key], entries, failed, prune, report)
    new_content, still_sample = provenance.mark_part(
        dict(content, **{kind.content_key: merged}), kind.content_key, entries
    )
    if still_sample:
        report.notes.append(
            f"the {kind.content_key} stay labelled as sample data: entries this file does not "
            "hold remain from the sample catalogue (import the complete file with --prune)"
        )

    def locate(part: str, entry: str, field: str) -> tuple[Row, str] | None:
        if part != kind.content_key or entry not in entries:
            return None
        return entries[entry][0], field.split(".")[-1]

    report.problems += cross_check(new_content, locate, file, failed, report.removed)
    return _finish(session, report, content, new_content)


def _mapping(mapping: MappingArg, report: ImportReport) -> ColumnMapping | None:
    """Load the column-mapping file if one is given; its problems go into the report."""
    if mapping is None or isinstance(mapping, ColumnMapping):
        return mapping
    loaded, problems = load_mapping(Path(mapping))
    report.problems += problems
    report.files.append(str(mapping))
    return loaded


def _no_rows(report: ImportReport) -> ImportReport:
    if not report.problems:
        why = "no rows to import (only a header, or an empty file)"
        report.problems.append(Problem(report.files[0], None, None, None, why))
    return report


def _merge(
    kind: EntryKind,
    existing: list[dict[str, Any]],
    entries: dict[str, tuple[Row, dict[str, Any]]],
    failed: Collection[str],
    prune: bool,
    report: ImportReport,
) -> list[dict[str, Any]]:
    """Upsert the file's entries by id, keeping the current order; new ones go last."""
    merged: list[dict[str, Any]] = []
    known: set[str] = set()
    for old in existing:
        entry_id = old["id"]
        known.add(entry_id)
        if entry_id in entries:
            new = entries[entry_id][1]
            merged.append(new)
            before = kind.model.model_validate(old).model_dump(mode="json")
            if new != before:
                report.changed.append(entry_id)
            else:
                report.unchanged += 1
        elif prune and entry_id not in failed:
            report.removed.append(entry_id)
        else:
            merged.append(old)
    for entry_id, (_row, entry) in entries.items():
        if entry_id not in known:
            merged.append(entry)
            report.added.append(entry_id)
    return merged


def _finish(
    session: Session, report: ImportReport, content: dict[str, Any], new_content: dict[str, Any]
) -> ImportReport:
    """Publish the new content unless there are problems, it is a dry run or nothing changed."""
    if report.problems or report.dry_run or new_content == content:
        return report
    source = f"import {report.kind} {report.files[0]}"
    try:
        result = publish(session, new_content, source=source, log=logger.info)
        session.commit()
    except IntegrityError:
        # Two publishers took the same version number; the other one's release stands.
        session.rollback()
        why = "another import published a catalogue release at the same moment; run this again"
        report.problems.append(Problem(report.files[0], None, None, None, why))
        return report
    report.applied = result.changed
    report.version = result.version
    if result.embedded:
        report.notes.append(f"{result.embedded} new or changed texts embedded for search")
    return report
