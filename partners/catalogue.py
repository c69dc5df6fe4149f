"""The parts of the program catalogue the partner domain reads, indexed by id.

The catalogue itself (files, validation) belongs to ``knowledge.catalogue``; this
module only adapts it into lookups the tier engine and the recommender need, and
lets tests build one from in-memory models.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from knowledge import live
from knowledge.models import Competency, Country, Course, ProgramRules, Tier


@dataclass(frozen=True)
class ProgramCatalogue:
    """Tier rules, competencies and courses, with id lookups."""

    rules: ProgramRules
    competencies: dict[str, Competency] = field(default_factory=dict)
    courses: dict[str, Course] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        rules: ProgramRules,
        competencies: Iterable[Competency],
        courses: Iterable[Course],
    ) -> ProgramCatalogue:
        """Index competencies and courses by id, keeping the files' order."""
        return cls(
            rules=rules,
            competencies={item.id: item for item in competencies},
            courses={item.id: item for item in courses},
        )

    def country(self, code: str) -> Country | None:
        """Return the country with this ISO code, or None when the rules lack it."""
        return next((item for item in self.rules.countries if item.code == code), None)

    def tier(self, name: str) -> Tier | None:
        """Return the tier called ``name`` (case-insensitive), or None."""
        return next((t for t in self.rules.tiers if t.name.lower() == name.lower()), None)

    def competency_name(self, competency_id: str) -> str:
        """Return a competency's display name, or its id when the catalogue lacks it."""
        competency = self.competencies.get(competency_id)
        return competency.name if competency else competency_id

    def find_competency(self, text: str) -> Competency | None:
        """Find the competency whose id, name or alias occurs in ``text``.

        The longest match wins, so "Cloud Security" beats "Security".
        """
        lowered = f" {_normalise(text)} "
        best: tuple[int, Competency] | None = None
        for competency in self.competencies.values():
            for label in (competency.id, competency.name, *competency.aliases):
                needle = _normalise(label)
                if needle and f" {needle} " in lowered and (best is None or len(needle) > best[0]):
                    best = (len(needle), competency)
        return best[1] if best else None


def _normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


# The last release adapted, with its adaptation: one entry, so at most one release
# that is no longer installed stays referenced here, until the next call.
_adapted: tuple[live.Release, ProgramCatalogue] | None = None


def program_catalogue() -> ProgramCatalogue:
    """Return the live catalogue (``knowledge.live``) adapted for the partner domain.

    Adapted once per release: a newly installed release is adapted on first use.
    """
    global _adapted
    release = live.current()
    adapted = _adapted
    if adapted is None or adapted[0] is not release:
        loaded = release.catalogue
        catalogue = ProgramCatalogue.build(loaded.rules, loaded.competencies, loaded.courses)
        adapted = _adapted = (release, catalogue)
    return adapted[1]
