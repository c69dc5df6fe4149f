"""What-if questions computed by the tier engine on a copy of the record.

Each kind of change must give exactly the status the tier engine gives for the
record changed by hand, leave the record itself alone, and combine with the others.
The partner below is worked out by hand from knowledge/data/tiers.yaml: Silver in
Germany with Client Satisfaction and 2 more competencies (Gold needs 4), a score of
7.6 (Gold: 8.0) and 420,000 EUR (Gold: 450,000 EUR).
"""

from __future__ import annotations

import copy
import dataclasses

import pytest

from partners.catalogue import ProgramCatalogue
from partners.status import status_from_snapshot
from partners.tiers import HeldCertification, PartnerSnapshot, certified_people
from partners.what_if import what_if
from partners.what_if_changes import (
    CertifyPeople,
    Change,
    CompetencyRef,
    Earn,
    Lose,
    MoreCompetencies,
    Outcome,
    Revenue,
    Score,
)
from partners.what_if_text import HELP, answer_what_if
from tests.partners.conftest import TODAY

CLIENT_SAT = "C-CLIENT-SAT"
SILVER = PartnerSnapshot(
    partner_id="P-TEST",
    country="DE",
    name="Test GmbH",
    competencies=frozenset({CLIENT_SAT, "C-ASSET-MANAGEMENT", "C-BUSINESS-INTELLIGENCE"}),
    satisfaction_score=7.6,
    revenue_last_year=420_000,
)
# DevOps needs 50 credits, U-DVO-101 and U-DVO-201, and 2 certified people: these
# courses give 68 credits, one person holds a DevOps certification.
DEVOPS_COURSES = frozenset({"U-DVO-101", "U-DVO-102", "U-DVO-201", "U-DVO-202", "U-DVO-302"})
ONE_DEVOPS_PERSON = frozenset({HeldCertification(1, "DevOps Foundations", "U-DVO-101")})


def run(catalogue: ProgramCatalogue, record: PartnerSnapshot, *changes: Change) -> Outcome:
    return what_if(catalogue, record, changes, recorded_tier="Silver", today=TODAY)


def engine(catalogue: ProgramCatalogue, record: PartnerSnapshot, **changed: object) -> str:
    """The tier the real engine gives the record changed by hand."""
    by_hand = dataclasses.replace(record, **changed)  # type: ignore[arg-type]
    return status_from_snapshot(catalogue, by_hand, "Silver", TODAY).tier


def test_earning_a_named_competency_is_counted_like_the_engine_counts_it(
    catalogue: ProgramCatalogue,
) -> None:
    outcome = run(catalogue, SILVER, Earn(CompetencyRef("C-SECURITY")))
    assert outcome.after.competencies == tuple(sorted(SILVER.competencies | {"C-SECURITY"}))
    assert outcome.after.tier == "Silver"  # score and revenue still short of Gold
    assert {item.key for item in outcome.after.missing} == {"satisfaction_score", "revenue"}
    ready = dataclasses.replace(SILVER, satisfaction_score=8.0, revenue_last_year=450_000)
    outcome = run(catalogue, ready, Earn(CompetencyRef("C-SECURITY")))
    assert outcome.after.tier == "Gold"
    assert outcome.after.tier == engine(
        catalogue, ready, competencies=ready.competencies | {"C-SECURITY"}
    )


def test_an_area_counts_its_closest_unearned_competency(catalogue: ProgramCatalogue) -> None:
    outcome = run(catalogue, SILVER, Earn(CompetencyRef(area="Data and analytics")))
    (applied,) = outcome.applied
    (chosen,) = applied.competency_ids
    assert catalogue.competencies[chosen].area == "Data and analytics"
    assert chosen not in SILVER.competencies  # Business Intelligence is held already
    assert len(outcome.after.competencies) == 4


def test_losing_client_satisfaction_drops_to_registered(catalogue: ProgramCatalogue) -> None:
    outcome = run(catalogue, SILVER, Lose(CompetencyRef(CLIENT_SAT)))
    assert (outcome.before.tier, outcome.after.tier) == ("Silver", "Registered")
    assert outcome.after.tier == engine(
        catalogue, SILVER, competencies=SILVER.competencies - {CLIENT_SAT}
    )
    nothing = run(catalogue, SILVER, Lose(CompetencyRef("C-SECURITY")))
    assert [a.kind for a in nothing.applied] == ["not_held"]
    assert nothing.after == nothing.before


def test_more_unnamed_competencies_never_include_client_satisfaction(
    catalogue: ProgramCatalogue,
) -> None:
    registered = dataclasses.replace(SILVER, competencies=frozenset({"C-DEVOPS"}))
    outcome = run(catalogue, registered, MoreCompetencies(3))
    assert len(outcome.after.competencies) == 4
    assert CLIENT_SAT not in outcome.after.competencies
    assert outcome.after.tier == "Registered"  # without Client Satisfaction, no tier above


def test_certified_people_complete_a_competency_only_with_all_its_requirements(
    catalogue: ProgramCatalogue,
) -> None:
    ready = dataclasses.replace(
        SILVER,
        satisfaction_score=8.0,
        revenue_last_year=450_000,
        completed_courses=DEVOPS_COURSES,
        held_certifications=ONE_DEVOPS_PERSON,
    )
    assert (
        certified_people(catalogue.competencies.values(), catalogue.courses, ONE_DEVOPS_PERSON)[
            "C-DEVOPS"
        ]
        == 1
    )
    outcome = run(catalogue, ready, CertifyPeople(1, CompetencyRef("C-DEVOPS")))
    progress = outcome.applied[0].progress
    assert progress is not None and progress.complete
    assert (progress.people, progress.people_needed, progress.client_references) == (2, 2, 2)
    assert outcome.after.tier == "Gold"
    assert outcome.after.tier == engine(
        catalogue, ready, competencies=ready.competencies | {"C-DEVOPS"}
    )
    assert outcome.vouchers_earned == catalogue.rules.voucher_per_certification
    # Without the courses the people alone do not earn it: the tier stays.
    short = dataclasses.replace(ready, completed_courses=frozenset({"U-DVO-101"}))
    outcome = run(catalogue, short, CertifyPeople(1, CompetencyRef("C-DEVOPS")))
    progress = outcome.applied[0].progress
    assert progress is not None and not progress.complete
    assert progress.courses_missing == ("U-DVO-201",) and progress.credits_missing == 45
    assert outcome.after.tier == "Silver"


def test_people_in_an_area_go_to_its_closest_competency(catalogue: ProgramCatalogue) -> None:
    outcome = run(catalogue, SILVER, CertifyPeople(2, CompetencyRef(area="Cloud")))
    progress = outcome.applied[0].progress
    assert progress is not None
    assert catalogue.competencies[progress.competency_id].area == "Cloud"
    assert progress.people == 2


@pytest.mark.parametrize(
    ("change", "score", "tier"),
    [
        (Score(8.0), 8.0, "Silver"),  # Gold also needs a fourth competency
        (Score(0.5, relative=True), 8.1, "Silver"),
        (Score(6.9), 6.9, "Registered"),  # below Silver's 7.0
        (Score(3.0, relative=True), 10.0, "Silver"),  # a score ends at 10
    ],
)
def test_a_score_is_compared_as_the_engine_compares_it(
    catalogue: ProgramCatalogue, change: Score, score: float, tier: str
) -> None:
    outcome = run(catalogue, SILVER, change)
    assert outcome.applied[0].after == score
    assert outcome.after.tier == tier == engine(catalogue, SILVER, satisfaction_score=score)


def test_moving_a_missing_score_by_a_value_changes_nothing(catalogue: ProgramCatalogue) -> None:
    outcome = run(catalogue, dataclasses.replace(SILVER, satisfaction_score=None), Score(0.5, True))
    assert [a.kind for a in outcome.applied] == ["no_score"]
    assert outcome.after == outcome.before


@pytest.mark.parametrize(
    ("change", "revenue"),
    [
        (Revenue(600_000), 600_000),
        (Revenue(30_000, "add"), 450_000),
        (Revenue(2.0, "scale"), 840_000),
        (Revenue(1.2, "scale"), 504_000),
    ],
)
def test_revenue_is_set_moved_or_scaled(
    catalogue: ProgramCatalogue, change: Revenue, revenue: int
) -> None:
    ready = dataclasses.replace(
        SILVER, competencies=SILVER.competencies | {"C-DEVOPS"}, satisfaction_score=8.0
    )
    outcome = run(catalogue, ready, change)
    assert outcome.applied[0].after == revenue
    expected = engine(catalogue, ready, revenue_last_year=revenue)
    assert outcome.after.tier == expected == ("Gold" if revenue >= 450_000 else "Silver")


def test_revenue_in_another_country_uses_that_countrys_thresholds(
    catalogue: ProgramCatalogue,
) -> None:
    ready = dataclasses.replace(
        SILVER, competencies=SILVER.competencies | {"C-DEVOPS"}, satisfaction_score=8.0
    )
    # 430,000 EUR: short of Germany's 450,000 for Gold, enough for France's 425,000.
    assert run(catalogue, ready, Revenue(430_000)).after.tier == "Silver"
    outcome = run(catalogue, ready, Revenue(430_000, country="FR"))
    assert (
        outcome.after.tier
        == "Gold"
        == engine(catalogue, ready, country="FR", revenue_last_year=430_000)
    )
    assert (outcome.applied[0].country, outcome.applied[0].unit) == ("FR", "EUR")


def test_combined_changes_reach_what_none_reaches_alone(catalogue: ProgramCatalogue) -> None:
    changes: list[Change] = [Earn(CompetencyRef("C-SECURITY")), Score(8.2), Revenue(450_000)]
    for change in changes:
        assert run(catalogue, SILVER, change).after.tier == "Silver"
    outcome = run(catalogue, SILVER, *changes)
    assert (outcome.before.tier, outcome.after.tier) == ("Silver", "Gold")
    assert outcome.after.next_tier == "Platinum"
    assert outcome.after.tier == engine(
        catalogue,
        SILVER,
        competencies=SILVER.competencies | {"C-SECURITY"},
        satisfaction_score=8.2,
        revenue_last_year=450_000,
    )


def test_the_record_itself_is_never_changed(catalogue: ProgramCatalogue) -> None:
    record = dataclasses.replace(
        SILVER, completed_courses=DEVOPS_COURSES, held_certifications=ONE_DEVOPS_PERSON
    )
    kept = copy.deepcopy(record)
    run(
        catalogue,
        record,
        Earn(CompetencyRef("C-SECURITY")),
        Lose(CompetencyRef(CLIENT_SAT)),
        MoreCompetencies(2),
        CertifyPeople(3, CompetencyRef("C-DEVOPS")),
        Score(9.9),
        Revenue(5_000_000, country="US"),
    )
    assert record == kept


def test_a_named_tier_is_explained_after_the_changes(catalogue: ProgramCatalogue) -> None:
    outcome = what_if(
        catalogue, SILVER, [MoreCompetencies(3)], recorded_tier="Silver", today=TODAY,
        target_tier="platinum",
    )  # fmt: skip
    assert outcome.target is not None and outcome.target.target == "Platinum"
    assert {item.key for item in outcome.target.missing} == {"satisfaction_score", "revenue"}


# ------------------------------------------------------------------ the answer text


def ask(catalogue: ProgramCatalogue, text: str, record: PartnerSnapshot = SILVER) -> str:
    return answer_what_if(catalogue, record, text, recorded_tier="Silver", today=TODAY).text


def test_the_answer_says_tier_what_is_missing_and_by_when(catalogue: ProgramCatalogue) -> None:
    text = ask(
        catalogue, "what if we earned Security, our score rose to 8.2 and revenue reached 450k?"
    )
    assert text.startswith(
        "If you earned Security Operations, your client satisfaction score was 8.2 (it is 7.6) "
        "and your revenue last year was 450,000 EUR (it is 420,000 EUR), you would have 4 "
        "competencies and move up from Silver to **Gold**."
    ), text
    assert "For Platinum you would still miss:" in text
    assert "- ✗ Client satisfaction score: 8.2 of 8.5 needed" in text
    assert "The transition window ends on 1 February 2027: 64 days left." in text
    assert "This is only a what-if: your partner record is unchanged." in text


def test_certified_people_answer_says_what_the_competency_still_needs(
    catalogue: ProgramCatalogue,
) -> None:
    record = dataclasses.replace(SILVER, completed_courses=frozenset({"U-DVO-101"}))
    text = ask(catalogue, "what if two more people certify in DevOps?", record)
    assert "If 2 more of your people certified in DevOps and Delivery Automation," in text
    assert "would have 2 of the 2 certified people it needs, but it would not be earned yet" in text
    assert "45 course credits and the required course U-DVO-201" in text
    assert "you would still be **Silver**" in text


def test_a_question_that_cannot_be_computed_gets_what_can_be(catalogue: ProgramCatalogue) -> None:
    text = ask(catalogue, "what if we did better?")
    assert text == HELP
    assert text.startswith(
        "I can work out what-ifs about competencies, certified people, satisfaction score "
        'and revenue; for example: "what if we earned Security and Data?"'
    )


def test_people_without_a_competency_are_asked_where(catalogue: ProgramCatalogue) -> None:
    text = ask(catalogue, "what happens if we add two certified people?")
    assert text.startswith("Certified people count toward one competency: which one")
    assert "You are closest to " in text and "two more people certify in" in text


def test_a_named_competency_is_not_also_counted_for_an_area(catalogue: ProgramCatalogue) -> None:
    closest = run(catalogue, SILVER, Earn(CompetencyRef(area="Data and analytics")))
    named = closest.applied[0].competency_ids[0]
    outcome = run(
        catalogue,
        SILVER,
        Earn(CompetencyRef(area="Data and analytics")),
        Earn(CompetencyRef(named)),
    )
    assert [a.kind for a in outcome.applied] == ["earn", "earn"]
    assert outcome.applied[0].competency_ids != (named,)
    assert len(outcome.after.competencies) == 5
