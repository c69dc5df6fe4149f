"""The API names the sample figures each response states (``sample_figures``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.main import create_app
from tests.knowledge.building import ensure_index
from tests.partners.fixtures import process_settings, seeded_store, token_for


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    ensure_index()
    with process_settings(seeded_store(tmp_path_factory)), TestClient(create_app()) as client:
        yield client


def partner(client: TestClient, path: str) -> dict:
    headers = {"Authorization": f"Bearer {token_for('P-0001')}"}
    response = client.get(f"/v1/partners/me/{path}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def test_status_names_the_sample_thresholds_it_compares_with(client: TestClient) -> None:
    status = partner(client, "status")
    assert status["next_tier"] == "Gold"
    assert "transition.end" in status["sample_figures"]
    score = next(item for item in status["gap"] if item["key"] == "satisfaction_score")
    assert score["sample_figures"] == ["tiers.Gold.requirements.min_satisfaction_score"]
    revenue = next(item for item in status["gap"] if item["key"] == "revenue")
    assert "countries.DE.revenue_thresholds.Gold" in revenue["sample_figures"]


def test_recommendations_name_the_sample_catalogue(client: TestClient) -> None:
    body = partner(client, "recommendations")
    assert {"competencies", "courses"} <= set(body["sample_figures"])


def test_catalogue_and_search_name_their_sample_parts(client: TestClient) -> None:
    assert client.get("/v1/courses").json()["sample_figures"] == ["courses"]
    assert client.get("/v1/competencies").json()["sample_figures"] == ["competencies"]
    hits = client.get("/v1/search", params={"q": "how many tiers are there"}).json()["items"]
    by_id = {hit["doc_id"]: hit["sample_figures"] for hit in hits}
    assert by_id["F-FOUR-TIERS"] == []
    gold = client.get("/v1/search", params={"q": "gold tier requirements"}).json()["items"]
    assert any("tiers.Gold.requirements" in hit["sample_figures"] for hit in gold)
