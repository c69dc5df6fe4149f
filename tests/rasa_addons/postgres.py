"""A private database on the local PostgreSQL server for a test, dropped after it.

Each test gets its own database, so that terminating its connections or refusing them
for a while (stores/test_store_failures.py), or racing to create tables
(channels/test_slack_inbox.py), touches no one else's.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import pytest

HOST, PORT = "127.0.0.1", 5432


def admin(sql: str) -> None:
    """Run ``sql`` as the server's superuser, outside a transaction."""
    connection = psycopg2.connect(host=HOST, port=PORT, user="postgres", dbname="postgres")
    try:
        connection.autocommit = True
        connection.cursor().execute(sql)
    finally:
        connection.close()


def terminate(database: str) -> None:
    """End every connection to ``database``, as a PostgreSQL restart or failover does."""
    admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")


def url_of(database: str) -> str:
    """A SQLAlchemy URL (psycopg2, as in the Rasa environment) of ``database``."""
    return f"postgresql://postgres@{HOST}:{PORT}/{database}"


def store_settings(database: str) -> dict[str, Any]:
    """The tracker store endpoint's settings for ``database`` (endpoints.production.yml's)."""
    return {
        "dialect": "postgresql",
        "host": HOST,
        "port": PORT,
        "db": database,
        "username": "postgres",
        "password": "",
    }


@contextmanager
def private_database() -> Iterator[str]:
    """Create a database of its own, yield its name, drop it afterwards.

    Skips when no server listens (a developer's machine; under CI a skip is a failure).
    """
    with socket.socket() as sock:
        if sock.connect_ex((HOST, PORT)) != 0:
            pytest.skip(f"PostgreSQL is not running on {HOST}:{PORT} (scripts/services.sh start)")
    database = f"pa_store_test_{uuid.uuid4().hex[:8]}"
    admin(f'CREATE DATABASE "{database}"')
    try:
        yield database
    finally:
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
