"""What the partner-records planner shares: the plan, the diff and the reference checks.

``Plan`` is what an import will write (or the problems why it must not); ``diff``
compares the records an export wants with the store's; ``References`` holds what
the partners and people of the export and the store resolve to, so each record
kind can check what it names (``partner_plan``, ``partner_plan_records``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from knowledge.catalogue import Catalogue
from partners.importing.partner_rows import KINDS, PARTNERS, PEOPLE, Parsed, Record
from partners.importing.partner_store import StoreState
from partners.importing.partner_write import Changes
from partners.importing.tabular import Problem

OFFICE = "office"


@dataclass
class Plan:
    """What the import will write, or why it must not.

    Attributes:
        changes: Per record kind (every kind, present in the export or not).
        problems: Reference problems; any problem means nothing is written.
        removed_partners: Partners that go (``prune``), with everything they hold.
        replaced_partners: Sample partners whose id the office's partner takes.
        sample_removed: How many of the removed partners are sample partners.
        sample_left: Sample partners the store still has afterwards.

    """

    changes: dict[str, Changes] = field(default_factory=lambda: {k: Changes(k) for k in KINDS})
    problems: list[Problem] = field(default_factory=list)
    removed_partners: list[str] = field(default_factory=list)
    replaced_partners: list[str] = field(default_factory=list)
    sample_removed: int = 0
    sample_left: int = 0


Key = tuple[Any, ...]
# A wanted record: (the values compared with the store's, the row to write).
Want = tuple[tuple[Any, ...], dict[str, Any]]
# A stored record: (key, its key columns, the values compared, whether its parent stays).
Have = tuple[Key, dict[str, Any], tuple[Any, ...], bool]


def diff(
    change: Changes,
    wanted: Mapping[Key, Want],
    current: Iterable[Have],
    prune: bool,
    label: Callable[[Key], str],
) -> None:
    """Compare wanted records with the store's; fill ``change``."""
    matched: set[Key] = set()
    for key, ident, values, parent_stays in current:
        want = wanted.get(key)
        if want is None or key in matched:
            if prune or not parent_stays:
                change.removed.append(ident)
                change.removed_ids.append(label(key))
            continue
        matched.add(key)
        if want[0] == values:
            change.unchanged += 1
        else:
            change.changed.append({**ident, **want[1]})
            change.changed_ids.append(label(key))
    for key, want in wanted.items():
        if key not in matched:
            change.added.append(want[1])
            change.added_ids.append(label(key))


class References:
    """The export, the store and what their partners and people resolve to."""

    def __init__(
        self, parsed: Mapping[str, Parsed], state: StoreState, catalogue: Catalogue, prune: bool
    ) -> None:
        self.parsed = parsed
        self.state = state
        self.catalogue = catalogue
        self.prune = prune
        self.plan = Plan()
        self.partners_file = parsed[PARTNERS].file if PARTNERS in parsed else "the partners file"
        self.people_file = parsed[PEOPLE].file if PEOPLE in parsed else "the people file"
        # Filled by _partners and _people, read by the kinds that refer to them.
        self.kept_partners: set[str] = set()
        self.targets: set[str] = set()
        self.country_of: dict[str, str] = {}
        self.person_id: dict[str, int] = {}
        self.kept_people: set[int] = set()
        self.person_name: dict[int, str] = {}

    def _pruned(self, kind: str) -> bool:
        return self.prune and kind in self.parsed

    def _records(self, kind: str) -> Iterable[Record]:
        return self.parsed[kind].records.values() if kind in self.parsed else ()

    def _problem(self, record: Record, column: str, why: str) -> None:
        self.plan.problems.append(record.row.problem(column, why))

    def _partner_problem(self, record: Record) -> bool:
        """Add a problem when the record's partner is not one it may name; True if so."""
        partner_id = record.values["partner_id"]
        if partner_id in self.targets:
            return False
        if PARTNERS in self.parsed and partner_id in self.parsed[PARTNERS].rejected:
            return True  # the partner's own row has a problem, reported there
        stored = self.state.partners.get(partner_id)
        if stored is not None and stored[3] != OFFICE:
            why = "a sample partner; office records cannot be attached to sample partners"
        elif stored is not None:
            why = f"unknown partner id: not in {self.partners_file}, so --prune removes it"
        else:
            why = f"unknown partner id: not in {self.partners_file} and not in the store"
        self._problem(record, "partner_id", why)
        return True

    def _person_of(self, record: Record) -> int | None:
        """Return the store id of the record's person; add a problem when it names none."""
        external = record.values["person"]
        person_id = self.person_id.get(external)
        if person_id is not None:
            return person_id
        if PEOPLE in self.parsed and external in self.parsed[PEOPLE].rejected:
            return None  # the person's own row has a problem, reported there
        if external in self.state.person_by_external:
            why = f"unknown person id: not in {self.people_file}, so --prune removes that person"
        else:
            why = f"unknown person id: not in {self.people_file} and not in the store"
        self._problem(record, "person_id", why)
        return None

    def _course_problem(self, record: Record) -> bool:
        course_id = record.values["course_id"]
        if course_id and course_id not in self.catalogue.course_by_id:
            self._problem(record, "course_id", "unknown course id: not in the program catalogue")
            return True
        return False
