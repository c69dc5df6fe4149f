"""The app's own log lines (catalogue releases, sync runs, refused requests) on stderr.

uvicorn configures only its own loggers, so without this the app's INFO lines (for
example "catalogue release 3 installed") would go nowhere. Other libraries stay at
WARNING, so an operator reads the app's story, not torch's.
"""

from __future__ import annotations

import logging

APP_PACKAGES = ("bot", "partners", "knowledge", "actions")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str) -> None:
    """Send log records to stderr: the app's packages at ``level``, the rest at WARNING.

    Leaves a root logger that already has handlers (a test runner's, a deployment's
    own logging configuration) as it is, and only sets the app's levels.
    """
    logging.basicConfig(level=logging.WARNING, format=FORMAT)
    for name in APP_PACKAGES:
        logging.getLogger(name).setLevel(level.upper())
