"""Load, validate and index the program's source files in ``knowledge/data/``.

``load_catalogue`` reads the four YAML files, validates every entry against the
models in ``knowledge/models.py`` and then checks the references between files
(``knowledge/catalogue_checks.py``). Anything wrong raises ``CatalogueError`` with
messages that name the file, the entry and the field, because the people who edit
these files are a program office, not developers. ``documents`` turns a catalogue
into the units the search index embeds.

The same catalogue travels as JSON-able *content* (``catalogue_content``,
``catalogue_from_content``): imports edit it and catalogue releases store it
(``partners.releases``); it is validated exactly like the files.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from knowledge import catalogue_checks, document_text
from knowledge.models import Competency, Country, Course, Document, Fact, ProgramRules, Tier

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"

COMPETENCIES_FILE = "competencies.yaml"
COURSES_FILE = "courses.yaml"
TIERS_FILE = "tiers.yaml"
FACTS_FILE = "facts.yaml"
# The parts of catalogue content (``catalogue_content``), one per file.
CONTENT_PARTS = ("competencies", "courses", "rules", "facts")

MAX_PROBLEMS_SHOWN = 25

# libyaml's safe loader when installed: several times faster than the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ModelT = TypeVar("ModelT", bound=BaseModel)


class CatalogueError(ValueError):
    """The catalogue files are missing, malformed or inconsistent.

    Attributes:
        problems: One line per problem, each naming file, entry and field.

    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        hidden = len(self.problems) - len(shown)
        lines = shown + ([f"... and {hidden} more problems"] if hidden > 0 else [])
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Catalogue:
    """The validated program catalogue with lookups by id.

    Attributes:
        competencies: Competencies in file order.
        courses: University courses in file order.
        rules: Tier rules, countries and the transition window (``tiers.yaml``).
        facts: Program facts and rules written as answerable text.
        competency_by_id: Competency per id.
        course_by_id: Course per id.
        fact_by_id: Fact per id.
        tier_by_name: Tier per name (``Registered`` ... ``Platinum``).
        country_by_code: Country per ISO code (``DE``).
        courses_by_competency: Courses counting toward each competency id.
        competency_by_alias: Competency per lower-cased id, name or alias.

    """

    competencies: tuple[Competency, ...]
    courses: tuple[Course, ...]
    rules: ProgramRules
    facts: tuple[Fact, ...]
    competency_by_id: Mapping[str, Competency] = field(repr=False)
    course_by_id: Mapping[str, Course] = field(repr=False)
    fact_by_id: Mapping[str, Fact] = field(repr=False)
    tier_by_name: Mapping[str, Tier] = field(repr=False)
    country_by_code: Mapping[str, Country] = field(repr=False)
    courses_by_competency: Mapping[str, tuple[Course, ...]] = field(repr=False)
    competency_by_alias: Mapping[str, Competency] = field(repr=False)

    @property
    def client_satisfaction(self) -> Competency:
        """The competency every partner needs first (``tiers.yaml`` names it)."""
        return self.competency_by_id[self.rules.client_satisfaction_competency]

    def find_competency(self, name: str) -> Competency | None:
        """Return the competency a partner means by an id, name or alias, if any.

        Args:
            name: What the partner typed, e.g. ``"sec"`` or ``"Security Operations"``.

        Returns:
            The competency, or None when nothing matches exactly (case-insensitive).

        """
        return self.competency_by_alias.get(" ".join(name.lower().split()))

    def benefits(self, tier: str, country_code: str | None = None) -> list[str]:
        """Benefits of a tier, adjusted for a country's extra and excluded benefits.

        Args:
            tier: Tier name, e.g. ``"Gold"``.
            country_code: ISO code such as ``"DE"``; None gives the standard list.

        Returns:
            The benefit texts in file order, country extras last.

        Raises:
            KeyError: The tier or country is not in ``tiers.yaml``.

        """
        standard = list(self.tier_by_name[tier].benefits)
        if country_code is None:
            return standard
        country = self.country_by_code[country_code]
        excluded = set(country.excluded_benefits.get(tier, []))  # type: ignore[call-overload]
        extra = country.extra_benefits.get(tier, [])  # type: ignore[call-overload]
        return [b for b in standard if b not in excluded] + [b for b in extra if b not in standard]


def load_catalogue(data_dir: Path | None = None) -> Catalogue:
    """Load and validate the catalogue; the default directory is read only once.

    Args:
        data_dir: Directory holding the four YAML files; None means ``knowledge/data``.

    Returns:
        The validated catalogue.

    Raises:
        CatalogueError: A file is missing or malformed, or references do not match.

    """
    if data_dir is None or Path(data_dir).resolve() == DATA_DIR:
        return _load_default()
    return _load(Path(data_dir))


@functools.cache
def _load_default() -> Catalogue:
    return _load(DATA_DIR)


def _load(data_dir: Path) -> Catalogue:
    problems: list[str] = []
    competencies = _load_entries(data_dir / COMPETENCIES_FILE, Competency, problems)
    courses = _load_entries(data_dir / COURSES_FILE, Course, problems)
    facts = _load_entries(data_dir / FACTS_FILE, Fact, problems)
    rules = _load_rules(data_dir / TIERS_FILE, problems)
    files = catalogue_checks.FileNames(
        competencies=_display(data_dir / COMPETENCIES_FILE),
        courses=_display(data_dir / COURSES_FILE),
        tiers=_display(data_dir / TIERS_FILE),
        facts=_display(data_dir / FACTS_FILE),
    )
    return _checked(competencies, courses, rules, facts, files, problems)


def _checked(
    competencies: list[Competency],
    courses: list[Course],
    rules: ProgramRules | None,
    facts: list[Fact],
    files: catalogue_checks.FileNames,
    problems: list[str],
) -> Catalogue:
    """Cross-check validated entries and index them; raise with every problem found."""
    if problems or rules is None:
        raise CatalogueError(problems)
    problems += catalogue_checks.check_all(competencies, courses, rules, facts, files=files)
    if problems:
        raise CatalogueError(problems)
    return _index(competencies, courses, rules, facts)


def _index(
    competencies: list[Competency],
    courses: list[Course],
    rules: ProgramRules,
    facts: list[Fact],
) -> Catalogue:
    by_competency: dict[str, list[Course]] = {c.id: [] for c in competencies}
    for course in courses:
        for competency_id in course.competencies:
            by_competency[competency_id].append(course)
    by_alias: dict[str, Competency] = {}
    for competency in competencies:
        for name in (competency.id, competency.name, *competency.aliases):
            by_alias.setdefault(" ".join(name.lower().split()), competency)
    return Catalogue(
        competencies=tuple(competencies),
        courses=tuple(courses),
        rules=rules,
        facts=tuple(facts),
        competency_by_id=MappingProxyType({c.id: c for c in competencies}),
        course_by_id=MappingProxyType({c.id: c for c in courses}),
        fact_by_id=MappingProxyType({f.id: f for f in facts}),
        tier_by_name=MappingProxyType({t.name: t for t in rules.tiers}),
        country_by_code=MappingProxyType({c.code: c for c in rules.countries}),
        courses_by_competency=MappingProxyType({k: tuple(v) for k, v in by_competency.items()}),
        competency_by_alias=MappingProxyType(by_alias),
    )


def catalogue_content(catalogue: Catalogue) -> dict[str, Any]:
    """Return the catalogue as JSON-able content (what a release stores, an import edits).

    Keys are ``CONTENT_PARTS``; each entry is its model's JSON form with every field,
    so ``catalogue_from_content(catalogue_content(c))`` gives back the same catalogue.
    """
    return {
        "competencies": [item.model_dump(mode="json") for item in catalogue.competencies],
        "courses": [item.model_dump(mode="json") for item in catalogue.courses],
        "rules": catalogue.rules.model_dump(mode="json"),
        "facts": [item.model_dump(mode="json") for item in catalogue.facts],
    }


def catalogue_from_content(content: Mapping[str, Any]) -> Catalogue:
    """Validate content exactly as the files are validated and index it.

    Args:
        content: ``competencies``, ``courses`` and ``facts`` (lists of entries) and
            ``rules`` (the tier rules), as ``catalogue_content`` returns them.

    Raises:
        CatalogueError: Messages name the part (``courses``), the entry and the field.

    """
    if not isinstance(content, Mapping):
        raise CatalogueError([f"content: expected a mapping, found {type(content).__name__}"])
    problems = [f"content: missing part '{part}'" for part in CONTENT_PARTS if part not in content]
    problems += [f"content: unknown part '{part}'" for part in content if part not in CONTENT_PARTS]
    if problems:
        raise CatalogueError(problems)
    competencies = _validate_entries("competencies", content["competencies"], Competency, problems)
    courses = _validate_entries("courses", content["courses"], Course, problems)
    facts = _validate_entries("facts", content["facts"], Fact, problems)
    rules = _validate_rules("rules", content["rules"], problems)
    files = catalogue_checks.FileNames(
        competencies="competencies", courses="courses", tiers="rules", facts="facts"
    )
    return _checked(competencies, courses, rules, facts, files, problems)


def documents(catalogue: Catalogue) -> list[Document]:
    """Turn the catalogue into index documents: competencies, courses, rules, facts.

    Args:
        catalogue: A validated catalogue.

    Returns:
        One document per competency, course and fact, plus rule documents from
        ``tiers.yaml``: one per tier, one per country and one for the transition.

    """
    docs = [
        document_text.competency_document(c, catalogue.course_by_id, catalogue.rules)
        for c in catalogue.competencies
    ]
    docs += [
        document_text.course_document(
            c, catalogue.course_by_id, catalogue.competency_by_id, catalogue.rules
        )
        for c in catalogue.courses
    ]
    docs += [document_text.tier_document(t, catalogue.rules) for t in catalogue.rules.tiers]
    docs += [document_text.country_document(c, catalogue.rules) for c in catalogue.rules.countries]
    docs.append(document_text.transition_document(catalogue.rules, catalogue.competencies))
    docs += [document_text.fact_document(f) for f in catalogue.facts]
    return docs


# --------------------------------------------------------------------- reading files


def _display(path: Path) -> str:
    """Name a file as the person editing it knows it (relative to the repo root)."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _read_yaml(path: Path, problems: list[str]) -> Any:
    """Parse a YAML file; on failure record why and return None."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{_display(path)}: file not found")
        return None
    try:
        raw = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader (no Python objects)
    except yaml.YAMLError as exc:
        problems.append(f"{_display(path)}: not valid YAML: {' '.join(str(exc).split())}")
        return None
    if raw is None:
        problems.append(f"{_display(path)}: the file is empty")
    return raw


def _field_name(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc) if loc else "(the entry itself)"


def _first_error(exc: ValidationError) -> tuple[tuple[int | str, ...], str]:
    error = exc.errors()[0]
    return tuple(error["loc"]), error["msg"]


def _load_entries(path: Path, model: type[ModelT], problems: list[str]) -> list[ModelT]:
    """Validate a file holding a list of entries; report one problem per bad entry."""
    raw = _read_yaml(path, problems)
    return [] if raw is None else _validate_entries(_display(path), raw, model, problems)


def _validate_entries(
    part: str, raw: Any, model: type[ModelT], problems: list[str]
) -> list[ModelT]:
    """Validate a list of entries named ``part`` (a file, or a content key)."""
    if not isinstance(raw, list):
        problems.append(f"{part}: expected a list of entries, found {type(raw).__name__}")
        return []
    entries: list[ModelT] = []
    for index, item in enumerate(raw):
        label = item.get("id") if isinstance(item, dict) else None
        entry = label if isinstance(label, str) and label else f"#{index + 1}"
        try:
            entries.append(model.model_validate(item))
        except ValidationError as exc:
            loc, msg = _first_error(exc)
            more = len(exc.errors()) - 1
            suffix = f" (and {more} more in this entry)" if more else ""
            problems.append(f"{part}: entry {entry}: field '{_field_name(loc)}': {msg}{suffix}")
    return entries


def _load_rules(path: Path, problems: list[str]) -> ProgramRules | None:
    """Validate ``tiers.yaml``; entries are named by tier name or country code."""
    raw = _read_yaml(path, problems)
    return None if raw is None else _validate_rules(_display(path), raw, problems)


def _validate_rules(part: str, raw: Any, problems: list[str]) -> ProgramRules | None:
    """Validate the tier rules named ``part`` (a file, or a content key)."""
    if not isinstance(raw, dict):
        problems.append(f"{part}: expected a mapping, found {type(raw).__name__}")
        return None
    try:
        return ProgramRules.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            entry, loc = _rules_entry(raw, tuple(error["loc"]))
            problems.append(f"{part}: entry {entry}: field '{_field_name(loc)}': {error['msg']}")
        return None


def _rules_entry(
    raw: dict[str, Any], loc: tuple[int | str, ...]
) -> tuple[str, tuple[int | str, ...]]:
    """Split an error location in ``tiers.yaml`` into the entry and the field in it."""
    if len(loc) >= 2 and loc[0] in ("tiers", "countries") and isinstance(loc[1], int):
        items = raw.get(str(loc[0]))
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = item.get("name" if loc[0] == "tiers" else "code") if isinstance(item, dict) else None
        entry = str(name) if name else f"{loc[0]}[{loc[1]}]"
        return entry, loc[2:]
    if len(loc) >= 2:
        return str(loc[0]), loc[1:]
    return "(top level)", loc
