"""Import a program office's partner records: one CRM export file per record kind.

``import_partner_records(session, directory)`` reads ``partners``, ``people``,
``certifications``, ``completions``, ``competencies`` (earned), ``revenue``,
``satisfaction`` and ``vouchers`` (each ``.csv`` or ``.jsonl``; the columns are in
``docs/data.md`` "Partner records", with an example export in
``docs/examples/partners/``). An export may hold any of these files; a kind whose
file is missing is left as it is.

Every row of every file is checked (types, dates, amounts, duplicate keys) and so is
everything it refers to (partners, people, courses, competencies, countries, tiers:
against the export, the store and the program catalogue the app serves). Any
problem means nothing is written, and the report names each one. A good export is
written in one transaction; the same export twice changes nothing. Records the
files lack are removed only with ``prune`` (and what goes with them is listed).

Partners the office imports are labelled ``office`` (``partners.source``); the sample
seed's partners stay ``sample`` and are never mixed with office records. Imported
partners get no passcode: real partners sign in through the portal.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from knowledge.catalogue import Catalogue, catalogue_from_content
from partners.importing.partner_plan import Plan, plan_import
from partners.importing.partner_rows import KINDS, PARTNERS, Parsed, parse_rows
from partners.importing.partner_store import load_state, lock_for_import
from partners.importing.partner_write import apply_changes, attached_to
from partners.importing.report import ImportReport, Progress, tracked
from partners.importing.tabular import (
    SUPPORTED_SUFFIXES,
    ColumnMapping,
    Problem,
    load_mapping,
    read_table,
)

logger = logging.getLogger(__name__)

MappingArg = Path | str | ColumnMapping | None


def import_partner_records(
    session: Session,
    directory: Path | str,
    *,
    mapping: MappingArg = None,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    catalogue: Catalogue | None = None,
) -> ImportReport:
    """Check an export directory and, when every row is good, write it in one transaction.

    Args:
        session: A session on the partner store; committed when the import is written,
            rolled back when the database refuses it.
        directory: The export: ``partners.csv``, ``people.csv``, ... (or ``.jsonl``).
        mapping: A column-mapping file (or a loaded mapping) for the CRM's header names.
        prune: Remove the records the files lack (for the kinds the export holds),
            the sample partners included.
        dry_run: Check and report what would change, writing nothing.
        progress: Told how far reading, checking and writing have come.
        catalogue: The program catalogue to check ids against; by default the
            store's newest catalogue release, else the catalogue this process serves.

    Returns:
        The report: every problem, or the records added, changed and removed
        (``applied`` when they were written).

    """
    directory = Path(directory)
    report = ImportReport(PARTNERS, [], dry_run)
    files = _export_files(directory, report)
    column_mapping = _mapping(mapping, report)
    report.files = [str(path) for path in files.values()]
    if not files or report.problems:
        return report
    parsed: dict[str, Parsed] = {}
    unreadable = False
    for name, path in files.items():
        kind = KINDS[name]
        file = str(path)
        table = read_table(
            path, kind=name, columns=kind.columns, required=kind.required, mapping=column_mapping
        )
        report.problems += table.problems
        if any(p.row in (None, 1) for p in table.problems) or (table.problems and not table.rows):
            unreadable = True  # the file or its header is wrong; its cells would repeat that
            continue
        rows = tracked(table.rows, progress, f"{path.name}: checking rows", len(table.rows))
        parsed[name] = parse_rows(kind, file, rows)
        report.problems += parsed[name].problems
    if unreadable:
        return report  # references to a file we could not read would only mislead
    catalogue = catalogue or store_catalogue(session)
    if not dry_run and not report.problems:
        lock_for_import(session)  # what the plan reads must hold until it is written
    plan = plan_import(parsed, load_state(session), catalogue, prune)
    report.problems += plan.problems
    if report.problems:
        session.rollback()  # end the read transaction; nothing was written
        return report
    _fill(report, plan, session, set(files))
    if dry_run or not report.has_changes:
        session.rollback()
        return report
    try:
        apply_changes(
            session,
            plan.changes,
            [*plan.removed_partners, *plan.replaced_partners],
            plan.replaced_partners,
            progress,
        )
        session.commit()
    except Exception as exc:
        session.rollback()
        # COPY runs on the driver itself, so its errors are psycopg's, not SQLAlchemy's.
        if not isinstance(exc, SQLAlchemyError) and not type(exc).__module__.startswith("psycopg"):
            raise
        logger.exception("partner records import refused by the database")
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        why = f"the database refused the import, nothing was written: {type(exc).__name__}"
        why += f": {first_line}" if first_line else ""
        report.problems.append(Problem(str(directory), None, None, None, why))
        return report
    report.applied = True
    return report


def store_catalogue(session: Session) -> Catalogue:
    """Return the catalogue the app serves: the store's newest release, else the live one."""
    from partners import releases

    if releases.latest_version(session) > 0:
        return catalogue_from_content(releases.current_content(session))
    from knowledge import live

    return live.current().catalogue


def _export_files(directory: Path, report: ImportReport) -> dict[str, Path]:
    """Find the export's file per record kind (in writing order); report odd files."""
    where = str(directory)
    if not directory.is_dir():
        report.problems.append(Problem(where, None, None, None, "not a directory"))
        return {}
    found: dict[str, Path] = {}
    for path in sorted(directory.iterdir()):
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES or not path.is_file():
            continue  # a README or a mapping file beside the export
        name = path.stem.lower()
        if name not in KINDS:
            known = ", ".join(KINDS)
            why = f"not a partner-records file: expected one of {known} (.csv or .jsonl)"
            report.problems.append(Problem(str(path), None, None, None, why))
        elif name in found:
            why = f"two files for {name}: {found[name].name} and {path.name}; keep one"
            report.problems.append(Problem(str(path), None, None, None, why))
        else:
            found[name] = path
    if not found and not report.problems:
        why = f"no partner-records file: expected {', '.join(KINDS)} (.csv or .jsonl)"
        report.problems.append(Problem(where, None, None, None, why))
    return {name: found[name] for name in KINDS if name in found}


def _mapping(mapping: MappingArg, report: ImportReport) -> ColumnMapping | None:
    if mapping is None or isinstance(mapping, ColumnMapping):
        return mapping
    loaded, problems = load_mapping(Path(mapping))
    report.problems += problems
    return loaded


def _fill(report: ImportReport, plan: Plan, session: Session, present: set[str]) -> None:
    """Put the plan's ids, counts and what goes with removals into the report."""
    for name, change in plan.changes.items():
        report.added += change.added_ids
        report.changed += change.changed_ids
        report.removed += change.removed_ids
        report.unchanged += change.unchanged
        if name in present or change.removed:
            report.notes.append(
                f"{name}: {len(change.added_ids)} added, {len(change.changed_ids)} changed, "
                f"{len(change.removed_ids)} removed, {change.unchanged} unchanged"
                + ("" if name in present else " (no file: removed with their partner or person)")
            )
    missing = [name for name in KINDS if name not in present]
    if missing:
        report.notes.append(f"not in this export, left as they are: {', '.join(missing)}")
    detached = [*plan.removed_partners, *plan.replaced_partners]
    if plan.removed_partners:
        of_them = f" ({plan.sample_removed} of them sample)" if plan.sample_removed else ""
        report.notes.append(
            f"{len(plan.removed_partners)} partners{of_them} are not in the export and go "
            "(--prune), with their people, certifications, completions, competencies, "
            "revenue, satisfaction scores and vouchers (each one is in the removed list)"
        )
    if plan.replaced_partners:
        report.notes.append(
            f"{len(plan.replaced_partners)} sample partners are replaced by the office's "
            "partners with the same id; their sample records and sample passcode go"
        )
    if detached:
        attached = attached_to(session, detached)
        report.notes.append(
            f"for the partners removed or replaced, {attached.chat_links} chat links and "
            f"{attached.chat_sessions} signed-in chat sessions go; their "
            f"{attached.handoff_tickets} handoff tickets stay, without a partner"
        )
    if plan.sample_left:
        report.notes.append(
            f"{plan.sample_left} sample partners remain in the store, labelled sample; "
            "an import with --prune and a partners file removes them"
        )
