"""Program rules imported as figures: one row per figure, ``figure,value``.

The tier rules are nested (tiers, countries, the transition window), which a
spreadsheet cannot show; a figures file names each figure by its figure path
(``knowledge/figure_paths.py``, listed in ``docs/data.md``) instead::

    figure,value
    tiers.Silver.requirements.min_satisfaction_score,7.5
    countries.DE.revenue_thresholds.Gold,500000
    transition.end,2027-03-01

A figures file changes the figures it names and leaves every other one as it is;
each figure it sets becomes the office's own (``figure_sources``), so its sample
label goes. Paths are read case-insensitively, and two short forms people write are
accepted: ``tiers.Silver.min_satisfaction_score`` (without ``requirements``) and
``countries.DE.revenue.Gold`` (for ``revenue_thresholds``). Reports use the full path.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from knowledge import figure_paths as fp
from knowledge.catalogue_checks import TIER_ORDER
from knowledge.models import ProgramRules
from partners.importing.tabular import Problem, Row, split_multi

FIGURE_COLUMNS = ("figure", "value")
LIST_FIGURES = ("benefits", "extra_benefits", "excluded_benefits")
_TIERS = {name.lower(): name for name in TIER_ORDER}
_NOT_A_FIGURE = "not a figure of the program rules (docs/data.md lists the figure paths)"


def parse_figure(text: str) -> str | None:
    """Return the canonical figure path ``text`` names, or None when it names none.

    Args:
        text: What the ``figure`` cell holds, e.g. ``countries.de.revenue.gold``.

    """
    parts = [part.strip() for part in text.strip().split(".")]
    lower = [part.lower() for part in parts]
    if len(parts) == 1 and lower[0] in fp.TOP_FIGURES:
        return lower[0]
    if len(parts) == 2 and lower[0] == "transition" and lower[1] in fp.TRANSITION_FIGURES:
        return f"transition.{lower[1]}"
    if len(parts) in (3, 4) and lower[0] == "tiers" and lower[1] in _TIERS:
        tier, rest = _TIERS[lower[1]], lower[2:]
        if rest[0] == "requirements" and len(rest) == 2:
            rest = rest[1:]
        if len(rest) == 1 and rest[0] in fp.TIER_FIGURES:
            return f"tiers.{tier}.{rest[0]}"
        if len(rest) == 1 and rest[0] in fp.REQUIREMENT_FIGURES:
            return f"tiers.{tier}.requirements.{rest[0]}"
    if len(parts) in (3, 4) and lower[0] == "countries" and len(parts[1]) == 2:
        code, name = parts[1].upper(), "revenue_thresholds" if lower[2] == "revenue" else lower[2]
        if len(parts) == 3 and name in fp.COUNTRY_FIGURES:
            return f"countries.{code}.{name}"
        if len(parts) == 4 and name in fp.COUNTRY_TIER_MAPS and lower[3] in _TIERS:
            return f"countries.{code}.{name}.{_TIERS[lower[3]]}"
    return None


def _value(path: str, text: str) -> Any:
    """Return the value as the rules hold it; the model converts and checks it afterwards."""
    last = path.split(".")[-1] if not path.startswith("countries.") else path.split(".")[2]
    if last in LIST_FIGURES:
        return split_multi(text)
    if path.endswith(".min_satisfaction_score") and not text:
        return None  # no minimum score for this tier
    if path.startswith("tiers.") and last in ("client_satisfaction_competency", "revenue"):
        return text.lower()  # "TRUE" from a spreadsheet
    return text


@dataclass
class FigureChanges:
    """The rules after a figures file, and what it changed.

    Attributes:
        rules: The validated rules (JSON form), without the bad rows' figures; None
            when they do not pass the model (then the cross-checks cannot run).
        added: Paths of figures the rules did not hold before (a new country's).
        changed: Paths of figures whose value changed.
        unchanged: How many figures kept their value.
        relabelled: Paths whose value stayed but whose sample label goes.
        rows: The row of each figure, by path.
        problems: One per bad row.

    """

    rules: dict[str, Any] | None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    relabelled: list[str] = field(default_factory=list)
    rows: dict[str, Row] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def apply_figures(current: dict[str, Any], rows: Sequence[Row]) -> FigureChanges:
    """Set every figure the rows name on a copy of the current rules and validate it.

    Args:
        current: The rules as the catalogue content holds them (JSON form).
        rows: Rows with ``figure`` and ``value``.

    Returns:
        The new rules with the figures marked ``office``, what changed, and one
        problem per bad row; any problem means the rules must not be written.

    """
    result = FigureChanges(rules=None)
    rules = copy.deepcopy(current)
    for row in rows:
        path = parse_figure(row.get("figure"))
        if path is None:
            result.problems.append(row.problem("figure", _NOT_A_FIGURE))
            continue
        if path in result.rows:
            why = f"figure given twice (also on row {result.rows[path].number})"
            result.problems.append(row.problem("figure", why))
            continue
        result.rows[path] = row
        try:
            fp.set_value(rules, path, _value(path, row.get("value")))
        except KeyError as exc:
            result.problems.append(row.problem("figure", str(exc.args[0])))
    fp.mark_sources(rules, result.rows, "office")
    try:
        validated = ProgramRules.model_validate(rules)
    except ValidationError as exc:
        result.problems += _validation_problems(exc, rules, result.rows, rows)
        return result
    old = ProgramRules.model_validate(current)
    old_leaves = set(old.figure_paths())
    for path in result.rows:
        if path not in old_leaves:
            result.added.append(path)
        elif fp.value_of(old, path) != fp.value_of(validated, path):
            result.changed.append(path)
        else:
            result.unchanged += 1
            if old.source_of(path) == "sample":
                result.relabelled.append(path)
    result.rules = validated.model_dump(mode="json")
    return result


def _validation_problems(
    exc: ValidationError,
    rules: dict[str, Any],
    row_of: dict[str, Row],
    rows: Sequence[Row],
) -> list[Problem]:
    """Map model errors back to the rows whose figures caused them."""
    problems = []
    for error in exc.errors():
        path = figure_of_location(rules, tuple(error["loc"]))
        row = row_of.get(path) or find_row(row_of, path)
        reason = str(error["msg"])
        if error["type"] == "missing" and path.startswith("countries."):
            reason = f"{path} is missing: a new country needs name, currency and revenue_thresholds"
        if row is None:
            file = rows[0].file if rows else "(figures)"
            problems.append(Problem(file, None, "figure", path, reason))
        else:
            problems.append(row.problem("value", reason))
    return problems


def figure_of_location(rules: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """Return the figure path of a model error location (list indexes become names)."""
    parts: list[str] = []
    index = 0
    while index < len(loc):
        key = loc[index]
        if key in ("tiers", "countries") and index + 1 < len(loc):
            items = rules.get(str(key), [])
            position = loc[index + 1]
            label = "name" if key == "tiers" else "code"
            name = position
            if isinstance(position, int) and position < len(items):
                name = items[position].get(label, position)
            parts += [str(key), str(name)]
            index += 2
            continue
        parts.append(str(key))
        index += 1
    return ".".join(parts)


def find_row(row_of: dict[str, Row], path: str) -> Row | None:
    """Return the row of ``path``, else of a figure in its group (``countries.DE``...).

    A check about a group (a country's thresholds) or a missing figure of a new
    country points at the row that set a figure of that group.
    """
    parts = path.split(".")
    for end in range(len(parts), 1, -1):
        group = ".".join(parts[:end])
        for figure, row in row_of.items():
            if figure == group or figure.startswith(group + "."):
                return row
    return None


def figure_of_check(entry: str, field: str) -> str:
    """Return the figure path a catalogue check about the rules points at.

    Args:
        entry: The check's entry: a tier name, a country code, ``transition`` or
            ``(top level)``.
        field: The field in it, e.g. ``requirements.min_satisfaction_score``.

    """
    if entry in TIER_ORDER:
        return f"tiers.{entry}.{field}"
    if len(entry) == 2 and entry.isupper():
        return f"countries.{entry}.{field}"
    if entry == "transition":
        return f"transition.{field}"
    return field
