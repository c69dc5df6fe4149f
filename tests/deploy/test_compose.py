"""deploy/compose.yaml, read as YAML: `docker compose` does not run on these machines.

The production profile on one host: PostgreSQL, Redis, RabbitMQ, two Rasa servers, two
app processes and the migration before them, each with a health check and started in
dependency order, the endpoints file and the secrets from deploy/.env.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.deploy.deploy_files import (
    ENDPOINTS,
    IMAGE_PREFIX,
    ROOT,
    endpoints_variables,
    image_repository,
    image_targets,
    known_variables,
)

COMPOSE = ROOT / "deploy" / "compose.yaml"
ENV_EXAMPLE = ROOT / "deploy" / "compose.env.example"
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
# deploy/.env entries Compose uses for the ${...} of compose.yaml, not read by our code.
COMPOSE_ONLY = {"PA_IMAGE_TAG", "POSTGRES_USER", "POSTGRES_PASSWORD", "RABBITMQ_USER",
                "RABBITMQ_PASSWORD"}  # fmt: skip


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def ours(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The services that run a Partner Assistant image."""
    return {name: s for name, s in services.items() if s["image"].startswith(IMAGE_PREFIX)}


def example_env() -> dict[str, str]:
    lines = [line for line in ENV_EXAMPLE.read_text().splitlines() if re.match(r"[A-Z]", line)]
    return dict(line.split("=", 1) for line in lines)


def test_the_profile_has_the_stores_two_of_each_process_and_the_migration(services):
    assert set(services) == {"postgres", "redis", "rabbitmq", "migrate",
                             "app-1", "app-2", "rasa-1", "rasa-2"}  # fmt: skip
    targets = {name: s["build"]["target"] for name, s in ours(services).items()}
    assert targets == {"migrate": "app", "app-1": "app", "app-2": "app",
                       "rasa-1": "rasa", "rasa-2": "rasa"}  # fmt: skip
    for service in ours(services).values():
        assert service["build"]["target"] in image_targets()
        assert image_repository(service["image"]) == IMAGE_PREFIX + service["build"]["target"]
        assert (COMPOSE.parent / service["build"]["context"] / "Dockerfile").is_file()


def test_store_images_are_pinned_releases(services):
    for name in ("postgres", "redis", "rabbitmq"):
        assert re.fullmatch(r"[a-z]+:\d+\.\d+(\.\d+)?(-bookworm)?", services[name]["image"]), name


def test_every_long_running_service_has_a_health_check(services):
    for name, service in services.items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
        assert service["restart"] == "unless-stopped", name


def test_services_start_in_dependency_order(services):
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on a missing {dependency}"
            assert rule["condition"] in CONDITIONS
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} is never healthy"
    for app in ("app-1", "app-2"):
        assert services[app]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["migrate"]["command"] == ["python", "-m", "partners.migrate", "upgrade"]


def test_the_app_processes_reach_both_rasa_servers_and_rasa_reaches_either_app(services):
    for app in ("app-1", "app-2"):
        urls = services[app]["environment"]["PA_RASA_URL"].split(",")
        assert urls == ["http://rasa-1:5005", "http://rasa-2:5005"]
        assert "app" in services[app]["networks"]["default"]["aliases"]
    for rasa in ("rasa-1", "rasa-2"):
        assert services[rasa]["environment"]["PA_ACTION_ENDPOINT_URL"] == "http://app:8000/webhook"


def test_rasa_uses_the_production_endpoints_with_every_variable_set(services):
    mount = f"./{ENDPOINTS.name}:/srv/partner-assistant/deploy/{ENDPOINTS.name}:ro"
    for rasa in ("rasa-1", "rasa-2"):
        assert mount in services[rasa]["volumes"]
        assert endpoints_variables() <= set(services[rasa]["environment"])


def test_secrets_come_from_deploy_env_and_compose_refuses_to_start_without_them(services):
    text = COMPOSE.read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required == {"POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "PA_JWT_SECRET",
                        "PA_RASA_TOKEN", "PA_ACTION_SECRET"}  # fmt: skip
    example = example_env()
    assert set(re.findall(r"\$\{(\w+)", text)) <= set(example)
    assert all(example[name] == "" for name in required), "the example holds a secret value"
    for name, service in ours(services).items():
        assert service["env_file"] == [".env"], name
        assert service["environment"]["HOME"] == "/tmp"  # the only writable place
        assert service["read_only"] is True and service["tmpfs"] == ["/tmp"], name
    assert services["app-1"]["environment"]["PA_SEED_SAMPLE_DATA"] == "false"


def test_every_variable_the_processes_get_is_one_the_code_reads(services):
    for name, service in ours(services).items():
        unknown = set(service["environment"]) - known_variables()
        assert not unknown, f"{name}: nothing reads {sorted(unknown)}"
    unknown = set(example_env()) - COMPOSE_ONLY - known_variables()
    assert not unknown, f"compose.env.example: nothing reads {sorted(unknown)}"


def test_the_processes_are_reachable_from_this_host_only(services):
    for name in ("app-1", "app-2", "rasa-1", "rasa-2"):
        assert all(port.startswith("127.0.0.1:") for port in services[name]["ports"]), name
    for name in ("postgres", "redis", "rabbitmq", "migrate"):
        assert "ports" not in services[name], f"{name} is published"
