"""Chat replies about a partner's standing: plain text plus the tier-progress card.

Every reply names numbers and dates: the tier, the next tier, each requirement
(have vs. need), the days left in the transition window and its end date. A reply
that states a sample figure (``PartnerStatus.sample_figures``) ends with the sample
label of ``knowledge.provenance``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from knowledge.provenance import with_sample_note
from partners.recommender import Recommendations
from partners.status import PartnerStatus
from partners.tiers import Requirement

# The apologies, all of them here: what a user is told when a dependency fails. The
# truth, never "please rephrase". TROUBLE is the general one (the app's 503s, Rasa's
# answer to a failed action: rasa_addons/messages.py holds the same words for the Rasa
# side, tests/test_trouble_text.py keeps them equal); the others say what is missing.
TROUBLE = "I'm having trouble right now, please try again in a minute."
RECORDS_UNAVAILABLE = (
    "Sorry, I can't read partner records right now. Please try again in a few minutes, "
    'or say "talk to a human".'
)
KNOWLEDGE_UNAVAILABLE = (
    "Sorry, I can't look that up right now: the program knowledge base is unavailable. "
    "Please try again in a few minutes."
)
HANDOFF_UNAVAILABLE = (
    "Sorry, I couldn't open a ticket for a person just now: our records are not "
    "reachable. Please try again in a few minutes."
)
SIGN_IN_WEB = (
    "I can only show your company's tier, gaps and courses once I know who you are. "
    "Please sign in on the partner portal with your partner id and passcode, then ask again."
)
SIGN_IN_SLACK = (
    "I can only show your company's tier, gaps and courses once this Slack account is "
    'linked to your partner account. Say "link my account" and I\'ll send you a link.'
)


def sign_in_message(channel: str | None) -> str:
    """Ask the user to prove who they are, the way their channel allows."""
    return SIGN_IN_SLACK if channel == "slack" else SIGN_IN_WEB


def long_date(day: dt.date) -> str:
    """1 February 2027."""
    return f"{day.day} {day:%B %Y}"


def deadline(status: PartnerStatus) -> str:
    """Say when the transition window ends and how many days are left."""
    end = long_date(status.transition_end)
    if status.days_left == 0:
        return f"The transition window ended on {end}."
    days = f"{status.days_left} day{'' if status.days_left == 1 else 's'}"
    return f"The transition window ends on {end}: {days} left."


def requirement_lines(items: tuple[Requirement, ...], *, show_met: bool) -> list[str]:
    """One bullet per requirement; met ones are marked when shown."""
    lines = []
    for item in items:
        if item.met and not show_met:
            continue
        mark = "✓" if item.met else "✗"
        lines.append(f"- {mark} {item.describe()}")
    return lines


def status_text(status: PartnerStatus) -> str:
    """Answer "what is my tier?"."""
    lines = [f"{status.name} ({status.partner_id}) is **{status.tier}**."]
    if status.recorded_tier != status.tier:
        lines[0] += f" (The program record still says {status.recorded_tier}.)"
    if status.next_tier is None:
        lines.append("That is the highest tier: you meet every requirement.")
    elif status.missing:
        lines.append(f"Next tier: {status.next_tier}. Still missing for {status.next_tier}:")
        lines += requirement_lines(status.items, show_met=False)
    lines.append(deadline(status))
    if status.vouchers_available:
        lines.append(f"You have {status.vouchers_available} unused course voucher(s).")
    return with_sample_note("\n".join(lines), status.sample_figures)


def gap_text(status: PartnerStatus, target: str, current: str) -> str:
    """Answer "what do we miss for Gold?" with every requirement, met or not."""
    if not status.items:
        text = f"{status.name} is {current}, the highest tier. " + deadline(status)
        return with_sample_note(text, status.sample_figures)
    missing = [item for item in status.items if not item.met]
    head = f"{status.name} is {current}. For {target} you need:"
    if not missing:
        head = f"{status.name} is {current} and already meets every requirement of {target}:"
    lines = [head, *requirement_lines(status.items, show_met=True)]
    if missing:
        lines.append(f"Missing: {len(missing)} of {len(status.items)} requirements.")
    lines.append(deadline(status))
    return with_sample_note("\n".join(lines), status.sample_figures)


def progress_card(status: PartnerStatus) -> dict[str, Any]:
    """Build the ``tier_progress`` card for channels that draw it (the web widget)."""
    return {
        "type": "tier_progress",
        "partner_id": status.partner_id,
        "tier": status.tier,
        "next_tier": status.next_tier,
        "items": [
            {
                "label": item.label,
                "have": item.have,
                "need": item.need,
                "unit": item.unit,
                "met": item.met,
            }
            for item in status.items
        ],
        "days_left": status.days_left,
        "transition_end": status.transition_end.isoformat(),
    }


def recommendations_text(
    result: Recommendations, next_tier: str | None, sample_figures: Iterable[str] = ()
) -> str:
    """Answer "which courses close my gap fastest?".

    ``sample_figures``: what the recommendation rests on that is sample (the course
    catalogue, the partner's gap; ``recommendation_sample_figures``).
    """
    if not result.items:
        return (
            "\n".join(result.notes) or "I found no course that counts toward what you still need."
        )
    aim = f"your gap to {next_tier}" if next_tier else "your next competencies"
    if result.goal:
        aim += f' and your goal "{result.goal}"'
    lines = [f"Courses that close {aim} fastest:"]
    for number, item in enumerate(result.items, start=1):
        lines.append(f"{number}. {item.course_id} {item.title}: {item.explanation}")
    targets = ", ".join(f"{t.name} ({t.remaining} credits to go)" for t in result.targets)
    if targets:
        lines.append(f"Working toward: {targets}.")
    lines += result.notes
    return with_sample_note("\n".join(lines), sample_figures)
