"""The ``partner-assistant`` command line: imports of the program office's exports.

Usage::

    partner-assistant import courses FILE       [--dry-run] [--prune] [--mapping FILE] [--json]
    partner-assistant import competencies FILE  (same flags)
    partner-assistant import facts FILE         (same flags)
    partner-assistant import rules FILE         [--dry-run] [--mapping FILE] [--json]
    partner-assistant import partners DIR       (same flags as courses)
    partner-assistant operators add|list|disable|enable ...   (bot/cli_operators.py)

The partner store is the app's (``PA_DATABASE_URL``, ``var/partners.db`` by default),
migrated first as the app does at start (but no sample partners are seeded). Exit
status: 0 when the import is good (applied, nothing to change, or a clean dry run),
1 when it found problems (nothing is written then) or could not run, 2 for a usage
error. Secrets never come
from the command line; everything else is read from the environment and ``.env``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

PROG = "partner-assistant"
CATALOGUE_KINDS = ("courses", "competencies", "facts", "rules")
KINDS = (*CATALOGUE_KINDS, "partners")
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

logger = logging.getLogger(PROG)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (its usage errors exit with status 2)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Partner Assistant administration: imports and operator accounts.",
        epilog="File formats: docs/data.md. Exit status: 0 ok, 1 problems, 2 usage.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    importing = commands.add_parser(
        "import",
        help="import a file of courses, competencies, facts or rules, or a partner export",
        description=(
            "Check every row and apply the file in one transaction, or change nothing "
            "and list every problem (file, row, column, value, reason)."
        ),
    )
    importing.add_argument("kind", choices=KINDS, help="what the file holds")
    importing.add_argument(
        "path",
        type=Path,
        metavar="FILE_OR_DIR",
        help="a .csv or .jsonl file; for partners, the directory of the export's files",
    )
    importing.add_argument(
        "--dry-run", action="store_true", help="check and report what would change; write nothing"
    )
    importing.add_argument(
        "--prune",
        action="store_true",
        help="remove what the file does not hold (without it, rows only add and update)",
    )
    importing.add_argument(
        "--mapping",
        type=Path,
        metavar="FILE",
        help="column-mapping file (YAML): their header names to ours",
    )
    importing.add_argument(
        "--json", action="store_true", help="print the report as JSON instead of text"
    )
    importing.set_defaults(handler=_run_import)
    from bot import cli_operators

    cli_operators.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when None.

    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for chatty in ("alembic", "faiss"):  # migration steps, CPU-feature probing
        logging.getLogger(chatty).setLevel(logging.WARNING)
    status: int = args.handler(args)
    return status


def _run_import(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from partners.db import engine_for
    from partners.migrate import upgrade
    from settings import get_settings

    importer = _importer(args.kind)
    try:
        engine = engine_for(get_settings().effective_database_url)
        # Migrate as the app does at start, but seed nothing: an office importing its
        # own partners into a new store wants no sample partners beside them.
        upgrade(engine)
        with Session(engine) as session:
            report = importer(
                session,
                args.path,
                mapping=args.mapping,
                prune=args.prune,
                dry_run=args.dry_run,
                progress=_BarProgress(),
            )
    except SQLAlchemyError as exc:
        print(f"{PROG}: the partner store cannot be used: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        print(report.render())
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _importer(kind: str) -> Callable[..., Any]:
    """Return the import function for ``kind`` (imported late: the command starts fast)."""
    if kind == "partners":
        from partners.importing.partner_records import import_partner_records

        return import_partner_records
    from partners.importing import catalogue_import

    importers: dict[str, Callable[..., Any]] = {
        "courses": catalogue_import.import_courses,
        "competencies": catalogue_import.import_competencies,
        "facts": catalogue_import.import_facts,
        "rules": catalogue_import.import_rules,
    }
    return importers[kind]


class _BarProgress:
    """Draws a progress bar per step on standard error (only when it is a terminal)."""

    def __init__(self) -> None:
        self._bars: dict[str, Any] = {}

    def __call__(self, step: str, done: int, total: int | None) -> None:
        from tqdm import tqdm

        bar = self._bars.get(step)
        if bar is None:
            # disable=None: no bar when standard error is not a terminal (logs, tests).
            bar = self._bars[step] = tqdm(total=total, desc=step, unit="row", disable=None)
        if total is not None:
            bar.total = total
        bar.update(done - bar.n)
        if total is not None and done >= total:
            bar.close()


if __name__ == "__main__":
    sys.exit(main())
