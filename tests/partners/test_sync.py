"""The sync of the office's export: directory and URL sources, failures, the schedule.

Real parts throughout: the import code of partners.importing on a SQLite store of the
test's own and a local HTTP server (plain http is fine for a test; production uses
https). One runner at a time: tests/partners/test_sync_guard.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.sync_scheduler import SyncScheduler, parse_schedule, slot_of
from partners.releases import current_content
from partners.sync import runner, runs
from tests.partners.sync_fixtures import (  # noqa: F401 - the `engine` and `serve` fixtures
    EXAMPLE_PARTNER_COUNT,
    EXAMPLE_PARTNERS,
    ExportServer,
    export,
    export_server,
    partner_count,
    settings_for,
    sync_store,
)
from tests.ports import closed_port


def test_a_directory_export_is_imported_and_a_second_run_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    settings = settings_for(engine, export(tmp_path / "drop", courses=True))
    run = runner.run_sync(settings, engine, trigger="manual", actor="ops@example.com")
    assert run is not None and run.status == "ok", run
    assert (run.trigger, run.actor, run.source) == (
        "manual",
        "ops@example.com",
        str(tmp_path / "drop"),
    )
    assert run.report["files"][0] == "courses.csv" and "partners/people.csv" in run.report["files"]
    assert [i["kind"] for i in run.report["imports"]] == ["courses", "partners"]
    assert run.report["imports"][0]["added"] == ["U-SYN-101"]
    with Session(engine) as session:
        ids = {course["id"] for course in current_content(session)["courses"]}
    assert "U-SYN-101" in ids and partner_count(engine) == EXAMPLE_PARTNER_COUNT
    again = runner.run_sync(settings, engine, trigger="manual", actor="ops@example.com")
    assert again is not None and again.status == "no_change"
    assert runs.recent(engine, limit=1)[0].id == again.id


def test_an_http_export_is_fetched_by_name_and_missing_files_are_skipped(
    engine: Engine, tmp_path: Path, serve: type[ExportServer]
) -> None:
    server = serve(export(tmp_path / "drop"))
    run = runner.run_sync(settings_for(engine, server.url), engine, trigger="manual", actor="a")
    assert run is not None and run.status == "ok", run.report
    assert run.report["missing"] == ["competencies.csv", "courses.csv", "rules.csv"]
    assert sorted(run.report["files"]) == sorted(
        f"partners/{p.name}" for p in EXAMPLE_PARTNERS.glob("*.csv")
    )
    assert partner_count(engine) == EXAMPLE_PARTNER_COUNT
    assert "/nightly/courses.csv" in server.requests  # asked for, 404, skipped


@pytest.mark.parametrize("failure", ["no directory", "closed port", "HTTP 500", "empty"])
def test_a_failing_source_gives_a_failed_run_with_its_reason(
    failure: str, engine: Engine, tmp_path: Path, serve: type[ExportServer]
) -> None:
    source, reason = {
        "no directory": (tmp_path / "nowhere", "does not exist"),
        "closed port": (f"http://127.0.0.1:{closed_port()}/x/", "cannot fetch http://127.0.0.1"),
        "HTTP 500": (serve(tmp_path, status=500).url, "competencies.csv answered HTTP 500"),
        "empty": (tmp_path, "the source holds none of the expected files"),
    }[failure]
    run = runner.run_sync(settings_for(engine, source), engine, trigger="scheduled", actor="s")
    assert run is not None and run.status == "failed"
    assert reason in run.report["error"] and "Traceback" not in json.dumps(run.report)
    assert run.finished_at is not None and runs.running(engine) is None


def test_a_bad_row_fails_the_run_and_names_file_row_column_and_value(
    engine: Engine, tmp_path: Path
) -> None:
    drop = export(tmp_path / "drop")
    people = drop / "partners" / "people.csv"
    lines = people.read_text().splitlines()
    lines[2] = lines[2].replace("PW-10001", "PW-99999", 1)  # row 3: an unknown partner
    people.write_text("\n".join(lines) + "\n")
    run = runner.run_sync(settings_for(engine, drop), engine, trigger="manual", actor="a")
    assert run is not None and run.status == "failed"
    problems = run.report["imports"][0]["problems"]
    assert {
        "file": "partners/people.csv",
        "row": 3,
        "column": "partner_id",
        "value": "PW-99999",
    }.items() <= problems[0].items()
    assert "1 problem, nothing written" in run.report["error"]
    assert partner_count(engine) == 0


def test_the_scheduler_schedules_the_cron_and_shows_a_bad_one(
    engine: Engine, tmp_path: Path
) -> None:
    scheduler = SyncScheduler(settings_for(engine, tmp_path, sync_schedule="15 2 * * *"))
    scheduler.start()
    try:
        next_run = scheduler.next_run_time()
        assert next_run is not None and (next_run.hour, next_run.minute) == (2, 15)
        assert scheduler.problem is None
    finally:
        scheduler.shutdown()
    bad = SyncScheduler(settings_for(engine, tmp_path, sync_schedule="every night"))
    bad.start()
    assert bad.next_run_time() is None and "is not a cron expression" in (bad.problem or "")
    off = SyncScheduler(settings_for(engine, ""))
    off.start()
    assert not off.enabled and off.next_run_time() is None


def test_a_slot_is_the_fire_time_the_job_belongs_to() -> None:
    trigger = parse_schedule("15 2 * * *")
    fired = dt.datetime(2026, 12, 5, 2, 15, 0, 400_000, tzinfo=trigger.timezone)
    expected = fired.replace(microsecond=0).astimezone(dt.timezone.utc).isoformat()
    assert slot_of(trigger, fired) == expected
    assert slot_of(trigger, fired + dt.timedelta(seconds=40)) == expected
