"""The import report as the API and the sync store it: capped lists, full counts."""

from __future__ import annotations

from partners.importing.problem import Problem
from partners.importing.report import ImportReport


def test_a_large_import_reports_every_count_but_caps_the_listed_ids() -> None:
    report = ImportReport(kind="partners", files=["partners.csv"], dry_run=False)
    report.added = [f"partner PW-{n:05d}" for n in range(1500)]
    report.removed = ["partner P-0001 (sample)"]

    full = report.as_json()
    capped = report.as_json(limit=1000)

    assert len(full["added"]) == 1500 and full["truncated"] is False
    assert capped["added"] == full["added"][:1000]
    assert capped["removed"] == ["partner P-0001 (sample)"]
    assert capped["counts"] == {"added": 1500, "changed": 0, "removed": 1, "problems": 0}
    assert capped["truncated"] is True


def test_a_capped_report_of_bad_rows_still_counts_all_of_them() -> None:
    report = ImportReport(kind="courses", files=["courses.csv"], dry_run=True)
    report.problems = [
        Problem("courses.csv", row, "duration_hours", "-1", "hours must not be negative")
        for row in range(2, 1502)
    ]

    capped = report.as_json(limit=1000)

    assert capped["ok"] is False
    assert [p["row"] for p in capped["problems"]] == list(range(2, 1002))
    assert capped["counts"]["problems"] == 1500 and capped["truncated"] is True
