"""Say so when an answer states a sample figure: the label and what each answer states.

The project ships invented figures (tier thresholds, revenue by country, dates,
courses...) beside the program's published facts; ``tiers.yaml`` marks the source
of each figure (``knowledge/figure_paths.py`` names them) and ``facts.yaml`` the
source of each fact. Every channel (chat, Slack, the API) that states a figure
whose source is ``sample`` adds ``SAMPLE_NOTE`` (or, in JSON, the paths in
``sample_figures``); once the program office's import marks a figure ``office``,
the label goes. The one wording of the label lives here.

This module also says which figure paths a text states: ``document_figures`` for
index documents, ``requirement_figures`` for a tier requirement shown to a partner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from knowledge import figure_paths
from knowledge.models import Fact, ProgramRules, Tier

# The label, short and kind; the page's own sample note starts the same way
# (bot/static/index.html: "Sample data: this installation holds fictitious partners").
SAMPLE_NOTE = (
    "**Sample data:** these figures are examples until the program office publishes its own."
)
FACT_PREFIX = "facts."


def sample_note(sample_figures: Iterable[str]) -> str:
    """Return ``SAMPLE_NOTE`` when any figure is sample, else an empty string."""
    return SAMPLE_NOTE if any(True for _ in sample_figures) else ""


def with_sample_note(text: str, sample_figures: Iterable[str]) -> str:
    """Append the label to a reply that states a sample figure, as its last line.

    A line, not a paragraph: Rasa's output channels send each paragraph (split on a
    blank line) as a message of its own, and the label belongs to the answer it
    qualifies, in the same bubble (web) or message (Slack).
    """
    note = sample_note(sample_figures)
    return f"{text}\n{note}" if note else text


def merge(*groups: Iterable[str]) -> tuple[str, ...]:
    """Union of figure-path lists, sorted (for ``sample_figures`` fields)."""
    return tuple(sorted({path for group in groups for path in group}))


def fact_path(fact_id: str) -> str:
    """Return the figure path of a whole fact of ``facts.yaml``: ``facts.F-VOUCHER-USE``."""
    return f"{FACT_PREFIX}{fact_id}"


def fact_sample_figures(fact: Fact) -> tuple[str, ...]:
    """Return the fact's own path when its ``source`` is sample (it states its text)."""
    return (fact_path(fact.id),) if fact.source == "sample" else ()


def sample_figures(rules: ProgramRules, paths: Iterable[str]) -> tuple[str, ...]:
    """Return the paths (figures, groups or parts) whose source is sample, sorted."""
    return figure_paths.sample_paths(rules, paths)


# ------------------------------------------------------------ what a text states


def _upto(rules: ProgramRules, tier_name: str) -> list[Tier]:
    """Return the tier and every tier below it, lowest first (requirements fold)."""
    tiers = sorted(rules.tiers, key=lambda tier: tier.rank)
    names = [tier.name for tier in tiers]
    return tiers[: names.index(tier_name) + 1] if tier_name in names else []


def _deciding(tiers: Sequence[Tier], values: Sequence[float | None]) -> list[str]:
    """Names of the tiers whose value is the one in force (the highest)."""
    known = [value for value in values if value is not None]
    if not known:
        return []
    top = max(known)
    return [tier.name for tier, value in zip(tiers, values, strict=True) if value == top]


def requirement_figures(
    rules: ProgramRules, tier_name: str, key: str, country: str | None = None
) -> list[str]:
    """Figure paths behind one requirement of a tier, as the tier engine folds them.

    Args:
        rules: The tier rules.
        tier_name: The tier whose (folded) requirement is shown.
        key: ``competencies``, ``client_satisfaction``, ``satisfaction_score`` or
            ``revenue`` (``partners.tiers.RequirementKey``).
        country: The partner's country code, for the revenue threshold.

    Returns:
        The paths of the values that decide the requirement (the highest among the
        tier and the tiers below it), empty for an unknown tier or key.

    """
    upto = _upto(rules, tier_name)
    if key == "competencies":
        values = [float(t.requirements.competencies) for t in upto]
        return [f"tiers.{n}.requirements.competencies" for n in _deciding(upto, values)]
    if key == "client_satisfaction":
        held = [f"tiers.{t.name}.requirements.client_satisfaction_competency" for t in upto]
        return ["client_satisfaction_competency", *held]
    if key == "satisfaction_score":
        scores = [t.requirements.min_satisfaction_score for t in upto]
        return [f"tiers.{n}.requirements.min_satisfaction_score" for n in _deciding(upto, scores)]
    if key == "revenue":
        applying = [t for t in upto if t.requirements.revenue]
        paths = [f"tiers.{t.name}.requirements.revenue" for t in upto]
        entry = next((c for c in rules.countries if c.code == country), None)
        if entry is not None and applying:
            amounts: list[float | None] = [entry.revenue_thresholds.get(t.name) for t in applying]
            deciding = _deciding(applying, amounts)
            paths += [f"countries.{entry.code}.revenue_thresholds.{n}" for n in deciding]
        return paths
    return []


def requirement_sample_figures(
    rules: ProgramRules, tier_name: str, key: str, country: str | None = None
) -> tuple[str, ...]:
    """Return the sample ones among ``requirement_figures`` (memoised per rules)."""
    cache = figure_paths.memo(rules)
    memo_key = ("requirement", tier_name, key, country or "")
    found = cache.get(memo_key)
    if found is None:
        found = cache[memo_key] = sample_figures(
            rules, requirement_figures(rules, tier_name, key, country)
        )
    return found


def tier_figures(rules: ProgramRules, tier_name: str, country: str | None = None) -> list[str]:
    """Every figure path that decides whether a partner in ``country`` holds a tier."""
    keys = ("competencies", "client_satisfaction", "satisfaction_score", "revenue")
    return [path for key in keys for path in requirement_figures(rules, tier_name, key, country)]
