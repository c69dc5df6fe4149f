"""One thing wrong with an import, located as a spreadsheet shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_VALUE_SHOWN = 80


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import, located as a spreadsheet shows it.

    Attributes:
        file: The file as the person running the import named it.
        row: Spreadsheet row (header = 1), or None for the file as a whole.
        column: Our column name (after mapping), or None when the whole row is meant.
        value: The offending cell text, or None when there is none to show.
        reason: What is wrong, in words the program office understands.

    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def line(self) -> str:
        """One line: ``file, row R, column 'c', value 'v': reason``."""
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        if self.value is not None:
            parts.append(f"value {shown_value(self.value)}")
        return ", ".join(parts) + f": {self.reason}"

    def as_json(self) -> dict[str, Any]:
        """Return the problem as a JSON-able dict with the same five keys."""
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


def shown_value(value: str) -> str:
    """Quote a cell for a message, shortened when it is long."""
    text = value if len(value) <= _VALUE_SHOWN else value[: _VALUE_SHOWN - 3] + "..."
    return "'" + text.replace("\n", "\\n") + "'"
