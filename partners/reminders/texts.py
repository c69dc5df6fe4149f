"""The words of the reminders (markdown, as the widget renders it; ``slack_text`` for Slack).

Each reminder names its numbers and dates and says how to turn reminders off. A
reminder that states a sample figure (the deadline, a threshold, the sample course
catalogue) ends with the sample label of ``knowledge.provenance``, like every answer.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from knowledge.models import Competency, Course, ProgramRules
from knowledge.provenance import merge, sample_figures, tier_figures, with_sample_note
from partners.messages import deadline, long_date, requirement_lines
from partners.status import PartnerStatus
from partners.tiers import Requirement

OFF_HINT = 'Say "stop reminders" to turn these reminders off.'
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _days(count: int) -> str:
    return "today" if count == 0 else f"in {count} day{'' if count == 1 else 's'}"


def tier_at_risk(status: PartnerStatus, missing: Sequence[Requirement]) -> str:
    """Say that the window is closing and the recorded tier's requirements are not all met."""
    tier = status.recorded_tier
    lines = [f"**Your {tier} tier is at risk.** {deadline(status)}"]
    if status.tier != tier:
        lines.append(f"By your record today you would be {status.tier}.")
    lines.append(f"For {tier} your record still misses:")
    lines += requirement_lines(tuple(missing), show_met=False)
    lines.append(f'Ask me "what do we miss for {tier}?" for the details and the courses that help.')
    lines.append(OFF_HINT)
    figures = merge(status.basis_sample_figures, *(item.sample_figures for item in missing))
    return with_sample_note("\n".join(lines), figures)


def certification_expiring(name: str, person: str, expires_on: dt.date, today: dt.date) -> str:
    """Say that a certification of one of the partner's people lapses soon."""
    days = _days((expires_on - today).days)
    return (
        f"**A certification expires soon:** {name}, held by {person}, expires on "
        f"{long_date(expires_on)} ({days}). Renew it in time to keep it counting toward "
        f"your competencies.\n{OFF_HINT}"
    )


def vouchers_expiring(count: int, expires_on: dt.date, today: dt.date) -> str:
    """Say that available vouchers lapse soon."""
    what = "1 course voucher" if count == 1 else f"{count} course vouchers"
    verb = "expires" if count == 1 else "expire"
    days = _days((expires_on - today).days)
    return (
        f"**{what.capitalize()} of your company {verb} on {long_date(expires_on)}** ({days}). "
        'Book a voucher-eligible class before then: ask me "which courses should we take?".'
        f"\n{OFF_HINT}"
    )


def one_course_away(
    rules: ProgramRules, country: str, tier: str, competency: Competency, course: Course
) -> str:
    """Say which one course closes the gap to the next tier (sample-labelled: the catalogue)."""
    lines = [
        f"**You are one course away from {tier}.** Completing {course.id} {course.title} "
        f"({course.duration_hours:g} h) completes {competency.name}, the last requirement "
        f"your record misses for {tier}."
    ]
    if competency.requirements.client_references:
        lines.append(
            f"{competency.name} also asks for {competency.requirements.client_references} "
            "client references, which the program office checks."
        )
    lines.append(OFF_HINT)
    figures = sample_figures(
        rules, [*tier_figures(rules, tier, country), "competencies", "courses"]
    )
    return with_sample_note("\n".join(lines), figures)


def slack_text(markdown: str) -> str:
    """Return the reminder in Slack's mrkdwn: ``**bold**`` becomes ``*bold*``."""
    return _BOLD.sub(r"*\1*", markdown)
