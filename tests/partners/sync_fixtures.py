"""Helpers of the sync tests: an export folder, a local HTTP server for it, a store."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.migrate import upgrade
from partners.models import Partner
from settings import Settings
from tests.partners.fixtures import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PARTNERS = ROOT / "docs" / "examples" / "partners"
NEW_COURSE = (
    "id,title,summary,level,duration_hours,delivery,prerequisites,competencies,credits,"
    "voucher_eligible\n"
    "U-SYN-101,Synchronised Catalogues,How a nightly export keeps the catalogue current.,"
    "beginner,3,self-paced,,C-SECURITY,4,false\n"
)


@pytest.fixture(name="engine")
def sync_store(tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty partner store of the test's own (the `engine` fixture)."""
    store = create_db_engine(f"sqlite:///{tmp_path / 'partners.db'}")
    upgrade(store)
    yield store
    store.dispose()


def settings_for(engine: Engine, source: str | Path, **more: object) -> Settings:
    values: dict = {"database_url": engine.url.render_as_string(hide_password=False)}
    values |= {"jwt_secret": TEST_SECRET, "sync_source": str(source), **more}
    return Settings(_env_file=None, **values)


def export(folder: Path, *, courses: bool = False) -> Path:
    """An export folder: the example partner files, and a new course when asked."""
    shutil.copytree(EXAMPLE_PARTNERS, folder / "partners")
    if courses:
        (folder / "courses.csv").write_text(NEW_COURSE)
    return folder


EXAMPLE_PARTNER_COUNT = len((EXAMPLE_PARTNERS / "partners.csv").read_text().splitlines()) - 1


def partner_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Partner)) or 0


class ExportServer(http.server.ThreadingHTTPServer):
    """Serves a folder over plain http; ``status`` overrides every answer, ``delay`` the first."""

    def __init__(self, folder: Path, status: int | None = None, delay: float = 0.0) -> None:
        self.status, self.delay, self.requests = status, delay, []
        handler = functools.partial(_Handler, directory=str(folder))
        super().__init__(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/nightly/"


class _Handler(http.server.SimpleHTTPRequestHandler):
    server: ExportServer

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.server.requests.append(self.path)
        if len(self.server.requests) == 1 and self.server.delay:
            time.sleep(self.server.delay)  # a slow source keeps the run going
        if self.server.status is not None:
            self.send_error(self.server.status)
            return
        self.path = self.path.removeprefix("/nightly")
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(name="serve")
def export_server() -> Iterator[type[ExportServer]]:
    servers: list[ExportServer] = []

    def start(folder: Path, status: int | None = None, delay: float = 0.0) -> ExportServer:
        server = ExportServer(folder, status, delay)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start  # type: ignore[misc]
    for server in servers:
        server.shutdown()
        server.server_close()
