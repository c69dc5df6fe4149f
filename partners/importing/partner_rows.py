"""The partner-records files of an office's CRM export and the check of each row.

One file per record kind (``partners.csv``, ``people.csv``, ...; ``.jsonl`` the
same), columns as in ``docs/data.md`` "Partner records". ``parse_rows`` turns a
file's rows into typed records keyed as the store keys them, with a problem for
every bad cell or repeated key; what a row refers to (partners, people, courses,
competencies) is checked later, against the whole export and the store
(``partner_refs``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from partners.importing.tabular import Problem, Row

# Record kinds in the order they are read and written (parents before children).
PARTNERS = "partners"
PEOPLE = "people"
CERTIFICATIONS = "certifications"
COMPLETIONS = "completions"
COMPETENCIES = "competencies"
REVENUE = "revenue"
SATISFACTION = "satisfaction"
VOUCHERS = "vouchers"


@dataclass(frozen=True)
class FileKind:
    """One record kind: its file name, columns and the columns that make its key."""

    name: str
    # What one record is called in messages ("person", "revenue year").
    noun: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        """The columns every file of this kind must have."""
        return tuple(c for c in self.columns if c not in self.optional)


KINDS: dict[str, FileKind] = {
    kind.name: kind
    for kind in (
        FileKind(PARTNERS, "partner", ("partner_id", "name", "country", "tier"), ("partner_id",)),
        FileKind(
            PEOPLE,
            "person",
            ("person_id", "partner_id", "name", "email", "role"),
            ("person_id",),
            optional=("role",),
        ),
        FileKind(
            CERTIFICATIONS,
            "certification",
            ("person_id", "name", "course_id", "earned_on", "expires_on"),
            ("person_id", "name"),
            optional=("course_id", "expires_on"),
        ),
        FileKind(
            COMPLETIONS,
            "course completion",
            ("person_id", "course_id", "completed_on"),
            ("person_id", "course_id"),
        ),
        FileKind(
            COMPETENCIES,
            "earned competency",
            ("partner_id", "competency_id", "earned_on"),
            ("partner_id", "competency_id"),
        ),
        FileKind(
            REVENUE,
            "revenue year",
            ("partner_id", "year", "amount", "currency"),
            ("partner_id", "year"),
            optional=("currency",),
        ),
        FileKind(
            SATISFACTION,
            "satisfaction score",
            ("partner_id", "year", "quarter", "score"),
            ("partner_id", "year", "quarter"),
        ),
        FileKind(VOUCHERS, "voucher", ("code", "partner_id", "status", "expires_on"), ("code",)),
    )
}

# Lengths of the store's columns (partners.models).
PARTNER_ID_MAX, PERSON_ID_MAX, NAME_MAX, ROLE_MAX, CODE_MAX = 16, 64, 200, 50, 40
VOUCHER_STATUSES = ("available", "used")
YEARS = (1950, 2100)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A date, optionally with a time after it (CRMs export timestamps); the date counts.
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$")
_WHOLE = re.compile(r"^-?\d+(?:\.0*)?$")


@dataclass
class Record:
    """One checked row: its key as the store keys it, its values and where it came from."""

    key: tuple[Any, ...]
    values: dict[str, Any]
    row: Row


@dataclass
class Parsed:
    """A file's records by key, and the problems its rows had."""

    kind: FileKind
    file: str
    records: dict[tuple[Any, ...], Record] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Ids (first key column) of rows with a bad cell: references to them are not
    # reported again as unknown.
    rejected: set[str] = field(default_factory=set)


class _Cells:
    """Typed reads of one row's cells; each bad cell adds one problem and gives None."""

    def __init__(self, row: Row, problems: list[Problem]) -> None:
        self.row = row
        self.problems = problems
        self.bad = False

    def fail(self, column: str, reason: str) -> None:
        self.problems.append(self.row.problem(column, reason))
        self.bad = True

    def text(self, column: str, longest: int, *, required: bool = True) -> str:
        value = self.row.get(column)
        if not value and required:
            self.fail(column, "empty; a value is required")
        elif len(value) > longest:
            self.fail(column, f"longer than {longest} characters")
        return value

    def ident(self, column: str, longest: int) -> str:
        value = self.text(column, longest)
        if value and not _ID.match(value):
            self.fail(column, "not an id: letters and digits, then . _ : / - (no spaces)")
        return value

    def date(self, column: str) -> dt.date | None:
        value = self.row.get(column)
        match = _DATE.match(value)
        if not value:
            self.fail(column, "empty; expected a date as YYYY-MM-DD")
        elif match is None:
            self.fail(column, "expected a date as YYYY-MM-DD")
        else:
            try:
                return dt.date.fromisoformat(match.group(1))
            except ValueError:
                self.fail(column, "no such day in the calendar")
        return None

    def whole(self, column: str, low: int, high: int | None, what: str) -> int | None:
        value = self.row.get(column)
        if not value:
            self.fail(column, "empty; a value is required")
            return None
        if not _WHOLE.match(value):
            if "," in value or "'" in value:
                self.fail(column, f"expected {what} without thousands separators")
            else:
                self.fail(column, f"expected {what} (a whole number)")
            return None
        number = int(value.split(".")[0])
        if number < low:
            self.fail(column, "negative amount" if low == 0 else f"{what} below {low}")
        elif high is not None and number > high:
            self.fail(column, f"{what} above {high}")
        else:
            return number
        return None

    def number(self, column: str, low: float, high: float, what: str) -> float | None:
        value = self.row.get(column)
        if not value:
            self.fail(column, "empty; a value is required")
            return None
        try:
            number = float(value)
        except ValueError:
            hint = " (a decimal point, not a comma)" if "," in value else ""
            self.fail(column, f"expected {what} such as 7.6{hint}")
            return None
        if math.isnan(number) or not low <= number <= high:
            self.fail(column, f"{what} must be between {low:g} and {high:g}")
            return None
        return number

    def choice(self, column: str, choices: Mapping[str, str], what: str) -> str:
        value = self.row.get(column)
        found = choices.get(value.lower())
        if found is None:
            self.fail(column, f"unknown {what}; expected one of {', '.join(choices.values())}")
            return ""
        return found


def _partner(cells: _Cells) -> dict[str, Any]:
    return {
        "id": cells.ident("partner_id", PARTNER_ID_MAX),
        "name": cells.text("name", NAME_MAX),
        # Checked against the tier rules later, which names the codes and tiers known.
        "country": cells.text("country", NAME_MAX).upper(),
        "tier": cells.text("tier", NAME_MAX),
    }


def _person(cells: _Cells) -> dict[str, Any]:
    email = cells.text("email", NAME_MAX)
    if email and not _EMAIL.match(email):
        cells.fail("email", "not an e-mail address")
    return {
        "external_id": cells.ident("person_id", PERSON_ID_MAX),
        "partner_id": cells.ident("partner_id", PARTNER_ID_MAX),
        "name": cells.text("name", NAME_MAX),
        "email": email,
        "role": cells.text("role", ROLE_MAX, required=False),
    }


def _certification(cells: _Cells) -> dict[str, Any]:
    return {
        "person": cells.ident("person_id", PERSON_ID_MAX),
        "name": cells.text("name", NAME_MAX),
        "course_id": cells.row.get("course_id") or None,
        "earned_on": cells.date("earned_on"),
        # Optional: empty when it does not lapse (reminders warn 30 days before it does).
        "expires_on": cells.date("expires_on") if cells.row.get("expires_on") else None,
    }


def _completion(cells: _Cells) -> dict[str, Any]:
    return {
        "person": cells.ident("person_id", PERSON_ID_MAX),
        "course_id": cells.text("course_id", NAME_MAX),
        "completed_on": cells.date("completed_on"),
    }


def _competency(cells: _Cells) -> dict[str, Any]:
    return {
        "partner_id": cells.ident("partner_id", PARTNER_ID_MAX),
        "competency_id": cells.text("competency_id", NAME_MAX),
        "earned_on": cells.date("earned_on"),
    }


def _revenue(cells: _Cells) -> dict[str, Any]:
    return {
        "partner_id": cells.ident("partner_id", PARTNER_ID_MAX),
        "year": cells.whole("year", YEARS[0], YEARS[1], "a year"),
        "amount": cells.whole("amount", 0, None, "an amount"),
        "currency": cells.text("currency", 3, required=False).upper(),
    }


def _satisfaction(cells: _Cells) -> dict[str, Any]:
    return {
        "partner_id": cells.ident("partner_id", PARTNER_ID_MAX),
        "year": cells.whole("year", YEARS[0], YEARS[1], "a year"),
        "quarter": cells.whole("quarter", 1, 4, "a quarter"),
        "score": cells.number("score", 0.0, 10.0, "a score"),
    }


def _voucher(cells: _Cells) -> dict[str, Any]:
    return {
        "code": cells.ident("code", CODE_MAX),
        "partner_id": cells.ident("partner_id", PARTNER_ID_MAX),
        "status": cells.choice("status", {s: s for s in VOUCHER_STATUSES}, "voucher status"),
        "expires_on": cells.date("expires_on"),
    }


_READERS: dict[str, tuple[Callable[[_Cells], dict[str, Any]], tuple[str, ...]]] = {
    PARTNERS: (_partner, ("id",)),
    PEOPLE: (_person, ("external_id",)),
    CERTIFICATIONS: (_certification, ("person", "name")),
    COMPLETIONS: (_completion, ("person", "course_id")),
    COMPETENCIES: (_competency, ("partner_id", "competency_id")),
    REVENUE: (_revenue, ("partner_id", "year")),
    SATISFACTION: (_satisfaction, ("partner_id", "year", "quarter")),
    VOUCHERS: (_voucher, ("code",)),
}


def parse_rows(kind: FileKind, file: str, rows: Iterable[Row]) -> Parsed:
    """Check every row's cells and index the good ones by their key.

    Args:
        kind: The record kind of the file.
        file: The file as named in problems.
        rows: The file's rows (``tabular.read_table``).

    Returns:
        The records by key and one problem per bad cell or repeated key (the first
        row with a key wins; the repeat names it).

    """
    parsed = Parsed(kind, file)
    read, key_fields = _READERS[kind.name]
    for row in rows:
        cells = _Cells(row, parsed.problems)
        values = read(cells)
        if cells.bad:
            parsed.rejected.add(row.get(kind.key[0]))
            continue
        key = tuple(values[name] for name in key_fields)
        first = parsed.records.get(key)
        if first is not None:
            why = f"duplicate {kind.noun} (also on row {first.row.number})"
            column = kind.key[-1]
            parsed.problems.append(row.problem(column, why))
            continue
        parsed.records[key] = Record(key, values, row)
    return parsed
