"""The changes a what-if can suppose to a partner's record, and what they lead to.

Plain values: ``partners.what_if_parse`` makes the changes from a message,
``partners.what_if`` applies them to a copy of the record and returns an ``Outcome``,
``partners.what_if_text`` words it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from partners.status import PartnerStatus
from partners.tiers import TierGap


@dataclass(frozen=True)
class CompetencyRef:
    """A competency named by id, or an area of the catalogue ("Data", "Cloud")."""

    competency_id: str | None = None
    area: str | None = None


@dataclass(frozen=True)
class Earn:
    """The partner earns a competency."""

    competency: CompetencyRef


@dataclass(frozen=True)
class Lose:
    """The partner loses a competency it holds."""

    competency: CompetencyRef


@dataclass(frozen=True)
class MoreCompetencies:
    """The partner earns ``count`` more competencies, not named."""

    count: int


@dataclass(frozen=True)
class CertifyPeople:
    """``count`` more of the partner's people certify in a competency."""

    count: int
    competency: CompetencyRef


@dataclass(frozen=True)
class Score:
    """The client-satisfaction score becomes ``value`` (``relative``: moves by it)."""

    value: float
    relative: bool = False


@dataclass(frozen=True)
class Revenue:
    """Last year's revenue: set to, moved by (``add``) or multiplied by (``scale``) a value.

    ``country``: the revenue counts in this country (ISO code) instead of the record's;
    ``currency``: the currency the message wrote the amount in, if any.
    """

    value: float
    mode: Literal["set", "add", "scale"] = "set"
    country: str | None = None
    currency: str | None = None


Change = Earn | Lose | MoreCompetencies | CertifyPeople | Score | Revenue


@dataclass(frozen=True)
class CompetencyProgress:
    """A competency's requirements as the record (with the change) shows them."""

    competency_id: str
    credits_missing: int
    courses_missing: tuple[str, ...]
    people: int
    people_needed: int
    client_references: int

    @property
    def complete(self) -> bool:
        """Whether every requirement a partner record holds is met."""
        return (
            self.credits_missing == 0
            and not self.courses_missing
            and self.people >= self.people_needed
        )


AppliedKind = Literal[
    "earn", "already_held", "lose", "not_held", "more", "certify", "score", "no_score", "revenue"
]


@dataclass(frozen=True)
class Applied:
    """One change as it was applied to the copy, with the figures before and after.

    Attributes:
        kind: What happened; ``already_held``, ``not_held`` and ``no_score`` (a score
            moved "by" a value while there is none yet) changed nothing.
        competency_ids: The competencies concerned (chosen ones for areas and counts).
        area: The area the competency was chosen from, when the message named an area.
        count: People certified or competencies added.
        before: Score or revenue before (None: no score yet).
        after: Score or revenue after.
        unit: The revenue's currency.
        country: The country whose thresholds the revenue was compared with, when it is
            not the record's.
        written_currency: The currency the message wrote a revenue amount in.
        progress: For certified people: the competency's requirements after the change.

    """

    kind: AppliedKind
    competency_ids: tuple[str, ...] = ()
    area: str | None = None
    count: int = 0
    before: float | None = None
    after: float | None = None
    unit: str = ""
    country: str | None = None
    written_currency: str | None = None
    progress: CompetencyProgress | None = None


@dataclass(frozen=True)
class Outcome:
    """The partner's standing before and after the changes.

    Attributes:
        before: The status as recorded.
        after: The status the changed copy would have.
        applied: Each change, in order, as applied.
        target: The gap to the tier the question named (after the changes), if any.
        vouchers_earned: Course vouchers the certifications would earn.

    """

    before: PartnerStatus
    after: PartnerStatus
    applied: tuple[Applied, ...]
    target: TierGap | None = None
    vouchers_earned: int = 0

    @property
    def competencies_changed(self) -> bool:
        """Whether the set of competencies differs after the changes."""
        return self.before.competencies != self.after.competencies
