"""deploy/k8s, rendered offline by ``kubectl kustomize``: valid, and what a deployer relies on.

The schemas (kubernetes-validate, strict) catch misspelt or misplaced fields; the tests
below catch what the schemas allow but a rollout would trip over: a pod running as root,
a Deployment without probes, an autoscaler or Service pointing at nothing, a secret
value in the render, an image no Dockerfile target builds, a variable nobody reads.
"""

from __future__ import annotations

import re
import shutil
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from scripts import check_manifests
from tests.deploy.deploy_files import (
    IMAGE_PREFIX,
    dockerfile_stages,
    endpoints_variables,
    image_repository,
    image_targets,
    known_variables,
)

SECRET_NAME = "partner-assistant-secrets"
SECRET_LOOKING = re.compile(
    r"SECRET|TOKEN|PASSWORD|PASSCODE|DATABASE_URL|INBOX_URL|STORAGE_URL|LOCK_URL"
)
CREDENTIALS_IN_URL = re.compile(r"://[^/\s@]*:[^/\s@]+@")


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: it renders deploy/k8s (kubectl kustomize)")
    return check_manifests.render()


@pytest.fixture(scope="module")
def example_secret() -> dict[str, Any]:
    (secret,) = check_manifests.load(check_manifests.SECRET_EXAMPLE)
    return secret


def of_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def pod_specs(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Pod spec of every workload (Deployment, Job) by workload name."""
    return {
        r["metadata"]["name"]: r["spec"]["template"]["spec"]
        for r in resources
        if r["kind"] in ("Deployment", "Job")
    }


def environment(resources: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, Any]:
    """Every variable a container gets: its env entries and its ConfigMaps' keys."""
    configmaps = of_kind(resources, "ConfigMap")
    names: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        names.update(configmaps[source["configMapRef"]["name"]]["data"])
    names.update({entry["name"]: entry for entry in container.get("env", [])})
    return names


def test_the_render_is_valid_against_the_kubernetes_schemas(rendered, example_secret):
    assert check_manifests.schema_problems([*rendered, example_secret]) == []
    kinds = sorted(r["kind"] for r in rendered)
    assert kinds.count("Deployment") == 2 and kinds.count("HorizontalPodAutoscaler") == 2
    assert {"Service", "ConfigMap", "Job", "PodDisruptionBudget"} <= set(kinds)


def test_a_misspelt_field_fails_the_schema_check(rendered):
    app = of_kind(rendered, "Deployment")["partner-assistant-app"]
    deployment = yaml.safe_load(yaml.safe_dump(app))  # a copy
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    (problem, *_) = check_manifests.schema_problems([deployment])
    assert "'readinesProbe' was unexpected" in problem


def test_every_pod_runs_as_a_non_root_user_without_privileges(rendered):
    for name, spec in pod_specs(rendered).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        for container in spec["containers"]:
            target = image_repository(container["image"]).removeprefix(IMAGE_PREFIX)
            image_user = dockerfile_stages()[target].arguments("USER")[-1].split(":")[0]
            assert str(spec["securityContext"]["runAsUser"]) == image_user, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"] + spec.get("initContainers", []):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{name}: a read-only root needs a writable /tmp"
            assert container["resources"]["requests"]["cpu"], name
            assert container["resources"]["limits"]["memory"], name


def test_every_deployment_probes_the_route_its_image_health_check_uses(rendered):
    health_paths = {"app": "/health", "rasa": "/"}
    for name, deployment in of_kind(rendered, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        ports = {port["name"] for port in container["ports"]}
        target = image_repository(container["image"]).removeprefix(IMAGE_PREFIX)
        healthcheck = dockerfile_stages()[target].arguments("HEALTHCHECK")[0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert probe in container, f"{name} has no {probe}"
            http = container[probe]["httpGet"]
            assert http["port"] in ports, f"{name}: {probe} on an undeclared port"
            assert http["path"] == health_paths[target]
            assert f"{http['path']}'" in healthcheck  # the same route as the image's check


def test_autoscalers_own_the_replica_count_of_existing_deployments(rendered):
    deployments = of_kind(rendered, "Deployment")
    autoscalers = of_kind(rendered, "HorizontalPodAutoscaler")
    targets = set()
    for name, hpa in autoscalers.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        ref = hpa["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment" and ref["name"] in deployments, name
        assert hpa["spec"]["minReplicas"] >= 2, f"{name}: one pod restarting is an outage"
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
        targets.add(ref["name"])
    assert targets == set(deployments)
    for name, deployment in deployments.items():
        # kubectl apply would otherwise reset the autoscaled count at every rollout.
        assert "replicas" not in deployment["spec"], name


def test_services_and_disruption_budgets_select_the_pods_they_mean(rendered):
    pods = {
        name: (d["spec"]["template"]["metadata"]["labels"], d["spec"]["template"]["spec"])
        for name, d in of_kind(rendered, "Deployment").items()
    }

    def selected(selector: dict[str, str]) -> list[str]:
        return [name for name, (labels, _) in pods.items() if selector.items() <= labels.items()]

    for name, service in of_kind(rendered, "Service").items():
        assert selected(service["spec"]["selector"]) == [name]
        (port,) = service["spec"]["ports"]
        (container,) = pods[name][1]["containers"]
        assert port["targetPort"] in {p["name"] for p in container["ports"]}
    for name, budget in of_kind(rendered, "PodDisruptionBudget").items():
        assert selected(budget["spec"]["selector"]["matchLabels"]) == [name]


def test_the_processes_find_each_other_through_the_services(rendered):
    services = of_kind(rendered, "Service")
    (config,) = of_kind(rendered, "ConfigMap").values()
    for variable in ("PA_RASA_URL", "PA_ACTION_ENDPOINT_URL"):
        url = urlsplit(config["data"][variable])
        assert url.hostname in services, f"{variable}: no Service {url.hostname}"
        assert url.port == services[url.hostname]["spec"]["ports"][0]["port"]


def test_no_secret_value_is_in_the_render(rendered, example_secret):
    text = yaml.safe_dump_all(rendered)
    assert not of_kind(rendered, "Secret")
    for value in example_secret["stringData"].values():
        assert value not in text
    (config,) = of_kind(rendered, "ConfigMap").values()
    for key, value in config["data"].items():
        assert not SECRET_LOOKING.search(key), f"ConfigMap key {key} looks like a secret"
        assert not CREDENTIALS_IN_URL.search(value), f"ConfigMap {key} holds credentials"
    for name, spec in pod_specs(rendered).items():
        for container in spec["containers"]:
            for entry in container.get("env", []):
                if SECRET_LOOKING.search(entry["name"]):
                    assert "value" not in entry, f"{name}: {entry['name']} written in the manifest"
                    assert entry["valueFrom"]["secretKeyRef"]["name"] == SECRET_NAME


def test_every_secret_reference_is_a_key_of_the_example_secret(rendered, example_secret):
    assert example_secret["metadata"]["name"] == SECRET_NAME
    assert "NOT FOR PRODUCTION" in check_manifests.SECRET_EXAMPLE.read_text()
    referenced = set()
    for spec in pod_specs(rendered).values():
        for container in spec["containers"]:
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == SECRET_NAME
                    referenced.add(ref["key"])
    assert referenced == set(example_secret["stringData"])


def test_every_image_is_a_dockerfile_target(rendered):
    for name, spec in pod_specs(rendered).items():
        for container in spec["containers"]:
            repository = image_repository(container["image"])
            assert repository.startswith(IMAGE_PREFIX), container["image"]
            assert repository.removeprefix(IMAGE_PREFIX) in image_targets(), container["image"]
            assert re.search(r":[\w.-]+$", container["image"]), f"{name}: image without a tag"


def test_every_variable_set_is_one_the_code_reads(rendered):
    for name, spec in pod_specs(rendered).items():
        for container in spec["containers"]:
            unknown = set(environment(rendered, container)) - known_variables()
            assert not unknown, f"{name}: nothing reads {sorted(unknown)}"


def test_each_process_gets_the_variables_it_cannot_start_without(rendered):
    specs = pod_specs(rendered)
    (app,) = specs["partner-assistant-app"]["containers"]
    (rasa,) = specs["partner-assistant-rasa"]["containers"]
    app_needs = {"PA_JWT_SECRET", "PA_RASA_TOKEN", "PA_ACTION_SECRET", "PA_DATABASE_URL",
                 "PA_RASA_URL", "PA_RATE_LIMIT_STORAGE_URL", "PA_SYNC_LOCK_URL"}  # fmt: skip
    assert app_needs <= set(environment(rendered, app))
    rasa_needs = endpoints_variables() | {"PA_RASA_TOKEN", "PA_SLACK_INBOX_URL"}
    assert rasa_needs <= set(environment(rendered, rasa))
    assert environment(rendered, app)["PA_SEED_SAMPLE_DATA"] == "false"


def test_the_migration_step_is_applied_alone_before_the_rollout(rendered):
    (job,) = of_kind(rendered, "Job").values()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "partners.migrate", "upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    step = {
        (r["kind"], r["metadata"]["name"])
        for r in rendered
        if r["metadata"].get("labels", {}).get("partner-assistant/step") == "migrate"
    }
    (config_name,) = of_kind(rendered, "ConfigMap")
    assert step == {("Namespace", "partner-assistant"), ("ConfigMap", config_name),
                    ("Job", "partner-assistant-migrate")}  # fmt: skip
    assert container["envFrom"][0]["configMapRef"]["name"] == config_name
