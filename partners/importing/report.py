"""What an import found and did: its problems and the records it added, changed, removed.

Every import returns an ``ImportReport``; the command line prints ``render()`` (or
``as_json()`` with ``--json``) and exits 1 when the report is not ``ok``, the admin
API returns ``as_json()``. Long imports call a ``Progress`` callback so the command
line can show a bar.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from partners.importing.tabular import Problem, shown_value

ItemT = TypeVar("ItemT")
# Ids listed per change kind in render(); the JSON form lists them all.
IDS_SHOWN = 20


class Progress(Protocol):
    """Told how far a long step has come (the command line draws a bar from it)."""

    def __call__(self, step: str, done: int, total: int | None) -> None:
        """Report that ``done`` of ``total`` items of ``step`` are through."""


def tracked(
    items: Iterable[ItemT], progress: Progress | None, step: str, total: int | None = None
) -> Iterator[ItemT]:
    """Yield ``items``, telling ``progress`` every few hundred (and at the end).

    Args:
        items: What the step goes through.
        progress: The callback, or None for no progress reports.
        step: What is being done, e.g. ``"courses.csv: checking rows"``.
        total: How many items there are, when known.

    """
    if progress is None:
        yield from items
        return
    done = 0
    progress(step, 0, total)
    for item in items:
        yield item
        done += 1
        if done % 250 == 0:
            progress(step, done, total)
    progress(step, done, total if total is not None else done)


@dataclass
class ImportReport:
    """The outcome of one import.

    Attributes:
        kind: What was imported (``courses``, ``competencies``, ``rules``, ``partners``...).
        files: The files read, as the person running the import named them.
        dry_run: True when nothing was to be written.
        problems: Every problem found; any problem means nothing was written.
        added: Ids of the records added (or that would be, on a dry run).
        changed: Ids of the records whose content changed.
        removed: Ids of the records removed (only with ``prune``).
        unchanged: How many records the file held with the same content as before.
        applied: True when the changes were written (never on a dry run or with problems).
        version: The catalogue release published by the import, if any.
        notes: Other things worth telling (e.g. figures whose sample label went).

    """

    kind: str
    files: list[str]
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    applied: bool = False
    version: int | None = None
    notes: list[str] = field(default_factory=list)

    def sorted_problems(self) -> list[Problem]:
        """Return the problems by file and row (whole-file problems first), as people read."""
        return sorted(self.problems, key=lambda p: (p.file, -1 if p.row is None else p.row))

    @property
    def ok(self) -> bool:
        """True when the import found no problem."""
        return not self.problems

    @property
    def has_changes(self) -> bool:
        """True when something was (or would be) added, changed or removed."""
        return bool(self.added or self.changed or self.removed)

    def exit_status(self) -> int:
        """Return the command line's exit status: 0 when ok, 1 when there are problems."""
        return 0 if self.ok else 1

    def summary(self) -> str:
        """One line saying what happened (or would happen, or why nothing did)."""
        names = " of " + ", ".join(self.files) if self.files else ""
        if self.problems:
            count = len(self.problems)
            noun = "problem" if count == 1 else "problems"
            return f"{self.kind} import{names}: {count} {noun}, nothing written"
        verbs = (
            ("would add", "would change", "would remove")
            if self.dry_run
            else (
                "added",
                "changed",
                "removed",
            )
        )
        counts = (
            f"{verbs[0]} {len(self.added)}, {verbs[1]} {len(self.changed)}, "
            f"{verbs[2]} {len(self.removed)}, {self.unchanged} unchanged"
        )
        if self.dry_run:
            outcome = "dry run, nothing written"
        elif self.version is not None and self.applied:
            outcome = f"published as catalogue release {self.version}"
        elif not self.has_changes:
            outcome = "nothing to change"
        else:
            outcome = "written" if self.applied else "not written"
        return f"{self.kind} import{names}: {counts} ({outcome})"

    def render(self) -> str:
        """Return the report for people: a summary, then every problem or the ids."""
        lines = [self.summary()]
        if self.problems:
            lines += _problem_table(self.sorted_problems())
        else:
            for label, ids in (
                ("added", self.added),
                ("changed", self.changed),
                ("removed", self.removed),
            ):
                if ids:
                    shown = ", ".join(ids[:IDS_SHOWN])
                    more = len(ids) - IDS_SHOWN
                    tail = f" ... and {more} more" if more > 0 else ""
                    lines.append(f"  {label}: {shown}{tail}")
        if self.ok:  # notes say what the import did, which nothing did on problems
            lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def as_json(self, limit: int | None = None) -> dict[str, Any]:
        """Return the report as a JSON-able dict.

        Args:
            limit: At most this many ids per list and problems; None keeps all (the
                command line). The API and the sync's stored reports cap them: a first
                import of a whole CRM export adds hundreds of thousands of records.
                ``counts`` always has the full numbers and ``truncated`` says whether
                anything was left out.

        """
        problems = self.sorted_problems()
        lists = {"added": self.added, "changed": self.changed, "removed": self.removed}
        sizes = [len(items) for items in lists.values()] + [len(problems)]
        truncated = limit is not None and max(sizes) > limit
        return {
            "kind": self.kind,
            "files": list(self.files),
            "dry_run": self.dry_run,
            "ok": self.ok,
            "applied": self.applied,
            "version": self.version,
            **{name: list(items[:limit]) for name, items in lists.items()},
            "unchanged": self.unchanged,
            "problems": [problem.as_json() for problem in problems[:limit]],
            "notes": list(self.notes),
            "counts": {
                **{name: len(items) for name, items in lists.items()},
                "problems": len(problems),
            },
            "truncated": truncated,
        }


def _problem_table(problems: list[Problem]) -> list[str]:
    """Problems as aligned columns: file, row, column, value, reason."""
    header = ("file", "row", "column", "value", "reason")
    cells = [
        (
            p.file,
            "" if p.row is None else str(p.row),
            p.column or "",
            "" if p.value is None else shown_value(p.value),
            p.reason,
        )
        for p in problems
    ]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(4)]
    lines = []
    for row in [header, *cells]:
        fixed = "  ".join(text.ljust(widths[i]) for i, text in enumerate(row[:4]))
        lines.append(f"  {fixed}  {row[4]}")
    return lines
