"""The tier engine over the real tiers.yaml and over generated rule sets."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.models import (
    Competency,
    CompetencyRequirements,
    Country,
    CreditTransfer,
    ProgramRules,
    Tier,
    TierRequirements,
    TransitionWindow,
)
from partners.catalogue import ProgramCatalogue
from partners.tiers import (
    PartnerSnapshot,
    current_tier,
    days_left,
    effective_requirements,
    evaluate,
    meets,
    next_tier_gap,
    revenue_threshold,
    tier_gap,
    tiers_by_rank,
    transferable_credits,
)

TIER_NAMES = ("Registered", "Silver", "Gold", "Platinum")
CLIENT_SAT = "C-CLIENT-SAT"


def _snapshot(**values: object) -> PartnerSnapshot:
    base = PartnerSnapshot(partner_id="P-TEST", country="DE")
    return dataclasses.replace(base, **values)  # type: ignore[arg-type]


# ------------------------------------------------------------------ real rules file


def test_silver_partner_sees_exactly_what_it_misses_for_gold(catalogue: ProgramCatalogue) -> None:
    rules = catalogue.rules
    partner = _snapshot(
        competencies=frozenset({CLIENT_SAT, "C-CLOUD-NATIVE", "C-DEVOPS"}),
        satisfaction_score=7.6,
        revenue_last_year=420_000,
    )
    assert current_tier(rules, partner).name == "Silver"
    gap = next_tier_gap(rules, partner)
    assert gap is not None and gap.target == "Gold"
    missing = {item.key: item for item in gap.missing}
    assert set(missing) == {"competencies", "satisfaction_score", "revenue"}
    assert (missing["competencies"].have, missing["competencies"].need) == (3, 4)
    assert (missing["satisfaction_score"].have, missing["satisfaction_score"].need) == (7.6, 8.0)
    assert (missing["revenue"].have, missing["revenue"].need) == (420_000, 450_000)
    assert missing["revenue"].unit == "EUR"
    assert missing["revenue"].describe() == ("Revenue last year: 420,000 EUR of 450,000 EUR needed")
    assert (
        missing["satisfaction_score"].describe() == "Client satisfaction score: 7.6 of 8.0 needed"
    )


# Worked out by hand from knowledge/data/tiers.yaml (Silver: 2 competencies with Client
# Satisfaction, score 7.0; Gold: 4 and 8.0; Platinum: 6 and 8.5; each at least the
# country's revenue threshold), not by running the engine. Each row: the partner, the
# tier it holds, a target tier and that tier's requirements in order, as
# (key, have, need, unit, met).
HAND_WORKED = [
    pytest.param(
        _snapshot(
            country="US",
            competencies=frozenset({CLIENT_SAT, "C-DEVOPS"}),
            satisfaction_score=7.0,
            revenue_last_year=100_000,
        ),
        "Silver",
        "Gold",
        [
            ("competencies", 2, 4, "competencies", False),
            ("client_satisfaction", 1, 1, "competency", True),
            ("satisfaction_score", 7.0, 8.0, "score", False),
            ("revenue", 100_000, 500_000, "USD", False),
        ],
        id="US Silver exactly at each Silver threshold",
    ),
    pytest.param(
        _snapshot(
            country="DE",
            competencies=frozenset({CLIENT_SAT, "C-DEVOPS", "C-CONTAINERS"}),
            satisfaction_score=8.0,
            revenue_last_year=449_999,
        ),
        "Silver",
        "Gold",
        [
            ("competencies", 3, 4, "competencies", False),
            ("client_satisfaction", 1, 1, "competency", True),
            ("satisfaction_score", 8.0, 8.0, "score", True),
            ("revenue", 449_999, 450_000, "EUR", False),
        ],
        id="DE Silver one euro short of Gold's revenue",
    ),
    pytest.param(
        _snapshot(
            country="JP",
            competencies=frozenset({"C-DEVOPS", "C-CONTAINERS", "C-MAINFRAME", "C-CLOUD-NATIVE"}),
            satisfaction_score=9.0,
            revenue_last_year=300_000_000,
        ),
        "Registered",
        "Platinum",
        [
            ("competencies", 4, 6, "competencies", False),
            ("client_satisfaction", 0, 1, "competency", False),
            ("satisfaction_score", 9.0, 8.5, "score", True),
            ("revenue", 300_000_000, 240_000_000, "JPY", True),
        ],
        id="JP without Client Satisfaction stays Registered",
    ),
    pytest.param(
        _snapshot(
            country="IN",
            competencies=frozenset({CLIENT_SAT, "C-DEVOPS", "C-CONTAINERS", "C-MAINFRAME"}),
            satisfaction_score=None,
            revenue_last_year=30_000_000,
        ),
        "Registered",
        "Silver",
        [
            ("competencies", 4, 2, "competencies", True),
            ("client_satisfaction", 1, 1, "competency", True),
            ("satisfaction_score", 0.0, 7.0, "score", False),
            ("revenue", 30_000_000, 5_000_000, "INR", True),
        ],
        id="IN without a score stays Registered",
    ),
    pytest.param(
        _snapshot(
            country="DE",
            competencies=frozenset(
                {
                    CLIENT_SAT,
                    "C-DEVOPS",
                    "C-CONTAINERS",
                    "C-MAINFRAME",
                    "C-CLOUD-NATIVE",
                    "C-DOCUMENT-AI",
                }
            ),
            satisfaction_score=8.4,
            revenue_last_year=2_000_000,
        ),
        "Gold",
        "Platinum",
        [
            ("competencies", 6, 6, "competencies", True),
            ("client_satisfaction", 1, 1, "competency", True),
            ("satisfaction_score", 8.4, 8.5, "score", False),
            ("revenue", 2_000_000, 1_800_000, "EUR", True),
        ],
        id="DE Gold a tenth of a point short of Platinum",
    ),
]


@pytest.mark.parametrize(("partner", "holds", "target", "expected"), HAND_WORKED)
def test_tier_and_gap_match_the_hand_worked_figures(
    catalogue: ProgramCatalogue,
    partner: PartnerSnapshot,
    holds: str,
    target: str,
    expected: list[tuple[str, float, float, str, bool]],
) -> None:
    rules = catalogue.rules
    assert current_tier(rules, partner).name == holds
    gap = tier_gap(rules, partner, target)
    assert (gap.current, gap.target) == (holds, target)
    assert [(i.key, i.have, i.need, i.unit, i.met) for i in gap.items] == expected
    assert [i.key for i in gap.missing] == [key for key, *_, met in expected if not met]
    assert meets(rules, partner, target) == all(met for *_, met in expected)


def test_revenue_threshold_depends_on_the_country(catalogue: ProgramCatalogue) -> None:
    assert revenue_threshold(catalogue.rules, "DE", "Gold") == (450_000, "EUR")
    assert revenue_threshold(catalogue.rules, "US", "Gold") == (500_000, "USD")
    assert revenue_threshold(catalogue.rules, "US", "Registered") == (0, "USD")


def test_size_alone_never_makes_a_partner_platinum(catalogue: ProgramCatalogue) -> None:
    huge = _snapshot(revenue_last_year=10**12, satisfaction_score=10.0)
    assert current_tier(catalogue.rules, huge).name == "Registered"
    gap = next_tier_gap(catalogue.rules, huge)
    assert gap is not None
    assert {item.key for item in gap.missing} == {"competencies", "client_satisfaction"}


def test_without_client_satisfaction_no_partner_rises(catalogue: ProgramCatalogue) -> None:
    others = frozenset(c for c in catalogue.competencies if c != CLIENT_SAT)
    partner = _snapshot(competencies=others, satisfaction_score=9.9, revenue_last_year=10**9)
    assert current_tier(catalogue.rules, partner).name == "Registered"


def test_platinum_partner_has_no_next_tier(catalogue: ProgramCatalogue) -> None:
    partner = _snapshot(
        competencies=frozenset(list(catalogue.competencies)[:5]) | {CLIENT_SAT},
        satisfaction_score=8.5,
        revenue_last_year=1_800_000,
    )
    assert current_tier(catalogue.rules, partner).name == "Platinum"
    assert next_tier_gap(catalogue.rules, partner) is None
    assert all(item.met for item in tier_gap(catalogue.rules, partner, "Gold").items)


def test_a_partner_without_a_score_does_not_meet_a_score_requirement(
    catalogue: ProgramCatalogue,
) -> None:
    partner = _snapshot(competencies=frozenset({CLIENT_SAT, "C-DEVOPS"}), revenue_last_year=10**6)
    item = next(
        i for i in evaluate(catalogue.rules, partner, "Silver") if i.key == "satisfaction_score"
    )
    assert not item.met and item.have == 0.0


def test_days_left_counts_to_the_window_end(catalogue: ProgramCatalogue) -> None:
    window = catalogue.rules.transition
    assert window.end == dt.date(2027, 2, 1)
    assert days_left(window, dt.date(2026, 11, 29)) == 64
    assert days_left(window, window.end) == 0
    assert days_left(window, dt.date(2027, 6, 1)) == 0


def test_legacy_certifications_transfer_credits_capped_at_the_requirement(
    catalogue: ProgramCatalogue,
) -> None:
    native = catalogue.competencies["C-CLOUD-NATIVE"]
    held = [t.certification for t in native.credit_transfer] + ["Some Unknown Cert v1"]
    credits = transferable_credits(catalogue.competencies.values(), held)
    assert credits["C-CLOUD-NATIVE"] == sum(t.credits for t in native.credit_transfer)
    assert "C-CLIENT-SAT" not in credits
    greedy = Competency(
        id="C-X",
        name="X",
        area="a",
        description="d",
        requirements=CompetencyRequirements(credits=10, certified_people=0, client_references=0),
        credit_transfer=[CreditTransfer(certification="Old", credits=25)],
    )
    assert transferable_credits([greedy], ["old"]) == {"C-X": 10}


def test_real_rules_file_is_cumulative(catalogue: ProgramCatalogue) -> None:
    """Each tier in tiers.yaml demands at least what the tier below demands."""
    tiers = tiers_by_rank(catalogue.rules)
    for lower, higher in zip(tiers, tiers[1:], strict=False):
        low, high = lower.requirements, higher.requirements
        assert high.competencies >= low.competencies
        assert high.client_satisfaction_competency >= low.client_satisfaction_competency
        assert (high.min_satisfaction_score or 0) >= (low.min_satisfaction_score or 0)
        assert high.revenue >= low.revenue
        for country in catalogue.rules.countries:
            assert country.revenue_thresholds[higher.name] >= country.revenue_thresholds[lower.name]


# ------------------------------------------------------------------ properties

COMPETENCY_IDS = [CLIENT_SAT] + [f"C-COMP-{i}" for i in range(9)]


@st.composite
def rule_sets(draw: st.DrawFn) -> ProgramRules:
    """Any valid-shaped rule set: four tiers with arbitrary (not ordered) requirements."""
    tiers = []
    for rank, name in enumerate(TIER_NAMES):
        tiers.append(
            Tier(
                name=name,
                rank=rank,
                summary=name,
                benefits=[],
                requirements=TierRequirements(
                    competencies=draw(st.integers(0, 8)),
                    client_satisfaction_competency=draw(st.booleans()),
                    min_satisfaction_score=draw(
                        st.none() | st.sampled_from([5.0, 6.5, 7.0, 8.0, 9.5])
                    ),
                    revenue=draw(st.booleans()),
                ),
            )
        )
    countries = [
        Country(
            code=code,
            name=code,
            currency="EUR",
            revenue_thresholds={n: draw(st.integers(0, 2_000_000)) for n in TIER_NAMES},
        )
        for code in ("DE", "FR", "IT", "ES", "NL", "AT", "BE", "PT", "IE", "FI")
    ]
    return ProgramRules(
        client_satisfaction_competency=CLIENT_SAT,
        transition=TransitionWindow(start=dt.date(2026, 3, 1), months=11, end=dt.date(2027, 2, 1)),
        voucher_per_certification=1,
        tiers=draw(st.permutations(tiers)),
        countries=countries,
    )


snapshots = st.builds(
    PartnerSnapshot,
    partner_id=st.just("P-TEST"),
    country=st.sampled_from(["DE", "FR", "IT"]),
    competencies=st.frozensets(st.sampled_from(COMPETENCY_IDS)),
    satisfaction_score=st.none() | st.floats(0, 10).map(lambda x: round(x, 1)),
    revenue_last_year=st.integers(0, 3_000_000),
)
REAL_IDS = [
    CLIENT_SAT,
    "C-DEVOPS",
    "C-CONTAINERS",
    "C-MAINFRAME",
    "C-CLOUD-NATIVE",
    "C-DOCUMENT-AI",
]
real_snapshots = st.builds(
    PartnerSnapshot,
    partner_id=st.just("P-TEST"),
    country=st.sampled_from(["DE", "US", "JP", "IN", "BR"]),
    competencies=st.frozensets(st.sampled_from(REAL_IDS + ["C-AI-GOVERNANCE", "C-HYBRID-CLOUD"])),
    satisfaction_score=st.none() | st.floats(0, 10).map(lambda x: round(x, 1)),
    revenue_last_year=st.integers(0, 300_000_000),
)
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.too_slow],
)


def _check_tier_properties(rules: ProgramRules, partner: PartnerSnapshot) -> None:
    # (Whether each requirement is met is checked against hand-worked figures above;
    # these properties relate the tier held to the tiers met, for any rules.)
    held = current_tier(rules, partner)
    for tier in tiers_by_rank(rules):
        if meets(rules, partner, tier.name):
            # Meeting all of a tier's requirements makes a partner at least that tier.
            assert held.rank >= tier.rank
    if held.rank > tiers_by_rank(rules)[0].rank:
        assert meets(rules, partner, held.name), "a partner holds only a tier it meets"
    upper = next_tier_gap(rules, partner)
    if upper is not None:
        assert upper.missing, "a partner never misses nothing for the tier above its own"


def _check_cumulative(rules: ProgramRules) -> None:
    tiers = tiers_by_rank(rules)
    for lower, higher in zip(tiers, tiers[1:], strict=False):
        low = effective_requirements(rules, lower.name)
        high = effective_requirements(rules, higher.name)
        assert high.competencies >= low.competencies
        assert high.client_satisfaction_competency >= low.client_satisfaction_competency
        assert (high.min_satisfaction_score or 0) >= (low.min_satisfaction_score or 0)
        assert set(low.revenue_tiers) <= set(high.revenue_tiers)
        for country in rules.countries:
            assert (
                revenue_threshold(rules, country.code, higher.name)[0]
                >= revenue_threshold(rules, country.code, lower.name)[0]
            )


@PROPERTY
@given(partner=real_snapshots)
def test_tier_properties_over_the_real_rules(
    catalogue: ProgramCatalogue, partner: PartnerSnapshot
) -> None:
    _check_tier_properties(catalogue.rules, partner)


@PROPERTY
@given(rules=rule_sets(), partner=snapshots)
def test_tier_properties_over_generated_rules(
    rules: ProgramRules, partner: PartnerSnapshot
) -> None:
    _check_tier_properties(rules, partner)


@PROPERTY
@given(rules=rule_sets())
def test_higher_tiers_include_lower_tiers_requirements(rules: ProgramRules) -> None:
    _check_cumulative(rules)


@PROPERTY
@given(rules=rule_sets(), partner=snapshots)
def test_a_partner_meeting_a_tier_meets_every_tier_below(
    rules: ProgramRules, partner: PartnerSnapshot
) -> None:
    met = [meets(rules, partner, t.name) for t in tiers_by_rank(rules)[1:]]
    assert met == sorted(met, reverse=True)
