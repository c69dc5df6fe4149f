"""Grounded answers, follow-ups and course lists over the real catalogue."""

from __future__ import annotations

import pytest

from knowledge.answers import DONT_KNOW, AnswerContext, answer_question
from knowledge.catalogue import load_catalogue
from knowledge.followups import answer_followup, list_courses

pytestmark = pytest.mark.usefixtures("real_index")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_competency_question_is_answered_from_its_document(catalogue) -> None:
    answer = answer_question("what does the sec competency require?")
    security = catalogue.competency_by_id["C-SECURITY"]
    assert answer.doc is not None and answer.doc.id == "C-SECURITY"
    assert answer.citations[0] == ("C-SECURITY", security.name)
    assert f"Source: C-SECURITY {security.name}" in answer.text
    assert f"{security.requirements.credits} course credits" in answer.text
    assert "Partners also call it" not in answer.text  # alias lists are for search only


def test_answer_text_comes_from_the_cited_documents() -> None:
    from knowledge.search import get_document

    answer = answer_question("how many competencies were announced at launch?")
    body = answer.text.split("\n\nSource:")[0]
    cited = [get_document(doc_id) for doc_id, _ in answer.citations]
    assert all(part in [doc.text for doc in cited if doc] for part in body.split("\n\n"))


def test_tier_and_country_benefits(catalogue) -> None:
    answer = answer_question("what do Gold partners get in Germany?")
    germany = catalogue.country_by_code["DE"]
    for benefit in catalogue.benefits("Gold", "DE"):
        assert benefit in answer.text
    for excluded in germany.excluded_benefits.get("Gold", []):
        assert f"Not available in Germany (local law): {excluded}" in answer.text
    assert f"{germany.revenue_thresholds['Gold']:,} {germany.currency}" in answer.text
    assert [doc_id for doc_id, _ in answer.citations] == ["R-COUNTRY-DE", "R-TIER-GOLD"]


def test_out_of_scope_question_gets_i_dont_know_with_suggestions() -> None:
    answer = answer_question("how do I bake sourdough bread?")
    assert answer.text.startswith(DONT_KNOW)
    assert answer.doc is None and answer.citations == []


def test_unknown_competency_gets_did_you_mean() -> None:
    answer = answer_question("what does the Quantum Baking competency require?")
    assert answer.text.startswith(f"{DONT_KNOW} (no competency is called Quantum Baking)")
    assert "Did you mean" in answer.text
    assert len(answer.suggestions) == 3
    assert all(doc_id.startswith("C-") for doc_id, _ in answer.suggestions)


def test_misspelt_competency_name_is_suggested_by_spelling() -> None:
    answer = list_courses("which courses count toward the Storrage Solutionz competency?")
    assert answer.doc is not None and answer.doc.id == "C-STORAGE"


def test_unknown_course_id_is_not_answered() -> None:
    answer = answer_question("tell me about U-XYZ-999")
    assert answer.text.startswith(f"{DONT_KNOW} (there is no course U-XYZ-999)")
    assert answer.suggestions


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how long is it?", "takes 16 hours, virtual classroom"),
        ("what are the prerequisites?", "Prerequisites of Installing an Enterprise Kubernetes "
         "Platform (U-CTR-201): Containers and Kubernetes Fundamentals (U-CTR-101)."),
        ("how many credits does it give", "gives 13 credits toward Container Platform Operations"),
        ("is it voucher eligible", "is voucher eligible"),
        ("what level is it", "is an intermediate course"),
    ],
)  # fmt: skip
def test_followups_on_the_last_course(catalogue, question: str, expected: str) -> None:
    course = catalogue.course_by_id["U-CTR-201"]
    assert (course.duration_hours, course.credits, course.voucher_eligible) == (16, 13, True)
    answer = answer_followup(question, AnswerContext(last_doc_id="U-CTR-201"))
    assert expected in answer.text
    assert answer.citations == [("U-CTR-201", course.title)]


def test_followup_duration_of_a_competency_sums_its_required_courses(catalogue) -> None:
    competency = catalogue.competency_by_id["C-CONTAINERS"]
    required = [catalogue.course_by_id[c] for c in competency.requirements.required_courses]
    answer = answer_followup("how long does it take?", AnswerContext(last_doc_id="C-CONTAINERS"))
    total = sum(course.duration_hours for course in required)
    assert f"take {total:g} hours in all" in answer.text
    assert all(course.id in answer.text for course in required)


def test_followup_requirements_of_a_competency(catalogue) -> None:
    req = catalogue.competency_by_id["C-SECURITY"].requirements
    answer = answer_followup("what do we need for it?", AnswerContext(last_doc_id="C-SECURITY"))
    assert f"{req.credits} course credits, {req.certified_people} certified people" in answer.text


def test_followup_on_old_certifications(catalogue) -> None:
    competency = catalogue.competency_by_id["C-SECURITY"]
    answer = answer_followup("does my old certification count?", AnswerContext("C-SECURITY"))
    for transfer in competency.credit_transfer:
        assert f"{transfer.certification}: {transfer.credits} credits" in answer.text


def test_followup_naming_a_course_wins_over_the_last_document() -> None:
    answer = answer_followup("how long is U-SEC-101?", AnswerContext(last_doc_id="C-STORAGE"))
    assert answer.doc is not None and answer.doc.id == "U-SEC-101"


def test_followup_without_context_asks_which_one() -> None:
    answer = answer_followup("how long is it?", AnswerContext())
    assert answer.doc is None and "Which competency or course" in answer.text


def test_list_courses_with_hours(catalogue) -> None:
    answer = list_courses("which courses count toward kubernetes?")
    courses = catalogue.courses_by_competency["C-CONTAINERS"]
    assert answer.doc is not None and answer.doc.id == "C-CONTAINERS"
    assert f"{len(courses)} courses count toward **Container Platform Operations**" in answer.text
    for course in courses:
        assert f"- {course.id} {course.title}: {course.duration_hours:g} hour" in answer.text
    lines = [line for line in answer.text.splitlines() if line.startswith("- ")]
    required = catalogue.competency_by_id["C-CONTAINERS"].requirements.required_courses
    assert all("(required)" in line for line in lines[: len(required)])


def test_list_courses_uses_the_competency_slot() -> None:
    answer = list_courses("which courses count toward it?", AnswerContext(competency="sec"))
    assert answer.doc is not None and answer.doc.id == "C-SECURITY"


def test_list_courses_for_an_unknown_competency() -> None:
    answer = list_courses("which courses count toward the Quantum Baking competency?")
    assert answer.text.startswith(DONT_KNOW) and answer.suggestions


def test_rasa_entity_hints_name_a_competency_the_text_does_not() -> None:
    question = "what does the z stack competency require?"
    assert answer_question(question).text.startswith(DONT_KNOW)
    answer = answer_question(question, AnswerContext(hints=("mainframe",)))
    assert answer.doc is not None and answer.doc.id == "C-MAINFRAME"
