"""The Dockerfile, read as text: no container runtime runs on these machines.

What an image build needs from this checkout and what the images promise (a pinned base,
a non-root user, a health check, the model and index built in, no secret) are checked
here; building and running the images is left to a machine with Docker (docs/deploy.md).
"""

from __future__ import annotations

import ast
import re
import shlex

from tests.deploy.deploy_files import (
    DOCKERFILE,
    ROOT,
    copy_sources,
    dockerfile_stages,
    image_targets,
    in_build_context,
)

SECRET_WORDS = re.compile(r"SECRET|TOKEN|PASSWORD|PASSCODE", re.IGNORECASE)


def test_the_images_are_the_app_and_rasa_targets():
    assert image_targets() == {"app", "rasa"}


def test_every_base_image_is_an_exact_python_release_on_bookworm():
    bases = {stage.base for stage in dockerfile_stages().values()}
    assert bases == {"python:3.11.7-slim-bookworm", "python:3.10.13-slim-bookworm"}


def test_each_image_runs_as_a_non_root_user_with_a_health_check_and_a_command():
    for target in image_targets():
        stage = dockerfile_stages()[target]
        users = stage.arguments("USER")
        assert users, f"{target}: no USER, so it would run as root"
        user = users[-1].split(":")[0]
        assert user not in ("0", "root"), f"{target} runs as {user}"
        assert stage.arguments("HEALTHCHECK"), f"{target}: no HEALTHCHECK"
        assert stage.arguments("CMD"), f"{target}: no CMD"


def test_the_health_checks_ask_the_routes_the_servers_answer():
    app = dockerfile_stages()["app"].arguments("HEALTHCHECK")[0]
    rasa = dockerfile_stages()["rasa"].arguments("HEALTHCHECK")[0]
    assert "http://127.0.0.1:8000/health" in app
    assert "http://127.0.0.1:5005/'" in rasa  # Rasa's "Hello from Rasa", no token needed
    assert (ROOT / "bot" / "routers" / "health.py").read_text().count('"/health"') == 1


def test_the_index_and_the_rasa_model_are_built_into_the_images():
    app_build = " ".join(dockerfile_stages()["app-build"].arguments("RUN"))
    rasa_build = " ".join(dockerfile_stages()["rasa-build"].arguments("RUN"))
    assert "python -m knowledge.build" in app_build
    assert "rasa train --fixed-model-name partner-assistant --out models" in rasa_build
    rasa_cmd = dockerfile_stages()["rasa"].arguments("CMD")[0]
    assert '"models/partner-assistant.tar.gz"' in rasa_cmd
    assert '"deploy/endpoints.production.yml"' in rasa_cmd
    assert "--auth-token" not in rasa_cmd  # rasa_addons.server takes it from PA_RASA_TOKEN


def test_torch_comes_from_the_cpu_index_at_the_locked_version():
    lock = (ROOT / "requirements" / "app.lock.txt").read_text()
    assert len(re.findall(r"^torch==", lock, re.MULTILINE)) == 1  # what the RUN line greps
    text = DOCKERFILE.read_text()
    assert "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in text
    assert "grep -E '^torch==' /tmp/app.lock.txt" in text


def test_the_tools_left_out_of_the_app_image_are_locked_packages():
    lock = (ROOT / "requirements" / "app.lock.txt").read_text().lower()
    (removal,) = re.findall(r"pip uninstall --yes ([\w\s-]+?) \\", DOCKERFILE.read_text())
    for package in removal.split():
        assert f"\n{package}==" in lock, f"{package} is not in the lock: a misspelt name?"


def test_everything_copied_from_the_checkout_exists_and_reaches_the_builder():
    sources = copy_sources()
    assert "requirements/app.lock.txt" in sources and "rasa_addons" in sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file in the checkout"
        assert in_build_context(source), f"COPY {source}: .dockerignore keeps it out"


def test_local_state_and_secrets_never_reach_the_builder():
    for path in (".venv", ".venv-rasa", "var/secrets.env", "var/index", "models", ".env",
                 "deploy/.env", "tests", ".git", "bot/__pycache__"):  # fmt: skip
        assert not in_build_context(path), f"{path} would be sent to the builder"


def test_no_secret_is_set_at_build_time():
    for stage in dockerfile_stages().values():
        for keyword in ("ARG", "ENV"):
            for args in stage.arguments(keyword):
                names = re.findall(r"(\w+)=", args) or [args.split()[0]]
                leaked = [name for name in names if SECRET_WORDS.search(name)]
                assert not leaked, f"{stage.name}: {keyword} {leaked} would stay in the image"


def test_the_rasa_image_holds_every_app_module_the_rasa_side_imports():
    # rasa_addons/ runs in the Rasa image, which copies only the app's modules it needs.
    copied = {
        source
        for args in dockerfile_stages()["rasa-build"].arguments("COPY")
        if "--from=" not in args
        for source in shlex.split(args)[:-1]
    }
    imported = set()
    for path in (ROOT / "rasa_addons").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                top = node.module.split(".")[0]
                if top in ("knowledge", "partners", "settings", "bot", "actions"):
                    imported.add(node.module.replace(".", "/") + ".py")
    assert imported, "rasa_addons imports nothing of the app: this test reads imports wrong"
    missing = sorted(module for module in imported if module not in copied)
    assert missing == [], f"the rasa-build stage lacks {missing}"
