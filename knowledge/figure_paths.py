"""Figure paths: one name for each figure of the tier rules, and where it comes from.

A figure path names one value of ``tiers.yaml`` (``knowledge.models.ProgramRules``)
the way the file nests it, tiers by name and countries by code::

    client_satisfaction_competency
    voucher_per_certification
    transition.start | transition.months | transition.end
    tiers.<Tier>.rank | tiers.<Tier>.summary | tiers.<Tier>.benefits
    tiers.<Tier>.requirements.competencies
    tiers.<Tier>.requirements.client_satisfaction_competency
    tiers.<Tier>.requirements.min_satisfaction_score
    tiers.<Tier>.requirements.revenue
    countries.<CC>.name | countries.<CC>.currency
    countries.<CC>.revenue_thresholds.<Tier>
    countries.<CC>.extra_benefits.<Tier>
    countries.<CC>.excluded_benefits.<Tier>

``<Tier>`` is a tier name (``Gold``), ``<CC>`` a country code (``DE``); the three
per-country maps have a figure for every tier (an empty list or a missing threshold
is a figure too). A *group* is any leading part of a path (``transition``,
``tiers.Gold``, ``countries.DE.revenue_thresholds``). ``competencies`` and
``courses`` name the two catalogue files as a whole (a *part*).

The same paths name a figure in ``figure_sources`` (``tiers.yaml``), in the rules
import (``partner-assistant import rules``, rows ``figure,value``) and in the
``sample_figures`` of answers and API responses. docs/data.md documents them for
people. Pure functions, no imports of the models at run time (they import this).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from knowledge.models import FigureSource, ProgramRules

# The catalogue files whose source is one for the whole file.
PARTS = ("competencies", "courses")
TOP_FIGURES = ("client_satisfaction_competency", "voucher_per_certification")
TRANSITION_FIGURES = ("start", "months", "end")
TIER_FIGURES = ("rank", "summary", "benefits")
REQUIREMENT_FIGURES = (
    "competencies",
    "client_satisfaction_competency",
    "min_satisfaction_score",
    "revenue",
)
COUNTRY_FIGURES = ("name", "currency")
COUNTRY_TIER_MAPS = ("revenue_thresholds", "extra_benefits", "excluded_benefits")
# A group is as certain as its least certain figure.
_UNCERTAINTY: dict[str, int] = {"published": 0, "office": 1, "sample": 2}


def leaves(rules: ProgramRules) -> list[str]:
    """Every figure path of ``rules``, in file order."""
    return list(_shape(rules).leaves)


class _Shape:
    """The paths of one rules object: its figures and what each group holds."""

    def __init__(self, rules: ProgramRules) -> None:
        self.rules = rules  # kept so that the id in the cache key stays this object's
        self.leaves = tuple(_leaves(rules))
        self.groups: dict[str, list[str]] = {}
        self.memo: dict[tuple[str, ...], tuple[str, ...]] = {}
        for leaf in self.leaves:
            for name in _ancestors(leaf):
                self.groups.setdefault(name, []).append(leaf)


# The tier engine asks for sources on every evaluation: the paths of the last few
# rules objects are kept (a release's rules live as long as the release).
_SHAPES: dict[int, _Shape] = {}
_SHAPES_KEPT = 8


def _shape(rules: ProgramRules) -> _Shape:
    shape = _SHAPES.get(id(rules))
    if shape is None or shape.rules is not rules:
        if len(_SHAPES) >= _SHAPES_KEPT:
            # Worker threads may evict at the same moment: whichever wins is fine.
            with contextlib.suppress(StopIteration, KeyError, RuntimeError):
                _SHAPES.pop(next(iter(_SHAPES)))
        shape = _SHAPES[id(rules)] = _Shape(rules)
    return shape


def memo(rules: ProgramRules) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Return a cache for answers about this rules object (dropped with its paths)."""
    return _shape(rules).memo


def _leaves(rules: ProgramRules) -> list[str]:
    paths = [TOP_FIGURES[0], *(f"transition.{name}" for name in TRANSITION_FIGURES)]
    paths.append(TOP_FIGURES[1])
    for tier in rules.tiers:
        base = f"tiers.{tier.name}"
        paths += [f"{base}.{name}" for name in TIER_FIGURES]
        paths += [f"{base}.requirements.{name}" for name in REQUIREMENT_FIGURES]
    for country in rules.countries:
        base = f"countries.{country.code}"
        paths += [f"{base}.{name}" for name in COUNTRY_FIGURES]
        for mapping in COUNTRY_TIER_MAPS:
            paths += [f"{base}.{mapping}.{tier.name}" for tier in rules.tiers]
    return paths


def under(rules: ProgramRules, path: str) -> list[str]:
    """Return the figure paths a path names: itself if a figure, its figures if a group."""
    return list(_shape(rules).groups.get(path, ()))


def is_known(rules: ProgramRules, path: str) -> bool:
    """Whether ``path`` names a figure, a group of figures or a catalogue part."""
    return path in PARTS or bool(under(rules, path))


def _ancestors(path: str) -> list[str]:
    """``a.b.c`` -> ``a.b.c``, ``a.b``, ``a``: most specific first."""
    parts = path.split(".")
    return [".".join(parts[:end]) for end in range(len(parts), 0, -1)]


def _leaf_source(rules: ProgramRules, path: str) -> FigureSource:
    for name in _ancestors(path):
        if name in rules.figure_sources:
            return rules.figure_sources[name]
    return rules.default_source


def source_of(rules: ProgramRules, path: str) -> FigureSource:
    """Where a figure, group or part comes from (see ``ProgramRules.source_of``).

    Raises:
        KeyError: The path names no figure, group or part of these rules.

    """
    if path in PARTS:
        return rules.figure_sources.get(path, rules.default_source)
    figures = under(rules, path)
    if not figures:
        raise KeyError(f"no figure {path!r} in the tier rules (see docs/data.md)")
    return max((_leaf_source(rules, leaf) for leaf in figures), key=_UNCERTAINTY.__getitem__)


def sample_paths(rules: ProgramRules, paths: Iterable[str]) -> tuple[str, ...]:
    """Return the given paths whose source is sample, sorted, each once.

    A path these rules do not have (a country a partner record names but the rules
    lack) is skipped: it states nothing.
    """
    found = set()
    for path in paths:
        if is_known(rules, path) and source_of(rules, path) == "sample":
            found.add(path)
    return tuple(sorted(found))


# ------------------------------------------------------- values, for imports and tests


def value_of(rules: ProgramRules, path: str) -> Any:
    """Return a figure's value as JSON data (lists for benefits, None when absent).

    Raises:
        KeyError: ``path`` is not a figure path of these rules.

    """
    if path not in _shape(rules).groups or path not in _shape(rules).leaves:
        raise KeyError(f"no figure {path!r} in the tier rules (see docs/data.md)")
    data = rules.model_dump(mode="json")
    head, *rest = path.split(".")
    if head in TOP_FIGURES:
        return data[head]
    if head == "transition":
        return data["transition"][rest[0]]
    entries = {e["name" if head == "tiers" else "code"]: e for e in data[head]}
    entry = entries[rest[0]]
    for key in rest[1:-1]:
        entry = entry.get(key) or {}
    if head == "countries" and rest[1] in COUNTRY_TIER_MAPS:
        default: Any = None if rest[1] == "revenue_thresholds" else []
        return entry.get(rest[-1], default)
    return entry[rest[-1]]


def set_value(rules_content: dict[str, Any], path: str, value: Any) -> None:
    """Set one figure in a rules dict (``ProgramRules.model_dump(mode="json")``), in place.

    A country code the dict lacks gets a new entry (name and currency must then be
    set too, or validation says so). The caller validates the result with
    ``ProgramRules.model_validate``; nothing is checked here but the path's shape.

    Raises:
        KeyError: The path does not follow the grammar, or names an unknown tier.

    """
    head, *rest = path.split(".")
    if head in TOP_FIGURES and not rest:
        rules_content[head] = value
        return
    if head == "transition" and len(rest) == 1 and rest[0] in TRANSITION_FIGURES:
        rules_content.setdefault("transition", {})[rest[0]] = value
        return
    if head == "tiers" and len(rest) >= 2:
        tier = next((t for t in rules_content.get("tiers", []) if t.get("name") == rest[0]), None)
        if tier is None:
            raise KeyError(f"no tier {rest[0]!r} in {path!r}")
        if len(rest) == 2 and rest[1] in TIER_FIGURES:
            tier[rest[1]] = value
            return
        if len(rest) == 3 and rest[1] == "requirements" and rest[2] in REQUIREMENT_FIGURES:
            tier.setdefault("requirements", {})[rest[2]] = value
            return
    if head == "countries" and len(rest) >= 2:
        countries = rules_content.setdefault("countries", [])
        country = next((c for c in countries if c.get("code") == rest[0]), None)
        if country is None:
            country = {"code": rest[0]}
            countries.append(country)
        if len(rest) == 2 and rest[1] in COUNTRY_FIGURES:
            country[rest[1]] = value
            return
        if len(rest) == 3 and rest[1] in COUNTRY_TIER_MAPS:
            country.setdefault(rest[1], {})[rest[2]] = value
            return
    raise KeyError(f"{path!r} is not a figure path (see docs/data.md)")


def mark_sources(
    rules_content: dict[str, Any],
    paths: Iterable[str],
    source: Literal["published", "sample", "office"] = "office",
) -> None:
    """Record where figures (or parts: ``courses``) now come from, in a rules dict, in place.

    An office import calls this with the paths it set, so that their sample label
    goes. Entries for countries or tiers the rules no longer have should be dropped
    by the caller before validation (``drop_unknown_sources``).
    """
    sources = rules_content.setdefault("figure_sources", {})
    for path in paths:
        sources[path] = source


def drop_unknown_sources(rules_content: dict[str, Any]) -> list[str]:
    """Remove ``figure_sources`` entries naming no figure of the rules dict; return them."""
    from knowledge.models import ProgramRules

    sources = dict(rules_content.get("figure_sources") or {})
    bare = ProgramRules.model_validate({**rules_content, "figure_sources": {}})
    dropped = [path for path in sources if not is_known(bare, path)]
    rules_content["figure_sources"] = {
        path: cast(str, value) for path, value in sources.items() if path not in dropped
    }
    return dropped
