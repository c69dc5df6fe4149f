"""More Rasa servers beside the test stack, and the faults the Slack tests inflict on them.

- ``start_rasa``: one more Rasa server, started as the launcher starts one.
- ``TcpProxy``: a service (Redis, PostgreSQL) reached through a local port the test can
  cut: every open connection is dropped and new ones are closed at once, as when the
  service goes down; ``restore`` brings it back.
- ``SilentServer``: an action endpoint that accepts connections and never answers, so a
  Rasa server working on a message hangs there until the test kills it.
- ``postgres_schema``: a schema of the local test database of one's own, so a test's
  Slack inbox shares rows with no other test run.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from scripts.launch import ROOT, rasa_command
from tests.conftest import model_path


def start_rasa(
    port: int, endpoints: str, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """Start a Rasa server on ``port``; the caller waits for it (tests.processes)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            rasa_command(model_path(), port, endpoints),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


POSTGRES = "postgresql://postgres@127.0.0.1:{port}/test"


@contextmanager
def postgres_schema(port: int = 5432) -> Iterator[tuple[str, str]]:
    """Yield a new schema of the test database and a SQLAlchemy URL that works in it.

    The URL (for Rasa's environment: psycopg2) connects through ``port`` (a proxy of
    5432, say); the schema is dropped afterwards.
    """
    name = f"slack_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES.format(port=5432), autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name, POSTGRES.format(port=port) + f"?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(POSTGRES.format(port=5432), autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{name}" CASCADE')


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


class TcpProxy:
    """Forwards a free local port to ``127.0.0.1:<target_port>`` until cut."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._open = True
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, name=f"proxy-{self.port}", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if not self._open:
                    client.close()
                    continue
                try:
                    upstream = socket.create_connection(("127.0.0.1", self.target_port))
                except OSError:
                    client.close()
                    continue
                self._connections += [client, upstream]
            threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()

    def cut(self) -> None:
        """Drop every connection and refuse new ones: the service is down."""
        with self._lock:
            self._open = False
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._connections.clear()

    def restore(self) -> None:
        """Forward again: the service is back."""
        with self._lock:
            self._open = True

    def close(self) -> None:
        """Stop listening and drop everything."""
        self.cut()
        self._listener.close()


class SilentServer:
    """Accepts connections on a free local port, reads nothing, answers nothing."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.called = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, name="silent", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._held.append(connection)
            self.called.set()

    def close(self) -> None:
        """Close the held connections and the listener."""
        for connection in self._held:
            connection.close()
        self._listener.close()
