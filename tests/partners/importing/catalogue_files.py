"""Helpers for the catalogue-import tests: real files in a tmp dir, a real SQLite store."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from partners.db import create_db_engine
from partners.importing.catalogue_rows import COMPETENCIES, COURSES
from partners.prestart import init_db
from partners.releases import current_content, latest_version
from tests.partners.fixtures import store_settings

COURSE_HEADER = list(COURSES.columns)
COMPETENCY_HEADER = list(COMPETENCIES.columns)


def fresh_store(folder: Path) -> Engine:
    """A migrated, empty partner store (no sample partners: imports do not need them)."""
    settings = store_settings(f"sqlite:///{folder / 'partners.db'}", folder, seed_sample_data=False)
    return init_db(settings, engine=create_db_engine(settings.effective_database_url))


def course_row(**values: Any) -> dict[str, str]:
    """A good course row (a new course) with ``values`` replacing cells."""
    row = {
        "id": "U-QNT-101",
        "title": "Quantum Computing Foundations",
        "summary": "Qubits, gates and the problems a quantum computer may solve for a client.",
        "level": "beginner",
        "duration_hours": "6",
        "delivery": "self-paced",
        "prerequisites": "U-CNA-101",
        "competencies": "C-CLOUD-NATIVE;C-HYBRID-CLOUD",
        "credits": "5",
        "voucher_eligible": "true",
    }
    row.update({key: str(value) for key, value in values.items()})
    return row


def write_csv(
    path: Path, rows: Iterable[Mapping[str, Any]], header: Sequence[str] = COURSE_HEADER
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(dict(row))
    return path


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def course_cells(course: Mapping[str, Any]) -> dict[str, str]:
    """A course of the catalogue content as the CSV holds it."""
    return {
        "id": course["id"],
        "title": course["title"],
        "summary": course["summary"],
        "level": course["level"],
        "duration_hours": str(course["duration_hours"]),
        "delivery": course["delivery"],
        "prerequisites": ";".join(course["prerequisites"]),
        "competencies": ";".join(course["competencies"]),
        "credits": str(course["credits"]),
        "voucher_eligible": "true" if course["voucher_eligible"] else "false",
    }


def content_of(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        return current_content(session)


def version_of(engine: Engine) -> int:
    with Session(engine) as session:
        return latest_version(session)
