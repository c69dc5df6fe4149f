"""Readers of the deployment files for the tests: Dockerfile, .dockerignore, settings names.

No container runtime runs on these machines, so the tests read the Dockerfile and the
compose file as text and YAML and cross-check them with the manifests and the code.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
ENDPOINTS = ROOT / "deploy" / "endpoints.production.yml"
ENV_EXAMPLE = ROOT / ".env.example"
IMAGE_PREFIX = "partner-assistant-"

# Variables the manifests set that are read by something other than our code.
OTHER_PROGRAMS_VARIABLES = {
    "HOME": "Rasa keeps its global config under $HOME (on the writable /tmp)",
    "FORWARDED_ALLOW_IPS": "uvicorn: whose X-Forwarded-For it trusts (--proxy-headers)",
    "RASA_TELEMETRY_ENABLED": "Rasa's telemetry switch",
}


@dataclass
class Stage:
    """One ``FROM`` stage of the Dockerfile and the instructions under it."""

    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        """Return the argument text of every instruction ``keyword`` in this stage."""
        return [args for key, args in self.instructions if key == keyword]


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # comments may sit inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    return lines


@cache
def dockerfile_stages() -> dict[str, Stage]:
    """Return the Dockerfile's stages by name, global ``ARG`` defaults substituted in FROM."""
    arg_defaults: dict[str, str] = {}
    stages: dict[str, Stage] = {}
    stage: Stage | None = None
    for line in _logical_lines(DOCKERFILE.read_text()):
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and stage is None and "=" in args:
            name, _, default = args.partition("=")
            arg_defaults[name.strip()] = default.strip()
        elif keyword == "FROM":
            words = args.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: arg_defaults.get(m[1], m[0]), words[0])
            name = words[2] if len(words) > 2 and words[1].upper() == "AS" else str(len(stages))
            stage = Stage(name=name, base=base)
            stages[name] = stage
        elif stage is not None:
            stage.instructions.append((keyword, args))
    return stages


def image_targets() -> set[str]:
    """Return the stages that are images of their own: no other stage builds on them."""
    stages = dockerfile_stages()
    used = {stage.base for stage in stages.values()}
    for stage in stages.values():
        for args in stage.arguments("COPY"):
            used.update(re.findall(r"--from=(\S+)", args))
    return set(stages) - used


def copy_sources() -> list[str]:
    """Return every path the Dockerfile copies from the build context."""
    sources: list[str] = []
    for stage in dockerfile_stages().values():
        for args in stage.arguments("COPY"):
            words = [word for word in shlex.split(args) if not word.startswith("--")]
            if "--from=" not in args:
                sources.extend(words[:-1])
    return sources


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern.strip("/"))
    regex = "".join(
        {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
        for part in parts
    )
    return re.compile(regex)


def in_build_context(path: str) -> bool:
    """Tell whether ``path`` reaches the builder past .dockerignore (last match decides).

    As Docker does, a pattern that matches a folder matches everything inside it.
    """
    candidates = [str(Path(*Path(path).parts[: i + 1])) for i in range(len(Path(path).parts))]
    included = True
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        regex = _ignore_regex(line.lstrip("!"))
        if any(regex.fullmatch(candidate) for candidate in candidates):
            included = negated
    return included


@cache
def known_variables() -> set[str]:
    """Return every environment variable our code or a tool we run is known to read.

    The app's settings (settings/__init__.py, with their aliases), everything .env.example
    documents, the ${VARS} of the production endpoints, and OTHER_PROGRAMS_VARIABLES.
    """
    from settings import Settings

    names = set(OTHER_PROGRAMS_VARIABLES)
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        names.add(alias if isinstance(alias, str) else f"PA_{name.upper()}")
    names.update(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    names.update(endpoints_variables())
    return names


@cache
def endpoints_variables() -> set[str]:
    """Return the ${VARS} Rasa substitutes in deploy/endpoints.production.yml's values."""
    import yaml

    def strings(node: object) -> list[str]:
        if isinstance(node, dict):
            return [text for value in node.values() for text in strings(value)]
        if isinstance(node, list):
            return [text for value in node for text in strings(value)]
        return [str(node)]

    values = strings(yaml.safe_load(ENDPOINTS.read_text()))
    return {name for value in values for name in re.findall(r"\$\{([A-Z0-9_]+)\}", value)}


def image_repository(image: str) -> str:
    """Return the last path part of an image reference, without tag or digest."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]
