"""Alembic migrations of the partner store, configured in code (no alembic.ini).

Usage::

    python -m partners.migrate upgrade            # to the latest revision
    python -m partners.migrate downgrade base
    python -m partners.migrate current
    python -m partners.migrate revision -m "add x"  # autogenerate from partners.models

The database is the one of ``PA_DATABASE_URL`` (``var/partners.db`` by default).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

from partners.db import create_db_engine
from settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Every module that declares partner-store tables on ``partners.models.Base``.
MODEL_MODULES = (
    "partners.models",
    "partners.linking",
    "partners.revoked_tokens",
    "partners.conversations",
    "partners.analytics.models",
    "partners.feedback",
)


def target_metadata() -> MetaData:
    """Return the metadata of every partner-store table (importing each model module)."""
    import importlib

    from partners.models import Base

    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic configuration that migrates through ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # env.py uses this engine directly, so URLs never pass through ConfigParser.
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database behind ``engine`` down to ``revision``."""
    command.downgrade(alembic_config(engine), revision)


def main(argv: list[str] | None = None) -> int:
    """Run one migration command against the configured partner store."""
    parser = argparse.ArgumentParser(prog="python -m partners.migrate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="migrate up (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="migrate down to a revision (or 'base')")
    down.add_argument("revision")
    sub.add_parser("current", help="show the database's revision")
    rev = sub.add_parser("revision", help="autogenerate a revision from partners.models")
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    engine = create_db_engine(get_settings().effective_database_url)
    config = alembic_config(engine)
    if args.command == "upgrade":
        command.upgrade(config, args.revision)
    elif args.command == "downgrade":
        command.downgrade(config, args.revision)
    elif args.command == "current":
        command.current(config, verbose=True)
    else:
        command.revision(config, message=args.message, autogenerate=True)
    print(f"{args.command}: done ({engine.url.render_as_string(hide_password=True)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
