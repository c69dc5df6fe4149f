"""Entity recognition over the real catalogue: names, aliases, ids, typos, short forms."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.entities import extract_entities, recognizer
from knowledge.entity_tagger import FUZZY_CUTOFF, CloseMatcher


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


FUZZY_KEYS = ["platinum", "germany", "security operations", "hybrid cloud", "kubernets", "ab"]


@settings(max_examples=400, deadline=None)
@given(
    word=st.text(alphabet="abcegilmnoprstuy -", min_size=1, max_size=22),
    keys=st.lists(st.text(alphabet="abcegilmnoprstuy", min_size=1, max_size=12), max_size=8),
)
def test_close_matches_are_difflibs(word: str, keys: list[str]) -> None:
    # The tagger's typo search screens all names at once; what it finds is difflib's.
    for candidates in (FUZZY_KEYS, keys, FUZZY_KEYS + keys):
        expected = difflib.get_close_matches(word, candidates, n=1, cutoff=FUZZY_CUTOFF)
        found = CloseMatcher(candidates, FUZZY_CUTOFF).closest(word)
        assert found == (expected[0] if expected else None), (word, candidates)


def test_close_matches_of_the_catalogues_names_are_difflibs() -> None:
    keys = sorted({term.value.casefold() for term in recognizer().vocabulary.terms})
    matcher = CloseMatcher(keys, FUZZY_CUTOFF)
    words = ["platnum", "germny", "securty operations", "hybird cloud", "quantum", "ab"]
    for word in words + [key[:-1] for key in keys] + [key[1:] + "x" for key in keys]:
        expected = difflib.get_close_matches(word, keys, n=1, cutoff=FUZZY_CUTOFF)
        assert matcher.closest(word) == (expected[0] if expected else None), word


def test_a_tie_goes_to_the_key_difflib_picks() -> None:
    keys = ["abcdefh", "abcdefi", "abcdefj"]
    expected = difflib.get_close_matches("abcdefg", keys, n=1, cutoff=FUZZY_CUTOFF)
    assert expected == ["abcdefj"]
    for order in (keys, keys[::-1]):
        assert CloseMatcher(order, FUZZY_CUTOFF).closest("abcdefg") == "abcdefj"
