"""Check what an export's records refer to, and work out what importing it changes.

The rules, for each record kind whose file the export holds:

- a record whose key the store has is *changed* when any value differs, else
  *unchanged*; a key the store lacks is *added*;
- a record the store has and the file lacks stays, unless ``prune`` is set;
- a record whose parent goes (a removed partner or person) goes with it, always,
  and is listed among the removals; nothing is left to a database cascade;
- partners the office imports are ``office`` partners. Sample partners are never a
  parent of office records: referring to one is a problem, and an office partner
  with a sample partner's id replaces that sample partner (and all its records)
  only with ``prune``.

References (a person's partner, a certification's person and course, ...) must name
a record of the export or one the store keeps; course, competency, country and tier
names must be in the program catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping

from knowledge.catalogue import Catalogue
from partners.importing.partner_plan_records import RecordPlanner
from partners.importing.partner_refs import OFFICE, Key, Plan, Want, diff
from partners.importing.partner_rows import PARTNERS, PEOPLE, Parsed
from partners.importing.partner_store import StoreState

__all__ = ["Plan", "plan_import"]


def _sample_mark(sample: bool, replaced: bool) -> str:
    if not sample:
        return ""
    return " (was sample)" if replaced else " (sample)"


class Planner(RecordPlanner):
    """Builds a ``Plan`` from the parsed files, the store and the catalogue."""

    def build(self) -> Plan:
        """Check references and work out every change."""
        self._partners()
        self._people()
        self._certifications()
        self._completions()
        self._competencies()
        self._revenue()
        self._satisfaction()
        self._vouchers()
        return self.plan

    # ------------------------------------------------------------------ partners
    def _partners(self) -> None:
        state, plan = self.state, self.plan
        countries = self.catalogue.country_by_code
        tiers = {name.lower(): name for name in self.catalogue.tier_by_name}
        wanted: dict[Key, Want] = {}
        for record in self._records(PARTNERS):
            values = record.values
            if values["country"] not in countries:
                known = ", ".join(sorted(countries))
                self._problem(
                    record, "country", f"unknown country code; the tier rules know {known}"
                )
            tier = tiers.get(values["tier"].lower(), "")
            if not tier:
                known = ", ".join(self.catalogue.tier_by_name)
                self._problem(record, "tier", f"unknown tier; expected one of {known}")
            stored = state.partners.get(values["id"])
            if stored is not None and stored[3] != OFFICE:
                if not self.prune:
                    why = (
                        "a sample partner has this id; import with --prune to replace the "
                        "sample partners (and all their records) with the office's"
                    )
                    self._problem(record, "partner_id", why)
                plan.replaced_partners.append(values["id"])
            row = {**values, "tier": tier, "source": OFFICE}
            compared = (values["name"], values["country"], tier, OFFICE)
            wanted[(values["id"],)] = (compared, row)
        in_file = {key[0] for key in wanted}
        pruned = self._pruned(PARTNERS)
        sample = {pid for pid, values in state.partners.items() if values[3] != OFFICE}
        if pruned:
            plan.removed_partners = [pid for pid in state.partners if pid not in in_file]
        diff(
            plan.changes[PARTNERS],
            wanted,
            (((pid,), {"id": pid}, values, True) for pid, values in state.partners.items()),
            pruned,
            lambda key: f"partner {key[0]}" + _sample_mark(key[0] in sample, key[0] in in_file),
        )
        gone = set(plan.removed_partners) | set(plan.replaced_partners)
        # Partners whose stored records stay theirs; office records name office partners.
        self.kept_partners = {pid for pid in state.partners if pid not in gone}
        self.targets = in_file | (self.kept_partners - sample)
        self.country_of = {pid: values[1] for pid, values in state.partners.items()}
        self.country_of.update({key[0]: want[1]["country"] for key, want in wanted.items()})
        plan.sample_left = len(sample - gone)
        plan.sample_removed = len(sample.intersection(plan.removed_partners))

    # -------------------------------------------------------------------- people
    def _people(self) -> None:
        state = self.state
        next_id = state.next_person_id
        wanted: dict[Key, Want] = {}
        self.person_name = {pid: values[0] or f"#{pid}" for pid, values in state.people.items()}
        for record in self._records(PEOPLE):
            values = record.values
            self._partner_problem(record)
            external = values["external_id"]
            person_id = state.person_by_external.get(external)
            if person_id is None:
                person_id, next_id = next_id, next_id + 1
            self.person_id[external] = person_id
            self.person_name[person_id] = external
            compared = tuple(
                values[name] for name in ("external_id", "partner_id", "name", "email", "role")
            )
            wanted[(person_id,)] = (compared, {"id": person_id, **values})
        change = self.plan.changes[PEOPLE]
        diff(
            change,
            wanted,
            (
                ((pid,), {"id": pid}, values, values[1] in self.kept_partners)
                for pid, values in state.people.items()
            ),
            self._pruned(PEOPLE),
            lambda key: f"person {self.person_name[key[0]]}",
        )
        removed = {row["id"] for row in change.removed}
        self.kept_people = {pid for pid in state.people if pid not in removed}
        for pid in self.kept_people:
            external, partner_id = state.people[pid][0], state.people[pid][1]
            if external and external not in self.person_id and partner_id in self.targets:
                self.person_id[external] = pid


def plan_import(
    parsed: Mapping[str, Parsed], state: StoreState, catalogue: Catalogue, prune: bool
) -> Plan:
    """Check references and work out what importing ``parsed`` changes in the store.

    Args:
        parsed: The export's files by record kind (only the kinds it holds).
        state: The store's records.
        catalogue: The program catalogue (courses, competencies, countries, tiers).
        prune: Remove records the files lack (for the kinds the export holds).

    Returns:
        The plan; write it only when it has no problems.

    """
    return Planner(parsed, state, catalogue, prune).build()
