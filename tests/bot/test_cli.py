"""The installed ``partner-assistant`` console script, run as a program office runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from partners.models import Partner
from tests.partners.importing.catalogue_files import course_row, fresh_store, version_of, write_csv

SCRIPT = Path(sys.executable).parent / "partner-assistant"


def _run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the console script in ``folder`` against the store there (no .env, no secrets)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(folder)),
        "PA_DATABASE_URL": f"sqlite:///{folder / 'partners.db'}",
    }
    return subprocess.run(
        [str(SCRIPT), *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    assert SCRIPT.exists(), "run scripts/setup-env.sh app: it installs the console script"
    return tmp_path


def test_a_good_course_file_is_applied_once_and_the_second_run_changes_nothing(
    folder: Path,
) -> None:
    write_csv(folder / "courses.csv", [course_row()])

    first = _run(folder, "import", "courses", "courses.csv")
    second = _run(folder, "import", "courses", "courses.csv")

    assert first.returncode == 0, first.stderr
    assert "added 1" in first.stdout and "published as catalogue release 1" in first.stdout
    assert second.returncode == 0 and "nothing to change" in second.stdout
    store = fresh_store(folder)
    assert version_of(store) == 1
    # The command migrates the store but, unlike the app's first start, seeds no samples.
    with Session(store) as session:
        assert session.scalar(select(func.count()).select_from(Partner)) == 0


def test_a_bad_file_exits_1_listing_every_problem_and_writes_nothing(folder: Path) -> None:
    write_csv(
        folder / "courses.csv",
        [course_row(duration_hours="-2"), course_row(id="U-QNT-102", competencies="C-NOPE")],
    )

    text = _run(folder, "import", "courses", "courses.csv")
    as_json = _run(folder, "import", "courses", "courses.csv", "--json")

    assert text.returncode == 1 and as_json.returncode == 1
    assert "2 problems, nothing written" in text.stdout
    problems = json.loads(as_json.stdout)["problems"]
    assert [(p["file"], p["row"], p["column"], p["value"]) for p in problems] == [
        ("courses.csv", 2, "duration_hours", "-2"),
        ("courses.csv", 3, "competencies", "C-NOPE"),
    ]
    assert all(p["reason"] in text.stdout for p in problems)
    assert version_of(fresh_store(folder)) == 0


def test_a_dry_run_reports_and_writes_nothing(folder: Path) -> None:
    write_csv(folder / "courses.csv", [course_row()])

    result = _run(folder, "import", "courses", "courses.csv", "--dry-run", "--json")

    report = json.loads(result.stdout)
    assert result.returncode == 0
    assert report["dry_run"] and report["added"] == ["U-QNT-101"] and not report["applied"]
    assert version_of(fresh_store(folder)) == 0


def test_rules_figures_and_a_mapping_file_through_the_command_line(folder: Path) -> None:
    (folder / "map.yaml").write_text("Kennzahl: figure\nWert: value\n", encoding="utf-8")
    (folder / "rules.csv").write_text(
        "Kennzahl,Wert\ncountries.DE.revenue_thresholds.Gold,500000\n", encoding="utf-8"
    )

    result = _run(folder, "import", "rules", "rules.csv", "--mapping", "map.yaml")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "countries.DE.revenue_thresholds.Gold" in result.stdout


def test_usage_errors_exit_2(folder: Path) -> None:
    assert _run(folder, "import").returncode == 2
    assert _run(folder, "import", "spaceships", "x.csv").returncode == 2
    assert _run(folder).returncode == 2


def test_import_partners_reports_a_missing_directory(folder: Path) -> None:
    result = _run(folder, "import", "partners", "no-such-export", "--json")

    assert result.returncode == 1
    assert json.loads(result.stdout)["problems"]
