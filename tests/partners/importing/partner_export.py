"""Helpers for the partner-records import tests: the example export, edits, store dumps.

Every test works on a copy of the documented example export
(``docs/examples/partners``) in its own directory, edited cell by cell with the
spreadsheet's row numbers (the header is row 1), and on a new migrated SQLite store.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from partners.conversations import ConversationBinding
from partners.db import create_db_engine
from partners.migrate import upgrade
from partners.models import (
    Certification,
    ChatLink,
    CourseCompletion,
    EarnedCompetency,
    HandoffTicket,
    Partner,
    Person,
    Revenue,
    SatisfactionScore,
    Voucher,
)

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "examples" / "partners"
EXAMPLE_MAPPING = EXAMPLE / "mapping.yaml"
# Records in the example export, all kinds together.
EXAMPLE_RECORDS = 44
MODELS = (
    Partner,
    Person,
    Certification,
    CourseCompletion,
    EarnedCompetency,
    Revenue,
    SatisfactionScore,
    Voucher,
    ChatLink,
    ConversationBinding,
    HandoffTicket,
)


def new_store(folder: Path) -> Engine:
    """A new, migrated, empty SQLite store in ``folder``."""
    engine = create_db_engine(f"sqlite:///{folder / 'partners.db'}")
    upgrade(engine)
    return engine


def copy_example(folder: Path) -> Path:
    """Copy the example export into ``folder/export`` and return that directory."""
    target = folder / "export"
    shutil.copytree(EXAMPLE, target)
    return target


def read_csv(path: Path) -> list[list[str]]:
    """All rows of a CSV file, the header first."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    """Write ``rows`` (header first) as a CSV file."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def set_cell(export: Path, file: str, row: int, column: str, value: str) -> str:
    """Set one cell (spreadsheet row numbers: header = 1); return the old value."""
    rows = read_csv(export / file)
    index = rows[0].index(column)
    old = rows[row - 1][index]
    rows[row - 1][index] = value
    write_csv(export / file, rows)
    return old


def append_row(export: Path, file: str, values: dict[str, str]) -> int:
    """Append a row (cells by column name); return its spreadsheet row number."""
    rows = read_csv(export / file)
    rows.append([values.get(column, "") for column in rows[0]])
    write_csv(export / file, rows)
    return len(rows)


def drop_rows(export: Path, file: str, column: str, value: str) -> None:
    """Remove the rows whose ``column`` holds ``value``."""
    rows = read_csv(export / file)
    index = rows[0].index(column)
    write_csv(export / file, [rows[0]] + [r for r in rows[1:] if r[index] != value])


def drop_column(export: Path, file: str, column: str) -> None:
    """Remove a column from a file."""
    rows = read_csv(export / file)
    index = rows[0].index(column)
    write_csv(export / file, [r[:index] + r[index + 1 :] for r in rows])


def to_jsonl(export: Path, target: Path) -> Path:
    """Write every CSV of ``export`` as JSON Lines into ``target``, numbers as numbers."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(export.glob("*.csv")):
        rows = read_csv(path)
        with (target / f"{path.stem}.jsonl").open("w", encoding="utf-8") as handle:
            for cells in rows[1:]:
                record = {
                    name: _json_value(name, cell) for name, cell in zip(rows[0], cells, strict=True)
                }
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return target


def _json_value(column: str, cell: str) -> Any:
    if column in ("year", "quarter", "amount"):
        return int(cell)
    if column == "score":
        return float(cell)
    if cell == "":
        return None
    return cell


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the partner tables (and what hangs off partners), sorted."""
    result = {}
    with Session(engine) as session:
        for model in MODELS:
            table = model.__table__
            rows = session.execute(select(*table.columns)).all()
            result[model.__tablename__] = sorted((tuple(row) for row in rows), key=repr)
    return result
