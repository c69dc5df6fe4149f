"""Render deploy/k8s offline and validate it against the Kubernetes schemas.

``make manifests`` (part of ``make test``) runs this: ``kubectl kustomize deploy/k8s``
renders the manifests without a cluster, and kubernetes-validate checks every resource
against the schemas it bundles, strictly (an unknown or misspelt field is an error), for
the oldest and the newest Kubernetes release in ``KUBERNETES_VERSIONS``. The example
Secret, which is not part of the render, is checked too. Exit status: 0 valid, 1 invalid,
2 when the manifests cannot be rendered (kubectl missing, a kustomize error).

What a deployer relies on beyond the schemas (non-root, probes, autoscaler targets, no
secret in the render, image names) is asserted by tests/deploy/test_manifests.py.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S_DIR = ROOT / "deploy" / "k8s"
SECRET_EXAMPLE = K8S_DIR / "secret.example.yaml"
# The oldest release the manifests are meant for and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.30", "1.37")

Resource = dict[str, Any]


class ManifestError(RuntimeError):
    """The manifests could not be rendered."""


def render(directory: Path = K8S_DIR) -> list[Resource]:
    """Return the resources ``kubectl kustomize directory`` renders (no cluster needed).

    Raises:
        ManifestError: kubectl is not installed, or kustomize refused the folder.

    """
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise ManifestError(
            "kubectl is not installed: it renders deploy/k8s (kubectl kustomize); install "
            "it from https://kubernetes.io/docs/tasks/tools/ (no cluster is needed)"
        )
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise ManifestError(f"kubectl kustomize {directory} failed: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def load(path: Path) -> list[Resource]:
    """Return the resources of one YAML file."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def name_of(resource: Resource) -> str:
    """Return ``Kind/name`` of a resource, as kubectl names it."""
    return f"{resource.get('kind')}/{resource.get('metadata', {}).get('name')}"


def schema_problems(
    resources: Iterable[Resource], versions: Sequence[str] = KUBERNETES_VERSIONS
) -> list[str]:
    """Return one line per resource and version whose strict schema check fails.

    A kind or API version the validator has no schema for is a problem too (a typo, or
    an API the release removed), not a pass as in kubernetes-validate's own command.
    """
    import kubernetes_validate

    problems = []
    for resource in resources:
        for version in versions:
            try:
                kubernetes_validate.validate(resource, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = ".".join(str(part) for part in error.path) or "(top level)"
                problems.append(
                    f"{name_of(resource)}: Kubernetes {version}: {where}: {error.message}"
                )
            except kubernetes_validate.SchemaNotFoundError:
                problems.append(
                    f"{name_of(resource)}: Kubernetes {version} has no "
                    f"{resource.get('apiVersion')} {resource.get('kind')}"
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    """Render and validate; print what was checked or every problem."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--directory", type=Path, default=K8S_DIR, help="kustomization folder")
    args = parser.parse_args(argv)
    try:
        rendered = render(args.directory)
    except (ManifestError, subprocess.TimeoutExpired) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problems = schema_problems([*rendered, *load(SECRET_EXAMPLE)])
    for problem in problems:
        print(f"invalid: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.directory}", file=sys.stderr)
        return 1
    kinds = Counter(str(resource.get("kind")) for resource in rendered)
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    folder = args.directory.resolve()
    shown = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    print(
        f"{shown}: {len(rendered)} resources ({summary}) and {SECRET_EXAMPLE.name} valid against "
        f"Kubernetes {' and '.join(KUBERNETES_VERSIONS)} (strict schemas, offline)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
