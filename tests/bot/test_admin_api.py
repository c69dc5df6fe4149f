"""The admin API: imports over HTTP (the command line's report), sync status and run-now."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from partners.releases import current_content, latest_version
from partners.sync import runs
from tests.bot.test_rate_limits import app_with
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.knowledge.building import ensure_index
from tests.partners.fixtures import SAMPLE_OPERATOR

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PARTNERS = ROOT / "docs" / "examples" / "partners"
HEADER = (
    "id,title,summary,level,duration_hours,delivery,prerequisites,competencies,credits,"
    "voucher_eligible\n"
)
GOOD = HEADER + "U-API-101,Imports Over HTTP,Load a course file through the API.,beginner,2,"
GOOD += "self-paced,,C-SECURITY,3,false\n"
BAD = HEADER + (
    "U-API-201,Negative Hours,Hours below zero.,beginner,-3,self-paced,,C-SECURITY,3,false\n"
    "U-API-202,Unknown Competency,Nobody has it.,beginner,2,self-paced,,C-NOPE,3,false\n"
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def manager(web: WebApp) -> dict[str, str]:
    return bearer(web.sign_in(SAMPLE_OPERATOR, "demo"))


def upload(web: WebApp, headers: dict, kind: str, files: list, **params: str) -> dict:
    response = web.client.post(
        f"/v1/admin/imports/{kind}",
        params=params,
        files=[("files", file) for file in files],
        headers=headers,
    )
    return {"status": response.status_code, **response.json()}


def version(web: WebApp) -> int:
    with Session(web.store.engine) as session:
        return latest_version(session)


def test_a_bad_file_is_refused_naming_file_row_column_value_and_reason(
    web: WebApp, manager: dict
) -> None:
    before = version(web)
    answer = upload(web, manager, "courses", [("courses.csv", BAD.encode())])
    assert answer["status"] == 422
    assert answer["detail"] == "courses import of courses.csv: 2 problems, nothing written"
    found = {(p["file"], p["row"], p["column"], p["value"]) for p in answer["report"]["problems"]}
    assert ("courses.csv", 2, "duration_hours", "-3") in found
    assert ("courses.csv", 3, "competencies", "C-NOPE") in found
    assert all(p["reason"] for p in answer["report"]["problems"])
    assert version(web) == before and not answer["report"]["applied"]
    attempt = runs.recent(web.store.engine, limit=1)[0]  # the attempt is on record
    assert (attempt.trigger, attempt.actor, attempt.status) == ("upload", SAMPLE_OPERATOR, "failed")


def test_a_dry_run_reports_what_would_change_and_writes_nothing(web: WebApp, manager: dict) -> None:
    before, recorded = version(web), len(runs.recent(web.store.engine, limit=100))
    answer = upload(web, manager, "courses", [("courses.csv", GOOD.encode())], dry_run="true")
    assert answer["status"] == 200, answer
    assert (answer["dry_run"], answer["applied"], answer["added"]) == (True, False, ["U-API-101"])
    assert version(web) == before
    assert len(runs.recent(web.store.engine, limit=100)) == recorded


def test_an_applied_import_publishes_a_release_and_is_audited(web: WebApp, manager: dict) -> None:
    answer = upload(web, manager, "courses", [("courses.csv", GOOD.encode())])
    assert answer["status"] == 200, answer
    assert answer["applied"] and answer["version"] == version(web) >= 1
    with Session(web.store.engine) as session:
        assert "U-API-101" in {c["id"] for c in current_content(session)["courses"]}
    sync = web.client.get("/v1/admin/sync", headers=manager).json()
    audit = sync["recent"][0]
    assert (audit["trigger"], audit["actor"], audit["status"]) == ("upload", SAMPLE_OPERATOR, "ok")
    assert audit["source"] == "upload: courses (courses.csv)"
    assert audit["report"]["imports"][0]["added"] == ["U-API-101"]
    again = upload(web, manager, "courses", [("courses.csv", GOOD.encode())])
    assert again["status"] == 200 and (again["added"], again["applied"]) == ([], False)
    assert runs.recent(web.store.engine, limit=1)[0].status == "no_change"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def test_partner_records_come_as_one_zip_or_as_files(web: WebApp, manager: dict) -> None:
    example = {f"export/{p.name}": p.read_bytes() for p in EXAMPLE_PARTNERS.glob("*.csv")}
    as_zip = upload(web, manager, "partners", [("crm.zip", _zip(example))], dry_run="true")
    assert as_zip["status"] == 200, as_zip
    assert "partner PW-10001" in as_zip["added"] and as_zip["dry_run"]
    as_files = upload(
        web, manager, "partners",
        [(name.split("/")[1], data) for name, data in example.items()], dry_run="true",
    )  # fmt: skip
    assert as_files["added"] == as_zip["added"]
    people = example["export/people.csv"].decode().splitlines()
    people[2] = people[2].replace("PW-10001", "PW-99999", 1)
    example["export/people.csv"] = ("\n".join(people) + "\n").encode()
    bad = upload(web, manager, "partners", [("crm.zip", _zip(example))])
    assert bad["status"] == 422
    problem = bad["report"]["problems"][0]
    assert (problem["file"], problem["row"], problem["column"]) == ("people.csv", 3, "partner_id")


@pytest.mark.parametrize(
    ("kind", "files", "status", "detail"),
    [
        ("courses", [("a.csv", b"x"), ("b.csv", b"y")], 400, "send exactly one courses file"),
        ("courses", [("my courses.csv", b"x")], 400, "is not usable"),
        ("partners", [("crm.zip", b"not a zip")], 400, "crm.zip is not a zip file"),
        ("partners", [("crm.zip", _zip({"a.csv": b"x"})), ("people.csv", b"x")], 400, "not both"),
        ("courses", [("courses.csv", GOOD.encode() * 100)], 413, "larger than the limit"),
    ],
)
def test_an_upload_that_cannot_be_imported_gets_the_reason(
    web: WebApp, manager: dict, kind: str, files: list, status: int, detail: str
) -> None:
    with app_with(web.store, import_upload_limit_bytes="10000") as app:
        client = TestClient(app)
        response = client.post(
            f"/v1/admin/imports/{kind}", files=[("files", f) for f in files], headers=manager
        )
    assert response.status_code == status
    assert detail in response.json()["detail"]


@pytest.fixture(scope="module")
def synced(web: WebApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app with its lifespan run (the scheduler started) and a directory source."""
    drop = tmp_path_factory.mktemp("drop")
    nightly = GOOD.replace("U-API-101,Imports Over HTTP", "U-API-301,Nightly Course Drops")
    (drop / "courses.csv").write_text(nightly)
    ensure_index()
    with app_with(web.store, sync_source=str(drop)) as app, TestClient(app) as client:
        yield client


def test_operators_see_the_sync_and_a_program_manager_runs_it_now(
    web: WebApp, manager: dict, synced: TestClient
) -> None:
    state = synced.get("/v1/admin/sync", headers=manager).json()
    assert (state["enabled"], state["schedule"], state["lock"]) == (True, "15 2 * * *", "database")
    assert state["next_run"] is not None and state["problem"] is None
    started = synced.post("/v1/admin/sync/run", headers=manager)
    assert started.status_code == 202, started.text
    run = started.json()
    assert (run["status"], run["trigger"], run["actor"]) == ("running", "manual", SAMPLE_OPERATOR)
    deadline = time.monotonic() + 120
    while (state := synced.get("/v1/admin/sync", headers=manager).json())["running"]:
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    last = state["last_run"]
    assert (last["id"], last["status"]) == (run["id"], "ok")
    assert last["report"]["imports"][0]["added"] == ["U-API-301"], last["report"]
    assert last["finished_at"] is not None


def test_run_now_is_refused_while_another_run_holds_the_guard(
    web: WebApp, manager: dict, synced: TestClient
) -> None:
    held = runs.claim(
        web.store.engine,
        trigger="manual",
        source="s",
        actor="other",
        stale_after=dt.timedelta(hours=1),
    )
    assert held is not None
    try:
        busy = synced.post("/v1/admin/sync/run", headers=manager)
        assert busy.status_code == 409 and "another sync or import is running" in busy.text
        upload_busy = synced.post(
            "/v1/admin/imports/courses", files={"files": ("courses.csv", GOOD)}, headers=manager
        )
        assert upload_busy.status_code == 409
        assert synced.get("/v1/admin/sync", headers=manager).json()["running"]["actor"] == "other"
    finally:
        runs.finish(web.store.engine, held.id, "failed", {"error": "test"})
