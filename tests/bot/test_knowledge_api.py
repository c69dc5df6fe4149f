"""The knowledge API (/v1/search, /v1/competencies, /v1/courses) through the real app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.main import create_app
from knowledge.catalogue import load_catalogue
from tests.knowledge.building import ensure_index
from tests.partners.fixtures import process_settings, seeded_store


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    ensure_index()
    with process_settings(seeded_store(tmp_path_factory)), TestClient(create_app()) as client:
        yield client


def test_search_returns_ranked_hits(client: TestClient) -> None:
    response = client.get("/v1/search", params={"q": "what does the security competency require"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "what does the security competency require"
    assert body["total"] == len(body["items"]) == 5
    assert body["items"][0]["doc_id"] == "C-SECURITY"
    assert set(body["items"][0]) == {
        "doc_id",
        "kind",
        "title",
        "text",
        "score",
        "area",
        "level",
        "sample_figures",
    }
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_search_filters(client: TestClient) -> None:
    params: dict[str, str | int] = {
        "q": "kubernetes",
        "k": 8,
        "kind": "course",
        "level": "advanced",
    }
    items = client.get("/v1/search", params=params).json()["items"]
    assert len(items) == 8
    assert all(item["kind"] == "course" and item["level"] == "advanced" for item in items)
    items = client.get("/v1/search", params={"q": "threats", "area": "Security"}).json()["items"]
    assert items and all(item["area"] == "Security" for item in items)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x", "k": 0}, "k"),
        ({"q": "x", "k": 51}, "k"),
        ({"q": "x", "kind": "recipe"}, "kind"),
        ({"q": "x", "level": "expert"}, "level"),
    ],
)
def test_search_rejects_bad_parameters_with_reasons(client: TestClient, params, field) -> None:
    response = client.get("/v1/search", params=params)
    assert response.status_code == 422
    assert any(field in error["loc"] for error in response.json()["detail"])


def test_competency_list_pages_and_filters(client: TestClient) -> None:
    catalogue = load_catalogue()
    body = client.get("/v1/competencies", params={"limit": 10, "offset": 40}).json()
    assert body["total"] == len(catalogue.competencies) == 44
    assert [c["id"] for c in body["items"]] == [c.id for c in catalogue.competencies[40:]]
    security = client.get("/v1/competencies", params={"area": "security"}).json()
    assert security["total"] == sum(c.area == "Security" for c in catalogue.competencies)
    assert all(c["area"] == "Security" for c in security["items"])


def test_competency_by_id(client: TestClient) -> None:
    body = client.get("/v1/competencies/C-SECURITY").json()
    competency = load_catalogue().competency_by_id["C-SECURITY"]
    assert body == {**competency.model_dump(mode="json"), "sample_figures": ["competencies"]}
    assert client.get("/v1/competencies/c-security").status_code == 200


def test_unknown_competency_is_a_404_with_a_reason(client: TestClient) -> None:
    response = client.get("/v1/competencies/C-FOO")
    assert response.status_code == 404
    assert response.json() == {"detail": "no competency C-FOO; see /v1/competencies"}


def test_course_list_filters_combine(client: TestClient) -> None:
    catalogue = load_catalogue()
    params = {"competency": "kubernetes", "level": "advanced", "voucher_eligible": "true"}
    body = client.get("/v1/courses", params=params).json()
    expected = [
        c.id
        for c in catalogue.courses_by_competency["C-CONTAINERS"]
        if c.level == "advanced" and c.voucher_eligible
    ]
    assert [c["id"] for c in body["items"]] == sorted(
        expected, key=[c.id for c in catalogue.courses].index
    )
    assert body["total"] == len(expected) > 0
    lab = client.get("/v1/courses", params={"delivery": "lab", "limit": 100}).json()
    assert lab["total"] == sum(c.delivery == "lab" for c in catalogue.courses)
    words = client.get("/v1/courses", params={"q": "kubernetes operators"}).json()
    assert "U-CTR-302" in [c["id"] for c in words["items"]]
    assert all("operator" in (c["title"] + c["summary"]).lower() for c in words["items"])


def test_course_list_pages(client: TestClient) -> None:
    first = client.get("/v1/courses", params={"limit": 100}).json()
    second = client.get("/v1/courses", params={"limit": 100, "offset": 100}).json()
    assert first["total"] == second["total"] == len(load_catalogue().courses)
    assert len(first["items"]) == 100
    assert not {c["id"] for c in first["items"]} & {c["id"] for c in second["items"]}


@pytest.mark.parametrize(
    ("params", "status", "reason"),
    [
        ({"limit": 0}, 422, "limit"),
        ({"limit": 101}, 422, "limit"),
        ({"offset": -1}, 422, "offset"),
        ({"delivery": "carrier pigeon"}, 422, "delivery"),
        ({"competency": "quantum baking"}, 422, "unknown competency 'quantum baking'"),
    ],
)
def test_course_list_rejects_bad_filters(client: TestClient, params, status, reason) -> None:
    response = client.get("/v1/courses", params=params)
    assert response.status_code == status
    assert reason in response.text


def test_course_by_id_and_404(client: TestClient) -> None:
    body = client.get("/v1/courses/U-SEC-101").json()
    course = load_catalogue().course_by_id["U-SEC-101"]
    assert body == {**course.model_dump(mode="json"), "sample_figures": ["courses"]}
    missing = client.get("/v1/courses/U-NOPE-1")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no course U-NOPE-1; see /v1/courses"}


def test_openapi_documents_the_knowledge_routes(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ["/v1/search", "/v1/competencies", "/v1/competencies/{competency_id}",
                 "/v1/courses", "/v1/courses/{course_id}"]:  # fmt: skip
        assert "200" in schema["paths"][path]["get"]["responses"], path
    page = schema["paths"]["/v1/courses"]["get"]["responses"]["200"]["content"]
    assert page["application/json"]["schema"]["$ref"].endswith("Page_Course_")


def test_search_without_an_index_is_a_503_with_a_reason(
    client: TestClient, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge import live

    monkeypatch.setenv("PA_INDEX_DIR", str(tmp_path))  # an empty directory: no index there
    live.reset()
    try:
        response = client.get("/v1/search", params={"q": "security"})
    finally:
        monkeypatch.undo()
        live.reset()
    assert response.status_code == 503
    assert response.json()["detail"].startswith("search unavailable: no index at")
    assert "run python -m knowledge.build" in response.json()["detail"]
