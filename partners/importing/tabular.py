"""Read an export file (CSV or JSON Lines) into rows numbered as a spreadsheet shows them.

The people who run imports know their files from a spreadsheet, so every problem
names the file, the row (the CSV header is row 1, the first record row 2; in JSON
Lines the first line is row 1), the column, the value and the reason. Reading never
stops at the first problem: the caller gets every good row and every problem, and
decides (an import writes nothing when there is any problem).

A column mapping (``column_mapping.py``) renames another system's headers to ours,
so a CRM or learning-platform export works without code.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Problem and the mapping are part of this module's interface (the imports use them).
from partners.importing.column_mapping import IGNORED, ColumnMapping, load_mapping
from partners.importing.problem import Problem, shown_value

__all__ = [
    "IGNORED",
    "SUPPORTED_SUFFIXES",
    "ColumnMapping",
    "Problem",
    "Row",
    "Table",
    "load_mapping",
    "read_table",
    "shown_value",
    "split_multi",
    "unique_rows",
]

SUPPORTED_SUFFIXES = (".csv", ".jsonl")


@dataclass(frozen=True)
class Row:
    """One record of a file with our column names.

    Attributes:
        file: The file it came from (as named in problems).
        number: Its spreadsheet row number.
        values: Cell text per our column name; absent cells are missing keys.

    """

    file: str
    number: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        """Return the trimmed cell text of ``column`` ("" when absent)."""
        return self.values.get(column, "").strip()

    def problem(self, column: str | None, reason: str, value: str | None = None) -> Problem:
        """Return a problem about this row's ``column`` (its cell text is the default value)."""
        if value is None and column is not None and column in self.values:
            value = self.values[column]
        return Problem(self.file, self.number, column, value, reason)


@dataclass
class Table:
    """What reading a file gave: its good rows, its columns and its problems."""

    file: str
    columns: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def split_multi(text: str) -> list[str]:
    """Split a multi-valued cell on ``;``, trimming each value and dropping empty ones."""
    return [part.strip() for part in text.split(";") if part.strip()]


# ------------------------------------------------------------------------------ reading


def read_table(
    path: Path,
    *,
    kind: str,
    columns: Collection[str],
    required: Collection[str],
    mapping: ColumnMapping | None = None,
    allow_unknown: bool = False,
    display: str | None = None,
) -> Table:
    """Read a ``.csv`` or ``.jsonl`` file into rows with our column names.

    Args:
        path: The file.
        kind: The kind of file (``courses``) for per-kind renames of the mapping.
        columns: Every column we know for this kind (required ones included).
        required: Columns the file must have.
        mapping: Their header names to ours, if the export uses other names.
        allow_unknown: Ignore columns we do not know (CRM exports carry many) instead
            of reporting them; a misspelt optional column then goes unnoticed.
        display: How to name the file in problems (default: the path as given).

    Returns:
        The rows that could be read and every problem; rows are returned even when
        there are problems, so a caller can validate them all.

    """
    file = display or str(path)
    table = Table(file)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        reason = f"unsupported file type '{path.suffix}': expected .csv or .jsonl"
        table.problems.append(Problem(file, None, None, None, reason))
        return table
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        table.problems.append(Problem(file, None, None, None, "file not found"))
        return table
    except IsADirectoryError:
        table.problems.append(Problem(file, None, None, None, "is a directory, not a file"))
        return table
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        suffix = path.suffix.lower()
        table.problems.append(_encoding_problem(file, data, exc, suffix, kind, mapping))
        return table
    reader = _Reader(table, kind, set(columns), set(required), mapping, allow_unknown)
    if path.suffix.lower() == ".csv":
        reader.read_csv(text)
    else:
        reader.read_jsonl(text)
    return table


def _encoding_problem(
    file: str,
    data: bytes,
    exc: UnicodeDecodeError,
    suffix: str,
    kind: str,
    mapping: ColumnMapping | None,
) -> Problem:
    """Name the row (and, in a CSV, the column) holding the first byte that is not UTF-8."""
    start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
    prefix = data[:start].decode("utf-8-sig")
    byte = data[start]
    column: str | None = None
    if suffix == ".csv":
        records = list(csv.reader(io.StringIO(prefix)))
        starts_new = not prefix or prefix.endswith(("\n", "\r"))
        row = len(records) + 1 if starts_new else len(records)
        if records and row > 1 and not starts_new:
            header = [(mapping or ColumnMapping()).rename(h, kind).lower() for h in records[0]]
            cell = len(records[-1]) - 1
            column = header[cell] if 0 <= cell < len(header) else None
    else:
        row = prefix.count("\n") + 1
    reason = (
        f"file is not UTF-8 text: byte 0x{byte:02x} at row {row}; "
        "save or export it as UTF-8 (CSV UTF-8) and import it again"
    )
    return Problem(file, row, column, None, reason)


class _Reader:
    """Turns records into rows, checking the header once and every record."""

    def __init__(
        self,
        table: Table,
        kind: str,
        columns: set[str],
        required: set[str],
        mapping: ColumnMapping | None,
        allow_unknown: bool,
    ) -> None:
        self.table = table
        self.kind = kind
        self.columns = columns
        self.required = required
        self.mapping = mapping or ColumnMapping()
        self.allow_unknown = allow_unknown

    def _problem(self, row: int | None, column: str | None, value: str | None, why: str) -> None:
        self.table.problems.append(Problem(self.table.file, row, column, value, why))

    def _our_name(self, header: str, row: int | None) -> str | None:
        """Our column for a header; None (with a problem when not allowed) if we skip it."""
        ours = self.mapping.rename(header, self.kind)
        if ours in IGNORED:
            return None
        name = ours.lower()
        if name in self.columns:
            return name
        if not self.allow_unknown:
            known = ", ".join(sorted(self.columns))
            why = (
                f"unknown column '{ours}' (known: {known}); rename it with a mapping file, "
                "or map it to '-' to ignore it"
            )
            self._problem(row, ours, None, why)
        return None

    def read_csv(self, text: str) -> None:
        records = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(records)
        except StopIteration:
            self._problem(None, None, None, "the file is empty (a header row is expected)")
            return
        except csv.Error as exc:
            self._problem(1, None, None, f"not readable as CSV: {exc}")
            return
        names: list[str | None] = []
        seen: dict[str, int] = {}
        for position, cell in enumerate(header, start=1):
            if not cell.strip():
                names.append(None)
                continue
            name = self._our_name(cell, 1)
            if name is not None and name in seen:
                why = f"column given twice (cells {seen[name]} and {position} of the header)"
                self._problem(1, name, cell, why)
                name = None
            if name is not None:
                seen[name] = position
            names.append(name)
        self.table.columns = [n for n in names if n is not None]
        for column in sorted(self.required - set(self.table.columns)):
            self._problem(1, column, None, "required column missing from the header row")
        number = 1
        while True:
            try:
                cells = next(records)
            except StopIteration:
                break
            except csv.Error as exc:
                self._problem(number + 1, None, None, f"not readable as CSV: {exc}")
                break
            number += 1
            if not any(cell.strip() for cell in cells):
                continue  # a blank line; it still counts as a row in a spreadsheet
            if len(cells) > len(header):
                extra = ";".join(c for c in cells[len(header) :] if c.strip())
                if extra:
                    why = f"{len(cells)} cells but the header has {len(header)} columns"
                    self._problem(number, None, extra, why)
                    continue
            values = {n: cell for n, cell in zip(names, cells, strict=False) if n is not None}
            self.table.rows.append(Row(self.table.file, number, values))

    def read_jsonl(self, text: str) -> None:
        present: dict[str, None] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                self._problem(number, None, line, f"not valid JSON: {exc.msg} (at {exc.colno})")
                continue
            if not isinstance(record, dict):
                self._problem(number, None, line, "expected one JSON object per line")
                continue
            values: dict[str, str] = {}
            bad = False
            rejected: set[str] = set()
            for key, raw in record.items():
                name = self._our_name(str(key), number)
                if name is None:
                    continue
                cell = _cell_text(raw)
                if cell is None:
                    why = "nested objects are not supported; give the value as a CSV cell holds it"
                    self._problem(number, name, json.dumps(raw), why)
                    rejected.add(name)
                    bad = True
                    continue
                values[name] = cell
                present[name] = None
            for column in sorted(self.required - set(values) - rejected):
                self._problem(number, column, None, "required field missing from this line")
                bad = True
            if not bad:
                self.table.rows.append(Row(self.table.file, number, values))
        self.table.columns = list(present)


def _cell_text(raw: Any) -> str | None:
    """Return a JSON value as the CSV cell would hold it; None when a cell cannot hold it."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float):
        return json.dumps(raw)
    if isinstance(raw, list):
        if any(isinstance(item, list | dict) for item in raw):
            return None
        return ";".join(_cell_text(item) or "" for item in raw)
    return None


def unique_rows(rows: Sequence[Row], key: str) -> tuple[dict[str, Row], list[Problem]]:
    """Index rows by ``key``; a repeated key is a problem naming both rows.

    Args:
        rows: Rows of one file.
        key: The id column.

    Returns:
        The first row per key and one problem per repeat.

    """
    first: dict[str, Row] = {}
    problems: list[Problem] = []
    for row in rows:
        value = row.get(key)
        if not value:
            continue
        if value in first:
            why = f"duplicate id (also on row {first[value].number})"
            problems.append(row.problem(key, why, value))
        else:
            first[value] = row
    return first, problems
