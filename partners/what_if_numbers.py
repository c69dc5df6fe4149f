"""Numbers as partners type them: "two", "3", "8.6", "600,000", "600k", "€600k", "1.2 million".

Pure functions over text, used by ``partners.what_if_parse``. Money is read with the
separators people use: "600,000" and "600.000" (thousands), "1.2 million", "1,5 Mio";
a score with a decimal point or comma ("8.6", "8,6").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Counts written as words. "a"/"an" are not here: "a person" is the parser's business.
NUMBER_WORDS = {
    "one": 1, "another": 1, "two": 2, "couple": 2,
    "pair": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "dozen": 12,
}  # fmt: skip
SCALES = {
    "k": 1_000, "thousand": 1_000, "m": 1_000_000, "mn": 1_000_000, "mio": 1_000_000,
    "million": 1_000_000, "millions": 1_000_000, "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}  # fmt: skip
CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR"}
CURRENCY_CODES = "EUR|USD|GBP|JPY|INR|AUD|CAD|CHF|BRL|ZAR|SEK|NOK|DKK|PLN|MXN|SGD|CNY|KRW|NZD|AED"
_NUMBER = r"\d+(?:[.,']\d+)*"
_AMOUNT = re.compile(
    rf"(?:(?P<sign>[€$£¥₹])\s*)?(?:(?P<code_before>\b(?:{CURRENCY_CODES})\b)\s*)?"
    rf"(?P<number>(?<![\w.,]){_NUMBER})"
    rf"(?:\s*(?P<scale>k|m|mn|mio|million|millions|thousand|bn|billion)\b)?"
    rf"(?:\s*(?P<code_after>\b(?:{CURRENCY_CODES})\b|euros?|dollars?|pounds?))?",
    re.IGNORECASE,
)
_WORD_NUMBER = re.compile(
    r"\b(?P<word>" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_NAMED_AMOUNT = re.compile(
    r"\b(?P<word>a|an|one|two|three|half a)\s+(?P<scale>million|thousand|billion)\b"
    rf"(?:\s*(?P<code>\b(?:{CURRENCY_CODES})\b|euros?|dollars?|pounds?))?",
    re.IGNORECASE,
)
_HALF_POINT = re.compile(r"\bhalf a point\b", re.IGNORECASE)
_PERCENT = re.compile(r"(?P<number>\d+(?:[.,]\d+)?)\s*(?:%|percent\b|per cent\b|pct\b)", re.I)
YEAR = re.compile(r"(?:19|20)\d\d")
WORD_CURRENCIES = {"euro": "EUR", "euros": "EUR", "dollar": "USD", "dollars": "USD"}
WORD_CURRENCIES |= {"pound": "GBP", "pounds": "GBP"}


@dataclass(frozen=True)
class Amount:
    """A number found in a text.

    Attributes:
        value: The number, scales applied ("600k" -> 600000).
        start: Where it starts in the text.
        end: Where it ends.
        currency: A currency it was written with ("€", "EUR", "euros"), as an ISO code.
        money: Whether it looks like money (a currency, a scale word or thousands).
        integer: Whether it was written without a decimal part.

    """

    value: float
    start: int
    end: int
    currency: str | None = None
    money: bool = False
    integer: bool = True


def read_number(raw: str, *, money: bool) -> tuple[float, bool]:
    """Read digits with separators; return the value and whether it is whole.

    ``money`` decides the ambiguous "1.200": thousands for money, a decimal otherwise.
    A comma followed by exactly three digits is a thousands separator ("600,000");
    "8,6" is a decimal comma.
    """
    raw = raw.replace("'", ",") if "'" in raw else raw
    if "," in raw and "." in raw:
        decimal = "." if raw.rindex(".") > raw.rindex(",") else ","
        whole, _, fraction = raw.rpartition(decimal)
        digits = re.sub(r"[.,]", "", whole)
        return float(f"{digits}.{fraction}"), False
    for separator in (",", "."):
        if separator not in raw:
            continue
        groups = raw.split(separator)
        thousands = all(len(group) == 3 for group in groups[1:]) and len(groups[0]) <= 3
        if thousands and (separator == "," or money or len(groups) > 2):
            return float("".join(groups)), True
        if len(groups) == 2:
            return float(f"{groups[0]}.{groups[1]}"), False
        return float("".join(groups)), True
    return float(raw), True


def amounts(text: str) -> list[Amount]:
    """Every number written with digits or as words ("two", "half a million")."""
    found: list[Amount] = []
    taken: set[int] = set()
    for match in _NAMED_AMOUNT.finditer(text):
        word = match["word"].lower()
        base = 0.5 if "half" in word else float(NUMBER_WORDS.get(word, 1))
        value = base * SCALES[match["scale"].lower()]
        currency = _currency_code(match["code"])
        found.append(Amount(value, *match.span(), currency, True, value.is_integer()))
        taken.update(range(match.start(), match.end()))
    for match in _HALF_POINT.finditer(text):  # "by half a point": a score's 0.5
        found.append(Amount(0.5, match.start(), match.end(), integer=False))
        taken.update(range(match.start(), match.end()))
    for match in _AMOUNT.finditer(text):
        if match.start("number") in taken:
            continue
        scale = (match["scale"] or "").lower()
        code = match["code_before"] or match["code_after"]
        currency = CURRENCY_SIGNS.get(match["sign"] or "") or _currency_code(code)
        raw = match["number"]
        if YEAR.fullmatch(raw) and not (scale or currency):
            continue  # "revenue in 2026": a year, not an amount
        looks_like_money = bool(scale or currency) or bool(re.search(r"\d[.,']\d{3}\b", raw))
        value, integer = read_number(raw, money=looks_like_money)
        value *= SCALES.get(scale, 1)
        found.append(
            Amount(
                value,
                match.start(),
                match.end(),
                currency,
                looks_like_money or value >= 1_000,
                integer or value.is_integer(),
            )
        )
        taken.update(range(match.start(), match.end()))
    for match in _WORD_NUMBER.finditer(text):
        if match.start() in taken:
            continue
        found.append(Amount(float(NUMBER_WORDS[match["word"].lower()]), *match.span()))
    return sorted(found, key=lambda amount: amount.start)


def percentages(text: str) -> list[tuple[float, int, int]]:
    """Every percentage ("20%", "20 percent"): value, start, end."""
    return [
        (read_number(m["number"], money=False)[0], m.start(), m.end())
        for m in _PERCENT.finditer(text)
    ]


def _currency_code(code: str | None) -> str | None:
    if not code:
        return None
    return WORD_CURRENCIES.get(code.lower(), code.upper())
