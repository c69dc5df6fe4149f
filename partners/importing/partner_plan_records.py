"""Plan the records that hang off a person or a partner: certifications to vouchers.

Each kind checks what its rows name (the person or partner, a course or competency
of the catalogue, the country's currency) and is compared with the store's records
(``partner_refs.diff``); the rules are in ``partner_plan``'s docstring.
"""

from __future__ import annotations

from partners.importing.partner_refs import Key, References, Want, diff
from partners.importing.partner_rows import (
    CERTIFICATIONS,
    COMPETENCIES,
    COMPLETIONS,
    REVENUE,
    SATISFACTION,
    VOUCHERS,
)


class RecordPlanner(References):
    """Plans the person and partner records; the partners and people come first."""

    def _certifications(self) -> None:
        wanted: dict[Key, Want] = {}
        for record in self._records(CERTIFICATIONS):
            values = record.values
            person_id = self._person_of(record)
            if self._course_problem(record) or person_id is None:
                continue
            row = {
                "person_id": person_id,
                "name": values["name"],
                "course_id": values["course_id"],
                "earned_on": values["earned_on"],
                "expires_on": values["expires_on"],
            }
            compared = (row["course_id"], row["earned_on"], row["expires_on"])
            wanted[(person_id, values["name"])] = (compared, row)
        diff(
            self.plan.changes[CERTIFICATIONS],
            wanted,
            (
                ((person, name), {"id": cid}, (course, on, ends), person in self.kept_people)
                for cid, person, name, course, on, ends in self.state.certifications
            ),
            self._pruned(CERTIFICATIONS),
            lambda key: f"certification {self.person_name[key[0]]}/{key[1]}",
        )

    def _completions(self) -> None:
        wanted: dict[Key, Want] = {}
        for record in self._records(COMPLETIONS):
            values = record.values
            person_id = self._person_of(record)
            if self._course_problem(record) or person_id is None:
                continue
            row = {
                "person_id": person_id,
                "course_id": values["course_id"],
                "completed_on": values["completed_on"],
            }
            wanted[(person_id, values["course_id"])] = ((values["completed_on"],), row)
        diff(
            self.plan.changes[COMPLETIONS],
            wanted,
            (
                ((person, course), {"id": cid}, (on,), person in self.kept_people)
                for cid, person, course, on in self.state.completions
            ),
            self._pruned(COMPLETIONS),
            lambda key: f"completion {self.person_name[key[0]]}/{key[1]}",
        )

    # ------------------------------------------------------- per-partner records
    def _competencies(self) -> None:
        known = self.catalogue.competency_by_id
        wanted: dict[Key, Want] = {}
        for record in self._records(COMPETENCIES):
            values = record.values
            bad = self._partner_problem(record)
            if values["competency_id"] not in known:
                why = "unknown competency id: not in the program catalogue"
                self._problem(record, "competency_id", why)
            elif not bad:
                key = (values["partner_id"], values["competency_id"])
                wanted[key] = ((values["earned_on"],), dict(values))
        diff(
            self.plan.changes[COMPETENCIES],
            wanted,
            (
                ((p, c), {"partner_id": p, "competency_id": c}, (on,), p in self.kept_partners)
                for p, c, on in self.state.competencies
            ),
            self._pruned(COMPETENCIES),
            lambda key: f"competency {key[0]}/{key[1]}",
        )

    def _revenue(self) -> None:
        currency_of = {c.code: c.currency for c in self.catalogue.country_by_code.values()}
        wanted: dict[Key, Want] = {}
        for record in self._records(REVENUE):
            values = record.values
            if self._partner_problem(record):
                continue
            expected = currency_of.get(self.country_of.get(values["partner_id"], ""))
            currency = values["currency"] or expected or ""
            if expected is not None and currency != expected:
                why = (
                    f"the partner's country counts revenue in {expected}; "
                    "the tier rules' thresholds are in that currency"
                )
                self._problem(record, "currency", why)
                continue
            row = {**values, "currency": currency}
            wanted[(values["partner_id"], values["year"])] = ((values["amount"], currency), row)
        diff(
            self.plan.changes[REVENUE],
            wanted,
            (
                ((p, y), {"partner_id": p, "year": y}, (a, c), p in self.kept_partners)
                for p, y, a, c in self.state.revenue
            ),
            self._pruned(REVENUE),
            lambda key: f"revenue {key[0]}/{key[1]}",
        )

    def _satisfaction(self) -> None:
        wanted: dict[Key, Want] = {}
        for record in self._records(SATISFACTION):
            values = record.values
            if not self._partner_problem(record):
                key = (values["partner_id"], values["year"], values["quarter"])
                wanted[key] = ((values["score"],), dict(values))
        diff(
            self.plan.changes[SATISFACTION],
            wanted,
            (
                (
                    (p, y, q),
                    {"partner_id": p, "year": y, "quarter": q},
                    (s,),
                    p in self.kept_partners,
                )
                for p, y, q, s in self.state.satisfaction
            ),
            self._pruned(SATISFACTION),
            lambda key: f"satisfaction {key[0]}/{key[1]}-Q{key[2]}",
        )

    def _vouchers(self) -> None:
        wanted: dict[Key, Want] = {}
        for record in self._records(VOUCHERS):
            values = record.values
            if not self._partner_problem(record):
                compared = (values["partner_id"], values["status"], values["expires_on"])
                wanted[(values["code"],)] = (compared, dict(values))
        diff(
            self.plan.changes[VOUCHERS],
            wanted,
            (
                ((code,), {"code": code}, (p, s, e), p in self.kept_partners)
                for code, p, s, e in self.state.vouchers
            ),
            self._pruned(VOUCHERS),
            lambda key: f"voucher {key[0]}",
        )
