"""The services the suite strikes: PostgreSQL, Redis and RabbitMQ on their local ports.

Each is struck and started again exactly as scripts/services.sh runs it, and the suite
gets private PostgreSQL databases that are dropped afterwards.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pika
import psycopg

SERVICES = {"PostgreSQL": 5432, "Redis": 6379, "RabbitMQ": 5672}


def reachable(port: int) -> bool:
    """Whether something listens on 127.0.0.1:``port``."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def missing_prerequisites() -> list[str]:
    """Return what the suite needs and does not find (services down, tools missing)."""
    missing = [
        f"{name} on 127.0.0.1:{port}" for name, port in SERVICES.items() if not reachable(port)
    ]
    missing += [
        tool for tool in ("rabbitmqctl", "redis-server", "redis-cli") if not shutil.which(tool)
    ]
    return missing


def _postgres(database: str = "postgres") -> psycopg.Connection[Any]:
    return psycopg.connect(
        host="127.0.0.1", port=5432, user="postgres", dbname=database, autocommit=True
    )


def terminate_postgres_connections(databases: list[str]) -> int:
    """Terminate every server connection to ``databases``; return how many."""
    with _postgres() as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            (databases,),
        ).fetchall()
    return len(rows)


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def _wait_port(port: int, up: bool, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while reachable(port) != up and time.monotonic() < deadline:
        time.sleep(0.1)


def stop_redis() -> None:
    """Shut Redis down without saving (it keeps nothing on disk)."""
    _run("redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave")
    _wait_port(6379, up=False)


def start_redis() -> None:
    """Start Redis exactly as scripts/services.sh does, if it is not running."""
    if not reachable(6379):
        _run(
            "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
            "--save", "", "--appendonly", "no",
        )  # fmt: skip
        _wait_port(6379, up=True)


def stop_rabbitmq() -> None:
    """Stop the RabbitMQ application (the node stays up to start it again)."""
    _run("rabbitmqctl", "stop_app")


def start_rabbitmq() -> None:
    """Start the RabbitMQ application again."""
    _run("rabbitmqctl", "start_app")
    _wait_port(5672, up=True)


def drain_queue(queue: str) -> list[dict[str, Any]]:
    """Take every message off ``queue`` and delete it."""
    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", 5672))
    try:
        channel = connection.channel()
        events = []
        while True:
            method, _, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            events.append(json.loads(body))
        channel.queue_delete(queue)
        return events
    finally:
        connection.close()


@contextmanager
def private_databases(names: list[str]) -> Iterator[None]:
    """Create empty PostgreSQL databases for the run; drop them afterwards."""
    with _postgres() as connection:
        for name in names:
            connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        with _postgres() as connection:
            for name in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
