"""Named operator accounts: sign-in by e-mail, roles, the command line that creates them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from partners.models import Operator
from partners.operators import add_operator, find_operator
from partners.prestart import init_db
from tests.bot.web_fixtures import WebApp, web_app  # noqa: F401 - the `web` fixture
from tests.partners.fixtures import SAMPLE_OPERATOR, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
ADMIN_ONLY = ("POST", "/v1/admin/sync/run")
OPERATOR_ROUTES = [("GET", "/v1/admin/sync"), ("GET", "/v1/handoff/tickets")]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _add(web: WebApp, email: str, role: str, passcode: str = "a long passcode 1") -> None:
    with Session(web.store.engine) as session:
        add_operator(session, email, "Test Operator", role, passcode)
        session.commit()


def _sign_in(web: WebApp, username: str, passcode: str) -> dict:
    response = web.client.post("/v1/auth/token", data={"username": username, "password": passcode})
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def test_the_sample_operator_signs_in_as_a_program_manager(web: WebApp) -> None:
    body = _sign_in(web, "  OPS@Example.com ", "demo")
    assert (body["subject"], body["role"]) == (SAMPLE_OPERATOR, "program_manager")
    assert web.client.get("/v1/admin/sync", headers=bearer(body["access_token"])).status_code == 200
    wrong = web.client.post("/v1/auth/token", data={"username": SAMPLE_OPERATOR, "password": "x"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "unknown operator account or wrong passcode"


def test_the_sample_operator_is_seeded_once(web: WebApp) -> None:
    init_db(web.store.settings, engine=web.store.engine)
    with Session(web.store.engine) as session:
        emails = session.scalars(select(Operator.email)).all()
    assert emails.count(SAMPLE_OPERATOR) == 1


def test_a_partner_token_never_passes_an_operator_check(web: WebApp) -> None:
    partner = bearer(web.sign_in("P-0001"))
    for method, path in [("GET", "/v1/admin/sync"), ADMIN_ONLY]:
        response = web.client.request(method, path, headers=partner)
        assert response.status_code == 403, (path, response.text)
    closing = web.client.patch("/v1/handoff/tickets/1", json={"status": "closed"}, headers=partner)
    assert closing.status_code == 403
    upload = web.client.post(
        "/v1/admin/imports/courses", files={"files": ("courses.csv", b"id\n")}, headers=partner
    )
    assert upload.status_code == 403
    assert upload.json()["detail"] == "only operators of the program office may do this"


def test_an_operator_reads_but_only_a_program_manager_imports_and_syncs(web: WebApp) -> None:
    _add(web, "desk@example.com", "operator")
    token = _sign_in(web, "desk@example.com", "a long passcode 1")
    assert token["role"] == "operator"
    desk = bearer(token["access_token"])
    for method, path in OPERATOR_ROUTES:
        assert web.client.request(method, path, headers=desk).status_code == 200, path
    assert web.client.get("/v1/partners/P-0002/status", headers=desk).status_code == 200
    refused = web.client.post(
        "/v1/admin/imports/courses",
        params={"dry_run": "true"},
        files={"files": ("courses.csv", b"id\n")},
        headers=desk,
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "only a program manager of the program office may do this"
    assert web.client.post("/v1/admin/sync/run", headers=desk).status_code == 403
    manager = bearer(_sign_in(web, SAMPLE_OPERATOR, "demo")["access_token"])
    # The sample program manager may: the sync is off here, so running it is a 409.
    assert web.client.post("/v1/admin/sync/run", headers=manager).status_code == 409


def test_a_disabled_account_or_a_lowered_role_takes_effect_at_once(web: WebApp) -> None:
    _add(web, "leaver@example.com", "program_manager")
    _add(web, "demoted@example.com", "program_manager")
    leaver = bearer(_sign_in(web, "leaver@example.com", "a long passcode 1")["access_token"])
    demoted = bearer(_sign_in(web, "demoted@example.com", "a long passcode 1")["access_token"])
    with Session(web.store.engine) as session:
        find_operator(session, "leaver@example.com").disabled = True  # type: ignore[union-attr]
        find_operator(session, "demoted@example.com").role = "operator"  # type: ignore[union-attr]
        session.commit()
    gone = web.client.get("/v1/admin/sync", headers=leaver)
    assert gone.status_code == 401
    assert gone.json()["detail"] == "the access token names no active operator account"
    again = web.client.post(
        "/v1/auth/token", data={"username": "leaver@example.com", "password": "a long passcode 1"}
    )
    assert again.status_code == 401
    assert web.client.get("/v1/admin/sync", headers=demoted).status_code == 200
    assert web.client.post("/v1/admin/sync/run", headers=demoted).status_code == 403


def _cli(web: WebApp, *args: str, passcode: str | None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PA_DATABASE_URL": web.store.settings.effective_database_url,
        "PA_JWT_SECRET": TEST_SECRET,
    }
    env.pop("PA_NEW_OPERATOR_PASSCODE", None)
    if passcode is not None:
        env["PA_NEW_OPERATOR_PASSCODE"] = passcode
    command = [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())", *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )


def test_the_command_line_creates_an_account_that_signs_in(web: WebApp) -> None:
    made = _cli(
        web, "operators", "add", "New.Manager@example.com", "--name", "Nia Manager",
        "--role", "program_manager", passcode="correct horse battery",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "new.manager@example.com (program_manager) created" in made.stdout
    body = _sign_in(web, "new.manager@example.com", "correct horse battery")
    assert body["role"] == "program_manager"
    listed = _cli(web, "operators", "list", passcode=None)
    assert "new.manager@example.com\tprogram_manager\tactive\tNia Manager" in listed.stdout


def test_the_command_line_refuses_a_missing_short_or_repeated_passcode(web: WebApp) -> None:
    add = ["operators", "add", "short@example.com", "--name", "S", "--role", "operator"]
    no_passcode = _cli(web, *add, passcode=None)  # no variable and no terminal to ask on
    assert no_passcode.returncode == 1
    assert "set PA_NEW_OPERATOR_PASSCODE" in no_passcode.stderr
    short = _cli(web, *add, passcode="demo")
    assert short.returncode == 1 and "at least 12 characters" in short.stderr
    on_the_command_line = _cli(web, *add, "--passcode", "a long passcode 1", passcode=None)
    assert on_the_command_line.returncode == 2  # there is no such option
    twice = _cli(web, "operators", "add", SAMPLE_OPERATOR, "--name", "X", "--role", "operator",
                 passcode="a long passcode 1")  # fmt: skip
    assert twice.returncode == 1 and "already has an operator account" in twice.stderr
    with Session(web.store.engine) as session:
        count = session.scalar(
            select(func.count()).select_from(Operator).where(Operator.email == "short@example.com")
        )
    assert count == 0
