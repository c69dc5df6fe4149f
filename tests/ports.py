"""Local ports for the servers the tests start, in either environment (stdlib only)."""

from __future__ import annotations

import socket


def closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (free to listen on, or to fail)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
