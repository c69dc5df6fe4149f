"""Column-mapping files: another system's header names to ours, without code.

A mapping file is YAML: either a flat mapping ``Their header: our_column`` used for
every file, or a mapping from file kind (``courses``, ``partners``, ...) to such a
mapping; both may be mixed. ``docs/data.md`` ("Column mapping") documents it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from partners.importing.problem import Problem

# A column mapped to one of these is read from the file and then ignored.
IGNORED = ("", "-")


@dataclass(frozen=True)
class ColumnMapping:
    """Their header names to ours, for every file or per file kind.

    Attributes:
        shared: Renames applied to every file.
        per_kind: Renames for one kind of file (``courses``, ``people``, ...), applied first.

    """

    shared: Mapping[str, str] = field(default_factory=dict)
    per_kind: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def rename(self, header: str, kind: str) -> str:
        """Our name for a header; unmapped headers keep their (trimmed) name."""
        key = _header_key(header)
        for table in (self.per_kind.get(kind, {}), self.shared):
            for theirs, ours in table.items():
                if _header_key(theirs) == key:
                    return ours.strip()
        return header.strip()


def _header_key(header: str) -> str:
    return " ".join(header.strip().lower().split())


def load_mapping(path: Path) -> tuple[ColumnMapping | None, list[Problem]]:
    """Read a column-mapping file (YAML).

    The file is either a flat mapping ``Their header: our_column`` used for every
    file, or a mapping from file kind (``courses``, ``partners``, ...) to such a
    mapping; both may be mixed. An empty target (``""`` or ``-``) ignores the column.

    Args:
        path: The mapping file.

    Returns:
        The mapping (None when unreadable) and the problems found in it.

    """
    file = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [Problem(file, None, None, None, "mapping file not found")]
    except UnicodeDecodeError as exc:
        reason = f"mapping file is not UTF-8 text: byte 0x{exc.object[exc.start]:02x}"
        return None, [Problem(file, None, None, None, reason)]
    except yaml.YAMLError as exc:
        reason = f"mapping file is not valid YAML: {' '.join(str(exc).split())}"
        return None, [Problem(file, None, None, None, reason)]
    if raw is None:
        return ColumnMapping(), []
    if not isinstance(raw, dict):
        reason = "mapping file must map their header names to ours (or file kinds to such maps)"
        return None, [Problem(file, None, None, None, reason)]
    shared: dict[str, str] = {}
    per_kind: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for key, value in raw.items():
        if isinstance(value, dict):
            renames = {str(k): "" if v is None else str(v) for k, v in value.items()}
            per_kind[str(key)] = renames
        elif value is None or isinstance(value, str | int | float):
            shared[str(key)] = "" if value is None else str(value)
        else:
            reason = "expected our column name (or a map of renames for this file kind)"
            problems.append(Problem(file, None, str(key), str(value), reason))
    return ColumnMapping(shared, per_kind), problems
