"""Run the sync, or an uploaded import, as the one runner of the deployment.

Exactly one runner at a time across processes: a Redis lock (``partners.runner_lock``,
on ``PA_SYNC_LOCK_URL``, with the stale timeout as its lifetime) when configured, and
always the database guard of ``partners.sync.runs`` (one ``running`` row; a scheduled
slot runs once). Without Redis, or while it is down, the database guard alone decides,
which holds for several processes on one SQLite file as on PostgreSQL.

Every run ends as a ``sync_runs`` row with its status (``ok``, ``no_change`` or
``failed``) and its report: the files read, each import's report (every problem with
file, row, column, value and reason) and, for a failed run, the reason in words. A
failing source or import is logged; an operator sees the reason, never a traceback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from partners.importing.report import ImportReport
from partners.runner_lock import NoLock, RedisRunnerLock, RunnerLock
from partners.sync import runs
from partners.sync.source import SourceError, describe, fetch_url, is_url, read_directory
from settings import Settings

logger = logging.getLogger(__name__)

IMPORT_KINDS = ("competencies", "courses", "rules", "partners")
BUSY = "another sync or import is running; try again when it has finished"
UNEXPECTED = "the run stopped on an unexpected error ({name}); the server log has the details"
ImportFunction = Callable[..., ImportReport]


def importer(kind: str) -> ImportFunction:
    """Return the import function for ``kind`` (loaded on first use: imports are heavy)."""
    if kind == "partners":
        from partners.importing.partner_records import import_partner_records

        return import_partner_records
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    from partners.importing import catalogue_import

    function: ImportFunction = getattr(catalogue_import, f"import_{kind}")
    return function


def import_path(
    engine: Engine,
    kind: str,
    path: Path,
    *,
    prune: bool = False,
    dry_run: bool = False,
    mapping: Path | None = None,
    shown_from: Path | None = None,
) -> ImportReport:
    """Import one file (or the partner records folder) in one transaction.

    Args:
        engine: The partner store.
        kind: ``competencies``, ``courses``, ``rules`` or ``partners``.
        path: The file, or for partners the folder of record files.
        prune: Remove records the file does not hold.
        dry_run: Only check and report.
        mapping: A column-mapping file for other header names.
        shown_from: File names in the report are made relative to this folder (the
            temporary folder an upload or a download went to).

    """
    with Session(engine) as session:
        report = importer(kind)(session, path, mapping=mapping, prune=prune, dry_run=dry_run)
        if report.ok and not dry_run:
            session.commit()  # a no-op where the import committed its own transaction
    return relative_names(report, shown_from) if shown_from else report


def relative_names(report: ImportReport, root: Path) -> ImportReport:
    """Return ``report`` naming files relative to ``root``, as the person sent them."""

    def shown(name: str) -> str:
        path = Path(name)
        return str(path.relative_to(root)) if path.is_relative_to(root) else name

    report.files = [shown(name) for name in report.files]
    report.problems = [dataclasses.replace(p, file=shown(p.file)) for p in report.problems]
    return report


# Ids and problems kept per list in a stored or returned report (``counts`` has the totals).
REPORT_LIMIT = 1000


def report_json(report: ImportReport) -> dict[str, Any]:
    """Return an import's report as a run stores it: its summary, then the capped report."""
    return {"summary": report.summary(), **report.as_json(limit=REPORT_LIMIT)}


def runner_lock(settings: Settings) -> RunnerLock:
    """Return the configured cross-process lock (Redis, or none)."""
    if not settings.sync_lock_url.strip():
        return NoLock()
    return RedisRunnerLock(
        settings.sync_lock_url.strip(), settings.sync_lock_key, settings.sync_stale_after_seconds
    )


class ClaimedRun:
    """A run that holds the lock and the guard; ``finish`` (always) lets them go."""

    def __init__(self, engine: Engine, lock: RunnerLock, run: runs.RunView) -> None:
        self.engine, self.lock, self.run = engine, lock, run

    def finish(self, status: str, report: dict[str, Any]) -> runs.RunView:
        """Record the outcome and release the lock."""
        try:
            return runs.finish(self.engine, self.run.id, status, report)
        finally:
            self.lock.release()


def claim(
    settings: Settings,
    engine: Engine,
    *,
    trigger: str,
    actor: str,
    source: str,
    slot: str | None = None,
) -> ClaimedRun | None:
    """Become the one runner, or return None when another run holds the lock or guard."""
    lock = runner_lock(settings)
    if not lock.acquire():
        return None
    stale_after = dt.timedelta(seconds=settings.sync_stale_after_seconds)
    try:
        run = runs.claim(
            engine, trigger=trigger, source=source, actor=actor, slot=slot, stale_after=stale_after
        )
    except BaseException:
        lock.release()
        raise
    if run is None:
        lock.release()
        return None
    return ClaimedRun(engine, lock, run)


def claim_sync(
    settings: Settings, engine: Engine, *, trigger: str, actor: str, slot: str | None = None
) -> ClaimedRun | None:
    """Claim a run of the configured sync (see ``claim``); None also when the sync is off."""
    if not settings.sync_source.strip():
        return None
    source = describe(settings.sync_source.strip())
    return claim(settings, engine, trigger=trigger, actor=actor, source=source, slot=slot)


def execute_sync(settings: Settings, claimed: ClaimedRun) -> runs.RunView:
    """Fetch the export, import what it holds in order, record and return the run."""
    source = settings.sync_source.strip()
    report: dict[str, Any] = {"source": describe(source), "files": [], "missing": [], "imports": []}
    status = "failed"
    try:
        status = _sync(settings, claimed.engine, source, report)
    except SourceError as exc:
        report["error"] = str(exc)
        logger.error("sync run %d failed: %s", claimed.run.id, exc)
    except Exception as exc:
        report["error"] = UNEXPECTED.format(name=type(exc).__name__)
        logger.exception("sync run %d failed", claimed.run.id)
    finally:
        view = claimed.finish(status, report)
    logger.info("sync run %d (%s by %s): %s", view.id, view.trigger, view.actor, view.status)
    return view


def _sync(settings: Settings, engine: Engine, source: str, report: dict[str, Any]) -> str:
    with tempfile.TemporaryDirectory(prefix="pa-sync-") as folder:
        if is_url(source):
            root = Path(folder)
            export = fetch_url(
                source,
                root,
                timeout=settings.sync_fetch_timeout_seconds,
                limit_bytes=settings.import_upload_limit_bytes,
            )
        else:
            root = Path(source)
            export = read_directory(root)
        report["files"], report["missing"] = export.fetched, export.missing
        if export.empty:
            raise SourceError(
                f"the source holds none of the expected files ({', '.join(export.missing)})"
            )
        for kind in IMPORT_KINDS:
            path = export.partners_dir if kind == "partners" else export.files.get(kind)
            if path is None:
                continue
            result = import_path(engine, kind, path, prune=settings.sync_prune, shown_from=root)
            report["imports"].append(report_json(result))
            if not result.ok:
                report["error"] = f"{result.summary()}; the files after it were not imported"
                logger.error("sync: %s", report["error"])
                return "failed"
    changed = any(i["added"] or i["changed"] or i["removed"] for i in report["imports"])
    return "ok" if changed else "no_change"


def run_sync(
    settings: Settings, engine: Engine, *, trigger: str, actor: str, slot: str | None = None
) -> runs.RunView | None:
    """Run the sync now if this caller can become the runner; None when it cannot."""
    claimed = claim_sync(settings, engine, trigger=trigger, actor=actor, slot=slot)
    if claimed is None:
        logger.info("sync (%s) skipped: sync is off, or another process runs or ran it", trigger)
        return None
    return execute_sync(settings, claimed)
