"""What if? A hypothetical change to a partner's own record, evaluated by the tier engine.

``what_if(catalogue, record, changes, ...)`` applies the changes to a *copy* of the
record (``PartnerSnapshot`` is frozen: the stored record is never touched) and
evaluates copy and original with the real tier engine (``partners.status``, which
uses ``partners.tiers``), so a what-if can never disagree with the tier a partner
would really get. The changes a message can ask for (``partners.what_if_parse`` reads
them from text):

- ``Earn`` / ``Lose`` a competency, named or by area ("Data": the unearned competency
  of that area the partner is closest to; any one counts the same toward a tier);
- ``MoreCompetencies``: N more, unnamed (the N closest ones are counted);
- ``CertifyPeople``: N more people certified in a competency. A competency is only
  earned when all its recorded requirements hold (credits, required courses,
  certified people); then it counts toward the tier. Client references are not in a
  partner record, so the explanation says the program office checks them;
- ``Score``: the client-satisfaction score set to, or moved by, a value (0-10);
- ``Revenue``: last year's revenue set to, moved by, or scaled by a value, optionally
  in a named country (the thresholds and currency of that country then apply).

The explanation text lives in ``partners.what_if_text``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from partners.catalogue import ProgramCatalogue
from partners.status import status_from_snapshot
from partners.targets import needs_of
from partners.tiers import PartnerSnapshot, certified_people, tier_gap
from partners.what_if_changes import (
    Applied,
    CertifyPeople,
    Change,
    CompetencyProgress,
    CompetencyRef,
    Earn,
    Lose,
    MoreCompetencies,
    Outcome,
    Revenue,
    Score,
)

SCORE_RANGE = (0.0, 10.0)


def what_if(
    catalogue: ProgramCatalogue,
    record: PartnerSnapshot,
    changes: Sequence[Change],
    *,
    recorded_tier: str,
    today: dt.date,
    target_tier: str | None = None,
) -> Outcome:
    """Apply ``changes`` to a copy of ``record`` and evaluate both with the tier engine.

    Args:
        catalogue: Rules, competencies and courses.
        record: The partner's record; never modified.
        changes: What the question supposes, applied in order.
        recorded_tier: The tier the program office recorded (shown, not compared).
        today: The date the transition deadline is counted from.
        target_tier: A tier the question asked about ("would we reach Gold?").

    Raises:
        partners.tiers.UnknownCountryError: A revenue change names a country the rules
            do not have.

    """
    # Competencies the question names are not also picked for an area or a count.
    reserved = {
        change.competency.competency_id
        for change in changes
        if isinstance(change, Earn | CertifyPeople) and change.competency.competency_id
    }
    state = _Copy(catalogue, record, reserved=frozenset(reserved))
    applied = tuple(state.apply(change) for change in changes)
    changed = state.snapshot
    after = status_from_snapshot(catalogue, changed, recorded_tier, today)
    before = status_from_snapshot(catalogue, record, recorded_tier, today)
    named = catalogue.tier(target_tier) if target_tier else None
    target = tier_gap(catalogue.rules, changed, named.name) if named else None
    return Outcome(before, after, applied, target, state.vouchers)


def closest_competencies(
    catalogue: ProgramCatalogue, record: PartnerSnapshot, count: int
) -> list[str]:
    """Return the ``count`` unearned competencies closest to done (Client Satisfaction aside)."""
    return _Copy(catalogue, record).closest(count=count)


class _Copy:
    """The record being changed: a new frozen snapshot per change."""

    def __init__(
        self,
        catalogue: ProgramCatalogue,
        record: PartnerSnapshot,
        reserved: frozenset[str] = frozenset(),
    ) -> None:
        self.catalogue = catalogue
        self.reserved = reserved
        self.original = record
        self.snapshot = record
        self.extra_people: dict[str, int] = {}
        self.vouchers = 0

    def apply(self, change: Change) -> Applied:
        if isinstance(change, Earn):
            return self._earn(change.competency)
        if isinstance(change, Lose):
            return self._lose(change.competency)
        if isinstance(change, MoreCompetencies):
            chosen = self.closest(count=change.count)
            self._replace(competencies=self.snapshot.competencies | set(chosen))
            return Applied("more", tuple(chosen), count=change.count)
        if isinstance(change, CertifyPeople):
            return self._certify(change)
        if isinstance(change, Score):
            return self._score(change)
        return self._revenue(change)

    def _replace(self, **values: object) -> None:
        self.snapshot = dataclasses.replace(self.snapshot, **values)  # type: ignore[arg-type]

    def _resolve(self, ref: CompetencyRef, *, held: bool) -> str | None:
        """Return the competency meant: the id, or an area's closest (held: a held) one."""
        if ref.competency_id is not None:
            return ref.competency_id
        in_area = [c.id for c in self.catalogue.competencies.values() if c.area == ref.area]
        if held:
            return next((c for c in in_area if c in self.snapshot.competencies), None)
        closest = self.closest(count=1, among=in_area)
        return closest[0] if closest else None

    def closest(self, *, count: int, among: Sequence[str] | None = None) -> list[str]:
        """Unearned competencies closest to completion: fewest credits, then people, to go."""
        pool = among if among is not None else list(self.catalogue.competencies)
        client_sat = self.catalogue.rules.client_satisfaction_competency
        unearned = [
            c
            for c in pool
            if c not in self.snapshot.competencies
            and c not in self.reserved
            and (among is not None or c != client_sat)
        ]
        needs = needs_of(self.catalogue, self.snapshot, unearned)
        people = self._people()

        def distance(competency_id: str) -> tuple[int, int, str]:
            short = self.catalogue.competencies[competency_id].requirements.certified_people
            return (
                needs[competency_id].amount(),
                short - people.get(competency_id, 0),
                competency_id,
            )

        return sorted(unearned, key=distance)[:count]

    def _people(self) -> dict[str, int]:
        counted = certified_people(
            self.catalogue.competencies.values(),
            self.catalogue.courses,
            self.original.held_certifications,
        )
        for competency_id, extra in self.extra_people.items():
            counted[competency_id] = counted.get(competency_id, 0) + extra
        return counted

    def _earn(self, ref: CompetencyRef) -> Applied:
        competency_id = self._resolve(ref, held=False)
        if competency_id is None:  # every competency of the area is held already
            held = self._resolve(ref, held=True)
            return Applied("already_held", (held,) if held else (), area=ref.area)
        if competency_id in self.snapshot.competencies:
            return Applied("already_held", (competency_id,))
        self._replace(competencies=self.snapshot.competencies | {competency_id})
        return Applied("earn", (competency_id,), area=ref.area)

    def _lose(self, ref: CompetencyRef) -> Applied:
        competency_id = self._resolve(ref, held=True)
        if competency_id is None or competency_id not in self.snapshot.competencies:
            ids = (competency_id,) if competency_id else ()
            return Applied("not_held", ids, area=ref.area)
        self._replace(competencies=self.snapshot.competencies - {competency_id})
        return Applied("lose", (competency_id,), area=ref.area)

    def _certify(self, change: CertifyPeople) -> Applied:
        competency_id = self._resolve(change.competency, held=False)
        if competency_id is None:
            competency_id = self._resolve(change.competency, held=True)
        assert competency_id is not None, "an area always has a competency"
        self.extra_people[competency_id] = self.extra_people.get(competency_id, 0) + change.count
        self.vouchers += change.count * self.catalogue.rules.voucher_per_certification
        self._replace(available_vouchers=self.original.available_vouchers + self.vouchers)
        progress = self._progress(competency_id)
        if progress.complete and competency_id not in self.snapshot.competencies:
            self._replace(competencies=self.snapshot.competencies | {competency_id})
        return Applied(
            "certify", (competency_id,), area=change.competency.area, count=change.count,
            progress=progress,
        )  # fmt: skip

    def _progress(self, competency_id: str) -> CompetencyProgress:
        need = needs_of(self.catalogue, self.original, [competency_id])[competency_id]
        requirements = self.catalogue.competencies[competency_id].requirements
        return CompetencyProgress(
            competency_id=competency_id,
            credits_missing=need.amount(),
            courses_missing=tuple(sorted(need.required)),
            people=self._people().get(competency_id, 0),
            people_needed=requirements.certified_people,
            client_references=requirements.client_references,
        )

    def _score(self, change: Score) -> Applied:
        before = self.snapshot.satisfaction_score
        if change.relative and before is None:
            return Applied("no_score", after=change.value)
        value = before + change.value if change.relative and before is not None else change.value
        low, high = SCORE_RANGE
        after = round(min(high, max(low, value)), 1)
        self._replace(satisfaction_score=after)
        return Applied("score", before=before, after=after)

    def _revenue(self, change: Revenue) -> Applied:
        before = self.snapshot.revenue_last_year
        if change.mode == "add":
            value = before + change.value
        elif change.mode == "scale":
            value = before * change.value
        else:
            value = change.value
        after = max(0, round(value))
        country = change.country if change.country != self.original.country else None
        if country is not None:
            self._replace(country=country)
        self._replace(revenue_last_year=after)
        entry = self.catalogue.country(self.snapshot.country)
        currency = entry.currency if entry else ""
        return Applied(
            "revenue", before=before, after=after, unit=currency, country=country,
            written_currency=change.currency,
        )  # fmt: skip
