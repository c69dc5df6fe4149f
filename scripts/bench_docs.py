"""Write one benchmark's section of docs/benchmarks.md, between its own markers.

Each benchmark script owns a section fenced by a start and an end marker (HTML comments),
so the scripts can rewrite their figures without touching each other's. Standard library
only: scripts/bench_nlu.py imports this under the Rasa environment's Python.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "benchmarks.md"


def write_section(section: str, start: str, end: str, path: Path = BENCHMARKS) -> None:
    """Replace the text from ``start`` to ``end`` with ``section``, or append ``section``.

    The file is created (titled "# Benchmarks") if missing. One blank line separates the
    section from what follows it, and the file ends with a newline, so writing the same
    section twice leaves the file as the first write left it.

    Args:
        section: The new section, markers included.
        start: The marker the section begins with.
        end: The marker the section ends with.
        path: The markdown file to write.

    """
    section = section.strip("\n")
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    head, found, rest = text.partition(start)
    if found and end in rest:
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + ("\n\n" + tail if tail else "\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
