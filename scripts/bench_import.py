"""Time the partner-records import at the issue's scale; write the figures to docs/benchmarks.md.

Usage: ``.venv/bin/python scripts/bench_import.py [--partners 10000] [--no-write]
[--no-postgres] [--no-courses] [--keep DIR]``.

Generates a deterministic CRM export (10,000 partners, 50,000 people and, in
proportion, certifications, completions, earned competencies, revenue, satisfaction
scores and vouchers; ids from the shipped catalogue) into a temporary directory, then
imports it with ``partners.importing.partner_records.import_partner_records``:

* into a new SQLite store, and again (the idempotent re-run: nothing to change);
* into a private schema of the local PostgreSQL server
  (``postgresql://postgres@127.0.0.1:5432/test``, created and dropped here), twice;
* 5,000 generated courses through ``import_courses`` (which publishes a catalogue
  release, embedding the new course texts), into a new SQLite store.

The issue's budget: partners, people and 5,000 courses imported and re-indexed within
60 s on this machine. Exits 1 when an import reports a problem or the re-run changes
anything, or when the SQLite partners import plus the course import exceed 60 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from knowledge.catalogue import Catalogue, load_catalogue  # noqa: E402
from partners.db import create_db_engine  # noqa: E402
from partners.importing.partner_records import import_partner_records  # noqa: E402
from partners.importing.report import ImportReport  # noqa: E402
from partners.migrate import upgrade  # noqa: E402
from scripts.bench_docs import BENCHMARKS, write_section  # noqa: E402

START, END = "<!-- import-bench:start -->", "<!-- import-bench:end -->"
SEED = 20261204
BUDGET_S = 60.0
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
PEOPLE_PER_PARTNER = 5
COURSES = 5_000
_ROLES = ("sales lead", "technical lead", "consultant", "architect", "developer", "")
_WORDS = (
    "Alpen", "Harbour", "Sakura", "Nordic", "Cedar", "Summit", "Blue", "River", "Granite",
    "Lumen", "Vertex", "Orbit", "Delta", "Pioneer", "Atlas", "Meridian", "Aurora", "Cobalt",
)  # fmt: skip
_SUFFIX = ("GmbH", "Ltd", "K.K.", "Inc.", "S.A.", "B.V.", "Pty Ltd", "LLC", "S.r.l.", "SAS")
_FIRST = ("Anna", "Ben", "Chiara", "David", "Elif", "Farid", "Grace", "Hiro", "Ines", "Kofi")
_LAST = ("Vogel", "Brandt", "Raman", "Sato", "Silva", "Okafor", "Rossi", "Dubois", "Novak", "Ito")


# ------------------------------------------------------------------------- the export
def _write(path: Path, header: list[str], rows: list[list[Any]]) -> int:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def generate_export(directory: Path, catalogue: Catalogue, partners: int) -> dict[str, int]:
    """Write a deterministic CRM export of ``partners`` partners; return rows per file."""
    rnd = random.Random(SEED)
    countries = sorted(catalogue.country_by_code)
    currency = {code: c.currency for code, c in catalogue.country_by_code.items()}
    tiers = list(catalogue.tier_by_name)
    courses = [course.id for course in catalogue.courses]
    competencies = [competency.id for competency in catalogue.competencies]
    legacy = sorted({t.certification for c in catalogue.competencies for t in c.credit_transfer})
    title = {course.id: course.title for course in catalogue.courses}
    start = catalogue.rules.transition.start
    rows: dict[str, list[list[Any]]] = {name: [] for name in _HEADERS}
    person = 0
    voucher = 0
    for number in range(1, partners + 1):
        pid = f"PB-{number:05d}"
        country = countries[rnd.randrange(len(countries))]
        name = f"{rnd.choice(_WORDS)} {rnd.choice(_WORDS)} {number} {rnd.choice(_SUFFIX)}"
        rows["partners"].append([pid, name, country, rnd.choice(tiers)])
        for _ in range(PEOPLE_PER_PARTNER):
            person += 1
            ext = f"CB-{person:06d}"
            first, last = rnd.choice(_FIRST), rnd.choice(_LAST)
            email = f"{first}.{last}.{person}@partner{number}.example".lower()
            rows["people"].append([ext, pid, f"{first} {last}", email, rnd.choice(_ROLES)])
            taken = rnd.sample(courses, 3)
            for course in taken:
                day = start + dt.timedelta(days=rnd.randint(-300, 240))
                rows["completions"].append([ext, course, day.isoformat()])
            if rnd.random() < 0.7:
                day = start + dt.timedelta(days=rnd.randint(0, 240))
                course = taken[0]
                rows["certifications"].append(
                    [ext, f"{title[course]} Certification", course, day.isoformat()]
                )
            if rnd.random() < 0.6:
                day = start - dt.timedelta(days=rnd.randint(60, 2000))
                rows["certifications"].append([ext, rnd.choice(legacy), "", day.isoformat()])
        for competency in rnd.sample(competencies, rnd.randint(0, 5)):
            day = start + dt.timedelta(days=rnd.randint(0, 240))
            rows["competencies"].append([pid, competency, day.isoformat()])
        base = rnd.randint(20, 2_000) * 1_000
        for year in (start.year - 3, start.year - 2, start.year - 1):
            amount = int(base * rnd.uniform(0.7, 1.2))
            rows["revenue"].append([pid, year, amount, currency[country]])
        for index in range(8):
            year, quarter = start.year - 2 + index // 4, index % 4 + 1
            rows["satisfaction"].append([pid, year, quarter, round(rnd.uniform(5.0, 9.8), 1)])
        for _ in range(PEOPLE_PER_PARTNER):
            voucher += 1
            status = "available" if rnd.random() < 0.45 else "used"
            expires = catalogue.rules.transition.end + dt.timedelta(days=rnd.randint(-90, 330))
            rows["vouchers"].append([f"VB-{voucher:07d}", pid, status, expires.isoformat()])
    directory.mkdir(parents=True, exist_ok=True)
    return {
        name: _write(directory / f"{name}.csv", header, rows[name])
        for name, header in _HEADERS.items()
    }


_HEADERS = {
    "partners": ["partner_id", "name", "country", "tier"],
    "people": ["person_id", "partner_id", "name", "email", "role"],
    "certifications": ["person_id", "name", "course_id", "earned_on"],
    "completions": ["person_id", "course_id", "completed_on"],
    "competencies": ["partner_id", "competency_id", "earned_on"],
    "revenue": ["partner_id", "year", "amount", "currency"],
    "satisfaction": ["partner_id", "year", "quarter", "score"],
    "vouchers": ["code", "partner_id", "status", "expires_on"],
}


def generate_courses(path: Path, catalogue: Catalogue, count: int) -> None:
    """Write ``count`` generated courses (course CSV of docs/data.md) to ``path``."""
    rnd = random.Random(SEED + 1)
    competencies = [competency.id for competency in catalogue.competencies]
    levels = ("beginner", "intermediate", "advanced")
    deliveries = ("self-paced", "virtual classroom", "classroom", "lab")
    header = [
        "id", "title", "summary", "level", "duration_hours", "delivery",
        "prerequisites", "competencies", "credits", "voucher_eligible",
    ]  # fmt: skip
    rows = []
    for number in range(1, count + 1):
        topic = f"{rnd.choice(_WORDS)} {rnd.choice(_WORDS)}"
        level = levels[number % 3]
        prerequisite = f"U-BEN-{number - 1:04d}" if number % 3 and number > 1 else ""
        rows.append(
            [
                f"U-BEN-{number:04d}",
                f"{topic} Practice {number}",
                f"Hands-on {level} course on {topic.lower()} for partner teams, part {number}.",
                level,
                rnd.choice((2, 4, 8, 16, 24)),
                rnd.choice(deliveries),
                prerequisite,
                ";".join(rnd.sample(competencies, rnd.randint(1, 2))),
                rnd.randint(3, 20),
                rnd.choice(("true", "false")),
            ]
        )
    _write(path, header, rows)


# -------------------------------------------------------------------------- timings
@dataclass(frozen=True)
class Timing:
    """One timed import."""

    what: str
    seconds: float
    report: ImportReport


def timed(what: str, run: Callable[[], ImportReport]) -> Timing:
    """Run one import and time it; print its summary."""
    started = time.perf_counter()
    report = run()
    seconds = time.perf_counter() - started
    print(f"[bench] {what}: {seconds:.1f} s - {report.summary()[-90:]}")
    for problem in report.problems[:10]:
        print(f"[bench]   {problem.line()}")
    return Timing(what, seconds, report)


def import_twice(engine: Engine, export: Path, where: str, catalogue: Catalogue) -> list[Timing]:
    """Import ``export`` into the migrated store behind ``engine``, then again."""
    upgrade(engine)
    timings = []
    for label in ("first import", "same export again"):
        with Session(engine) as session:

            def run(session: Session = session) -> ImportReport:
                return import_partner_records(session, export, catalogue=catalogue)

            timings.append(timed(f"{where}: {label}", run))
    return timings


def sqlite_timings(export: Path, folder: Path, catalogue: Catalogue) -> list[Timing]:
    """Both imports into a new SQLite store."""
    engine = create_db_engine(f"sqlite:///{folder / 'bench-import.db'}")
    try:
        return import_twice(engine, export, "SQLite", catalogue)
    finally:
        engine.dispose()


def postgres_timings(export: Path, catalogue: Catalogue) -> list[Timing] | str:
    """Both imports into a private PostgreSQL schema; the reason instead when unreachable."""
    import psycopg

    schema = f"pa_bench_import_{os.getpid()}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        return f"PostgreSQL at {POSTGRES_URL} unreachable: {' '.join(str(exc).split())}"
    with admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.execute(f"CREATE SCHEMA {schema}")
    engine = create_db_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        return import_twice(engine, export, "PostgreSQL", catalogue)
    finally:
        engine.dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def course_timing(folder: Path, catalogue: Catalogue) -> Timing | str:
    """Import and publish 5,000 courses into a new SQLite store (helper H2's import)."""
    try:
        from partners.importing.catalogue_import import import_courses
    except ImportError as exc:  # HOOK: the course import is not there yet
        return f"not measured: the course import is not available ({exc})"
    path = folder / "courses.csv"
    generate_courses(path, catalogue, COURSES)
    engine = create_db_engine(f"sqlite:///{folder / 'bench-courses.db'}")
    try:
        upgrade(engine)
        with Session(engine) as session:
            return timed(
                f"{COURSES:,} courses: import and publish",
                lambda: import_courses(session, path),
            )
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------- report
def render(
    counts: dict[str, int],
    timings: list[Timing],
    postgres_note: str | None,
    courses: Timing | str,
    load: float,
) -> str:
    """Return the docs section."""
    sizes = ", ".join(f"{count:,} {name}" for name, count in counts.items())
    records = sum(counts.values())
    rows = "\n".join(
        f"| {t.what} | {t.seconds:.1f} s | {len(t.report.added):,} added, "
        f"{len(t.report.changed):,} changed, {t.report.unchanged:,} unchanged |"
        for t in timings
    )
    notes = [] if postgres_note is None else [f"PostgreSQL: {postgres_note}."]
    if isinstance(courses, Timing):
        embedded = next((n for n in courses.report.notes if "embedded" in n), "")
        rows += (
            f"\n| SQLite: {courses.what} | {courses.seconds:.1f} s | "
            f"{len(courses.report.added):,} added; {embedded} |"
        )
        total = timings[0].seconds + courses.seconds
        notes.append(
            f"The issue's budget (partner records and {COURSES:,} courses imported and "
            f"re-indexed, SQLite, first imports): **{total:.1f} s** of {BUDGET_S:.0f} s"
            f" ({'met' if total <= BUDGET_S else '**missed**'})."
        )
    else:
        notes.append(f"Courses: {courses}.")
    return f"""{START}
## Importing an office's partner records (`scripts/bench_import.py`)

Measured {time.strftime("%Y-%m-%d")} on {platform.machine()} with {os.cpu_count()} cores
(shared machine, load average {load:.1f} when measured). A generated CRM export of
{records:,} records ({sizes}; fixed random seed) is imported with
`partners.importing.partner_records.import_partner_records` into a new store, then the
same export again (idempotent: nothing to change). Each time includes reading and
checking every row and every reference; each import is one transaction.
{COURSES:,} generated courses go through `import_courses`, which publishes a catalogue
release and embeds the new course texts for search.

| import | time | outcome |
| --- | --- | --- |
{rows}

{" ".join(notes)}
{END}"""


def main(argv: list[str] | None = None) -> int:
    """Generate, import, write the docs section unless ``--no-write``; 1 on a failure."""
    parser = argparse.ArgumentParser(description="Time the partner-records import.")
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-courses", action="store_true")
    args = parser.parse_args(argv)
    catalogue = load_catalogue()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="pa-bench-import-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        counts = generate_export(folder / "export", catalogue, args.partners)
        print(f"[bench] generated {counts} in {time.perf_counter() - started:.1f} s")
        timings = sqlite_timings(folder / "export", folder, catalogue)
        postgres_note = "not measured (--no-postgres)" if args.no_postgres else None
        if not args.no_postgres:
            measured = postgres_timings(folder / "export", catalogue)
            if isinstance(measured, str):
                postgres_note = measured
            else:
                timings += measured
        courses: Timing | str = "not measured (--no-courses)"
        if not args.no_courses:
            courses = course_timing(folder, catalogue)
    total = None
    if isinstance(courses, Timing):
        total = timings[0].seconds + courses.seconds
    section = render(counts, timings, postgres_note, courses, load)
    if args.no_write:
        print(section)
    else:
        write_section(section, START, END)
        print(f"[bench] wrote {BENCHMARKS.relative_to(ROOT)}")
    failed = [t for t in timings if not t.report.ok]
    if isinstance(courses, Timing) and not courses.report.ok:
        failed.append(courses)
    reruns = [t for t in timings if "again" in t.what and t.report.has_changes]
    over = total is not None and total > BUDGET_S
    for timing in reruns:
        print(f"[bench] FAILED: {timing.what} changed records (not idempotent)")
    if over:
        print(f"[bench] FAILED: {total:.1f} s is over the {BUDGET_S:.0f} s budget")
    return 1 if failed or reruns or over else 0


if __name__ == "__main__":
    sys.exit(main())
