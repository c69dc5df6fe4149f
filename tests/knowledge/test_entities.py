"""Entity recognition over the real catalogue: names, aliases, ids, typos, short forms."""

from __future__ import annotations

import pytest

from knowledge.entities import extract_entities


def found(text: str) -> list[tuple[str, str]]:
    return [(match.label, match.id) for match in extract_entities(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what does the Security Operations competency require?", [("competency", "C-SECURITY")]),
        ("what does the sec competency require?", [("competency", "C-SECURITY")]),
        ("anything on k8s?", [("competency", "C-CONTAINERS")]),
        ("tell me about the client satisfacton competency", [("competency", "C-CLIENT-SAT")]),
        ("what about C-STORAGE", [("competency", "C-STORAGE")]),
        ("how long is U-SEC-101?", [("course", "U-SEC-101")]),
        ("is Security Operations Fundamentals voucher eligible", [("course", "U-SEC-101")]),
        ("what do platnum partners get", [("tier", "Platinum")]),
        ("Gold or Silver?", [("tier", "Gold"), ("tier", "Silver")]),
        ("benefits in germny", [("country", "DE")]),
        ("revenue threshold in the UK", [("country", "GB")]),
        ("Silver threshold in Japan", [("tier", "Silver"), ("country", "JP")]),
        ("we are a Registered partner in DE", [("tier", "Registered"), ("country", "DE")]),
    ],
)
def test_finds_catalogue_entities(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I registered for a class last week",  # everyday "registered" is not the tier
        "our IT department asked",  # "IT" is not Italy
        "how do I bake sourdough bread",
        "which one should I take first",
    ],
)
def test_ordinary_words_are_not_entities(text: str) -> None:
    assert found(text) == []


def test_matches_carry_canonical_values_and_offsets() -> None:
    text = "what do platnum partners get in germny?"
    tier, country = extract_entities(text)
    assert (tier.value, text[tier.start : tier.end]) == ("Platinum", "platnum")
    assert (country.value, country.id, text[country.start : country.end]) == (
        "Germany",
        "DE",
        "germny",
    )


def test_typo_matches_are_marked_fuzzy() -> None:
    exact, typo = extract_entities("Platinum or platnum")
    assert (exact.fuzzy, typo.fuzzy) == (False, True)


def test_tier_match_covers_the_tier_word_only() -> None:
    text = "we are a registered partner"
    (match,) = extract_entities(text)
    assert text[match.start : match.end] == "registered"


def test_short_form_value_is_the_competency_name() -> None:
    (match,) = extract_entities("sec competency")
    assert (match.value, match.id, match.start, match.end) == (
        "Security Operations",
        "C-SECURITY",
        0,
        3,
    )
