"""Pydantic models of the program's source files in ``knowledge/data/``.

These models are the contract between the data files a program office edits, the
index build, the tier engine and the course recommender. ``docs/data.md`` documents
each field for people.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from knowledge import figure_paths

Level = Literal["beginner", "intermediate", "advanced"]
Delivery = Literal["self-paced", "virtual classroom", "classroom", "lab"]
TierName = Literal["Registered", "Silver", "Gold", "Platinum"]
DocKind = Literal["competency", "course", "rule", "fact"]
# Where a figure comes from: the program's published facts (../shared/program-brief.md,
# or a plain description of what this assistant does), the sample data the project
# ships, or the program office's own files or imports. Only "sample" is labelled.
FigureSource = Literal["published", "sample", "office"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreditTransfer(_Strict):
    """Credit that a legacy product certification carries into a competency."""

    certification: str = Field(description="Name of the legacy product certification.")
    credits: int = Field(ge=0, description="Credits it counts toward the competency.")


class CompetencyRequirements(_Strict):
    """What a partner must show to earn a competency."""

    credits: int = Field(ge=0, description="Course credits the partner's people must hold.")
    certified_people: int = Field(ge=0, description="People with a certification in it.")
    client_references: int = Field(ge=0, description="Referenceable client projects.")
    required_courses: list[str] = Field(default_factory=list, description="Course ids.")


class Competency(_Strict):
    """One competency of the catalogue."""

    id: str = Field(pattern=r"^C-[A-Z0-9-]+$")
    name: str
    area: str
    description: str
    aliases: list[str] = Field(default_factory=list, description="Short forms partners use.")
    requirements: CompetencyRequirements
    credit_transfer: list[CreditTransfer] = Field(default_factory=list)


class Course(_Strict):
    """One PartnerWorld University course."""

    id: str = Field(pattern=r"^U-[A-Z0-9-]+$")
    title: str
    summary: str
    level: Level
    duration_hours: float = Field(gt=0)
    delivery: Delivery
    prerequisites: list[str] = Field(default_factory=list, description="Course ids.")
    competencies: list[str] = Field(min_length=1, description="Competency ids it counts toward.")
    credits: int = Field(gt=0, description="Credits toward each listed competency.")
    voucher_eligible: bool


class TierRequirements(_Strict):
    """What a partner needs to hold a tier (each tier includes the lower ones)."""

    competencies: int = Field(
        ge=0, description="Competencies earned, client satisfaction included."
    )
    client_satisfaction_competency: bool
    min_satisfaction_score: float | None = Field(default=None, ge=0, le=10)
    revenue: bool = Field(description="Whether the country's revenue threshold applies.")


class Tier(_Strict):
    """One tier of the program, lowest first in the file."""

    name: TierName
    rank: int = Field(ge=0)
    summary: str
    requirements: TierRequirements
    benefits: list[str]


class Country(_Strict):
    """Country-specific revenue thresholds and benefits."""

    code: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    revenue_thresholds: dict[TierName, int] = Field(
        description="Annual revenue needed per tier, in the country's currency."
    )
    extra_benefits: dict[TierName, list[str]] = Field(default_factory=dict)
    excluded_benefits: dict[TierName, list[str]] = Field(
        default_factory=dict, description="Benefits local law does not allow."
    )


class TransitionWindow(_Strict):
    """The window partners have to build the new competencies."""

    start: dt.date
    months: int = Field(gt=0)
    end: dt.date


class ProgramRules(_Strict):
    """Contents of ``tiers.yaml``."""

    client_satisfaction_competency: str = Field(
        description="Id of the client-satisfaction competency."
    )
    transition: TransitionWindow
    voucher_per_certification: int = Field(
        ge=0, description="Vouchers earned per certification passed."
    )
    tiers: list[Tier] = Field(min_length=4, max_length=4)
    countries: list[Country] = Field(min_length=10)
    default_source: FigureSource = Field(
        default="sample", description="Source of every figure figure_sources does not name."
    )
    figure_sources: dict[str, FigureSource] = Field(
        default_factory=dict,
        description=(
            "Source per figure path (docs/data.md, 'Where figures come from'); a path "
            "may name a group (transition, countries.DE) or a catalogue part "
            "(competencies, courses)."
        ),
    )

    @model_validator(mode="after")
    def _known_figure_paths(self) -> ProgramRules:
        """Refuse a source for a figure these rules do not have (a typo would hide a label)."""
        unknown = [p for p in self.figure_sources if not figure_paths.is_known(self, p)]
        if unknown:
            raise ValueError(
                f"figure_sources names no figure of these rules: {', '.join(sorted(unknown))}"
            )
        return self

    def figure_paths(self) -> list[str]:
        """Every figure path of these rules, in file order (docs/data.md has the grammar)."""
        return figure_paths.leaves(self)

    def source_of(self, path: str) -> FigureSource:
        """Where a figure (or group of figures, or catalogue part) comes from.

        The most specific entry of ``figure_sources`` that names the path or a group
        holding it wins; without one, ``default_source``. A group's source is the
        least certain of its figures' (sample before office before published).

        Raises:
            KeyError: The path names no figure, group or part of these rules.

        """
        return figure_paths.source_of(self, path)


class Fact(_Strict):
    """A program fact or rule written as answerable text."""

    id: str = Field(pattern=r"^F-[A-Z0-9-]+$")
    title: str
    text: str
    kind: Literal["rule", "fact"] = "fact"
    topic: str
    source: FigureSource = Field(
        default="sample", description="published, sample or office; sample is labelled."
    )


class Document(_Strict):
    """One unit of the index: what a search hit points at."""

    id: str
    kind: DocKind
    title: str
    text: str
    area: str | None = None
    level: Level | None = None
    sample_figures: tuple[str, ...] = Field(
        default=(), description="Figure paths the text states that are sample values."
    )
