"""Admin API of the program office: imports over HTTP, and the sync's state and runs.

- ``POST /v1/admin/imports/{kind}`` (program managers): the command line's import
  (``partner-assistant import ...``) for an uploaded file; the same report. 200 when
  the import was applied or the dry run found nothing wrong, 422 with the report
  (every problem with file, row, column, value and reason) when any row is bad.
- ``GET /v1/admin/sync`` (any operator): the configured source and schedule, the run
  in progress, the last run with its report, the next run time.
- ``POST /v1/admin/sync/run`` (program managers): start a run now (202).

An applied upload is recorded as a sync run (trigger ``upload``, the operator as its
actor, its report): the audit of who imported what, and the same one-runner guard as
the sync, so an upload never interleaves with a sync run.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from bot.admin_uploads import Budget, UploadError, UploadTooLargeError, partner_folder, save_uploads
from bot.api_errors import ErrorOut, ValidationIssue
from bot.deps import Context, OperatorCaller, ProgramManager
from bot.sync_scheduler import SyncScheduler
from partners.importing.report import ImportReport
from partners.sync import runner, runs
from partners.sync.runner import REPORT_LIMIT
from partners.sync.source import describe
from settings import Settings, get_settings

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/admin", tags=["admin"])

ImportKind = Literal["courses", "competencies", "rules", "partners"]
SYNC_OFF = "the sync is off: no source is configured (PA_SYNC_SOURCE)"
_BUSY = {"model": ErrorOut, "description": "Another sync run or import is running."}


class ProblemOut(BaseModel):
    """One bad row (or file): where it is, as a spreadsheet shows it, and why."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str


class ImportReportOut(BaseModel):
    """What an import found and did, as ``partner-assistant import`` reports it."""

    summary: str
    kind: str
    files: list[str]
    dry_run: bool
    ok: bool
    applied: bool
    version: int | None
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int
    problems: list[ProblemOut]
    notes: list[str]
    counts: dict[str, int] = Field(
        description="Full numbers of added, changed, removed records and of problems."
    )
    truncated: bool = Field(
        description=f"True when a list above holds only its first {REPORT_LIMIT} entries."
    )


class ImportRefusedOut(BaseModel):
    """A refused import: ``detail`` says why, ``report`` lists every problem."""

    detail: str | list[ValidationIssue]
    report: ImportReportOut | None = None


class SyncRunOut(BaseModel):
    """One sync run (or applied upload) and its report."""

    id: int
    status: Literal["running", "ok", "failed", "no_change"]
    trigger: Literal["scheduled", "manual", "upload"]
    actor: str
    source: str
    slot: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    report: dict[str, Any]


class SyncStatusOut(BaseModel):
    """The sync as configured in this deployment, and its runs."""

    enabled: bool
    source: str | None
    schedule: str
    lock: Literal["redis", "database"]
    next_run: dt.datetime | None
    problem: str | None
    running: SyncRunOut | None
    last_run: SyncRunOut | None
    recent: list[SyncRunOut]


def sync_scheduler(request: Request) -> SyncScheduler:
    """Return the app's scheduler (one unstarted, if the lifespan did not start one)."""
    scheduler: SyncScheduler | None = getattr(request.app.state, "sync_scheduler", None)
    if scheduler is None:
        scheduler = SyncScheduler(get_settings())
        request.app.state.sync_scheduler = scheduler
    return scheduler


def _run_out(run: runs.RunView | None) -> SyncRunOut | None:
    return SyncRunOut.model_validate(run.as_json()) if run else None


@router.post(
    "/imports/{kind}",
    response_model=ImportReportOut,
    responses={
        400: {"model": ErrorOut, "description": "The upload cannot be imported; see detail."},
        409: _BUSY,
        413: {"model": ErrorOut, "description": "The upload is larger than the limit."},
        422: {"model": ImportRefusedOut, "description": "Bad rows: the report lists each."},
    },
)
def import_upload(
    kind: ImportKind,
    files: Annotated[
        list[UploadFile], File(description="The file; for partners its files or one zip.")
    ],
    identity: ProgramManager,
    context: Context,
    mapping: Annotated[UploadFile | None, File(description="A column-mapping file (YAML).")] = None,
    dry_run: Annotated[bool, Query(description="Check and report; write nothing.")] = False,
    prune: Annotated[bool, Query(description="Remove records the file does not hold.")] = False,
) -> ImportReportOut | JSONResponse:
    """Import an uploaded export file, as ``partner-assistant import KIND FILE`` does.

    Raises:
        HTTPException: 400 for an upload that cannot be read as asked, 409 while a
            sync or another import runs, 413 for one over the size limit.

    """
    settings = context.settings
    with tempfile.TemporaryDirectory(prefix="pa-upload-") as folder:
        root = Path(folder)
        try:
            path, mapping_path = _lay_out(
                kind, files, mapping, root, settings.import_upload_limit_bytes
            )
        except UploadTooLargeError as exc:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(exc)) from exc
        except UploadError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
        engine = context.engine
        # Problems name the files as sent (a partner zip's members by their own names).
        shown_from = path if kind == "partners" else root
        if dry_run:
            report = runner.import_path(
                engine, kind, path, prune=prune, dry_run=True, mapping=mapping_path,
                shown_from=shown_from,
            )  # fmt: skip
        else:
            report = _applied_import(
                settings, engine, identity.subject, kind, path, prune, mapping_path, shown_from
            )
    body = ImportReportOut.model_validate(runner.report_json(report))
    if not report.ok:
        refused = ImportRefusedOut(detail=report.summary(), report=body)
        return JSONResponse(
            refused.model_dump(mode="json"), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    return body


def _lay_out(
    kind: str, files: list[UploadFile], mapping: UploadFile | None, root: Path, limit: int
) -> tuple[Path, Path | None]:
    """Save the upload: return the path to import and the mapping file's path."""
    budget = Budget(limit)
    incoming = root / "incoming"
    incoming.mkdir()
    saved = save_uploads(files, incoming, budget)
    mapping_path = save_uploads([mapping], root, budget)[0] if mapping is not None else None
    if kind == "partners":
        return partner_folder(saved, root, budget), mapping_path
    if len(saved) != 1:
        raise UploadError(f"send exactly one {kind} file (.csv or .jsonl), not {len(saved)}")
    path = root / saved[0].name
    saved[0].rename(path)
    return path, mapping_path


def _applied_import(
    settings: Settings,
    engine: Engine,
    actor: str,
    kind: str,
    path: Path,
    prune: bool,
    mapping: Path | None,
    shown_from: Path,
) -> ImportReport:
    """Run an import that writes, as the one runner, recorded as an ``upload`` run."""
    names = sorted(p.name for p in path.iterdir()) if path.is_dir() else [path.name]
    source = f"upload: {kind} ({', '.join(names)})"
    claimed = runner.claim(settings, engine, trigger="upload", actor=actor, source=source)
    if claimed is None:
        raise HTTPException(status.HTTP_409_CONFLICT, runner.BUSY)
    outcome = "failed"
    record: dict[str, Any] = {"source": source, "imports": []}
    try:
        report = runner.import_path(
            engine, kind, path, prune=prune, mapping=mapping, shown_from=shown_from
        )
        record["imports"] = [runner.report_json(report)]
        outcome = "failed" if not report.ok else "ok" if report.has_changes else "no_change"
        if not report.ok:
            record["error"] = report.summary()
    except Exception as exc:
        record["error"] = runner.UNEXPECTED.format(name=type(exc).__name__)
        raise
    finally:
        claimed.finish(outcome, record)
    logger.info("import of %s by %s: %s", kind, actor, report.summary())
    return report


@router.get("/sync")
def sync_status(identity: OperatorCaller, request: Request) -> SyncStatusOut:
    """Return the sync's source, schedule, run in progress, last run and next run."""
    scheduler = sync_scheduler(request)
    settings = scheduler.settings
    recent = runs.recent(scheduler.engine, limit=10)
    last = runs.recent(scheduler.engine, limit=1, triggers=("scheduled", "manual"))
    return SyncStatusOut(
        enabled=scheduler.enabled,
        source=describe(settings.sync_source.strip()) if scheduler.enabled else None,
        schedule=settings.sync_schedule,
        lock="redis" if settings.sync_lock_url.strip() else "database",
        next_run=scheduler.next_run_time(),
        problem=scheduler.problem,
        running=_run_out(runs.running(scheduler.engine)),
        last_run=_run_out(last[0] if last else None),
        recent=[run for run in map(_run_out, recent) if run is not None],
    )


@router.post("/sync/run", status_code=status.HTTP_202_ACCEPTED, responses={409: _BUSY})
def run_sync_now(identity: ProgramManager, request: Request) -> SyncRunOut:
    """Start a sync run now; it goes on in the background (watch ``GET /v1/admin/sync``).

    Raises:
        HTTPException: 409 when the sync is off or a run (or import) is in progress.

    """
    scheduler = sync_scheduler(request)
    if not scheduler.enabled:
        raise HTTPException(status.HTTP_409_CONFLICT, SYNC_OFF)
    run = scheduler.run_now(identity.subject)
    if run is None:
        raise HTTPException(status.HTTP_409_CONFLICT, runner.BUSY)
    logger.info("sync run %d started by %s", run.id, identity.subject)
    out = _run_out(run)
    assert out is not None
    return out
