"""Reading export files: rows numbered as a spreadsheet shows them, every problem located."""

from __future__ import annotations

from pathlib import Path

from partners.importing.report import ImportReport
from partners.importing.tabular import load_mapping, read_table, split_multi

COLUMNS = ("id", "title", "tags")
REQUIRED = ("id", "title")


def _read(path: Path, **kwargs):
    return read_table(path, kind="things", columns=COLUMNS, required=REQUIRED, **kwargs)


def test_csv_rows_are_numbered_from_2_and_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "things.csv"
    path.write_bytes('\ufeffid,title,tags\nA,First,x; y ;;\n\nB,"Two\nlines",\nC,Third,\n'.encode())

    table = _read(path)

    assert table.problems == []
    assert [(row.number, row.get("id")) for row in table.rows] == [(2, "A"), (4, "B"), (5, "C")]
    assert split_multi(table.rows[0].values["tags"]) == ["x", "y"]


def test_a_file_that_is_not_utf8_names_the_row_and_column_of_the_first_bad_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "things.csv"
    path.write_bytes(b"id,title,tags\nA,First,\nB,Caf" + b"\xe9,\n")

    table = _read(path)

    assert table.rows == []
    [problem] = table.problems
    assert (problem.file, problem.row, problem.column) == (str(path), 3, "title")
    assert "file is not UTF-8 text: byte 0xe9 at row 3" in problem.reason


def test_a_missing_required_column_and_an_unknown_column_are_named(tmp_path: Path) -> None:
    path = tmp_path / "things.csv"
    path.write_text("id,titel\nA,First\n", encoding="utf-8")

    table = _read(path)

    found = {(p.row, p.column, p.reason.split(" (")[0]) for p in table.problems}
    assert found == {
        (1, "title", "required column missing from the header row"),
        (1, "titel", "unknown column 'titel'"),
    }


def test_a_mapping_file_renames_their_headers_per_file_kind(tmp_path: Path) -> None:
    mapping_path = tmp_path / "mapping.yaml"
    mapping_path.write_text(
        "Course Code: id\nthings:\n  Name: title\n  Internal note: '-'\n", encoding="utf-8"
    )
    path = tmp_path / "things.csv"
    path.write_text("Course Code,NAME,Internal note\nA,First,secret\n", encoding="utf-8")
    mapping, problems = load_mapping(mapping_path)

    table = _read(path, mapping=mapping)

    assert problems == [] and table.problems == []
    assert table.rows[0].values == {"id": "A", "title": "First"}


def test_jsonl_lines_are_rows_and_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "things.jsonl"
    path.write_text(
        '{"id": "A", "title": "First", "tags": ["x", "y"]}\n'
        "{not json\n"
        '{"id": "C"}\n'
        '{"id": "D", "title": 4, "tags": {"nested": 1}}\n',
        encoding="utf-8",
    )

    table = _read(path)

    assert [(row.number, row.values) for row in table.rows] == [
        (1, {"id": "A", "title": "First", "tags": "x;y"})
    ]
    located = [(p.row, p.column) for p in table.problems]
    assert located == [(2, None), (3, "title"), (4, "tags")]
    assert table.problems[0].reason.startswith("not valid JSON")


def test_the_report_shows_every_problem_with_file_row_column_value_and_reason(
    tmp_path: Path,
) -> None:
    path = tmp_path / "things.csv"
    path.write_text("id,titel\nA,First\n", encoding="utf-8")
    table = _read(path)
    report = ImportReport("things", [table.file], problems=table.problems)

    text = report.render()

    assert not report.ok and report.exit_status() == 1
    assert "2 problems, nothing written" in text
    assert f"{path}  1    title" in text
    assert report.as_json()["problems"][0] == {
        "file": str(path),
        "row": 1,
        "column": "titel",
        "value": None,
        "reason": report.problems[0].reason,
    }
