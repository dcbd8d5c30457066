"""Tests for kernels.numeric: the canonical number key."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kernels.numeric import MAX_NUMBER_CHARS, canonical_number, format_fraction, parse_number


def test_integers_print_without_denominator() -> None:
    assert format_fraction(Fraction(6, 3)) == "2"


def test_non_integers_print_as_reduced_fraction_with_sign_on_numerator() -> None:
    assert format_fraction(Fraction(6, -8)) == "-3/4"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e3", Fraction(1000)),
        ("2.5E-1", Fraction(1, 4)),
        ("1.5 \\times 10^{3}", Fraction(1500)),
        ("-$3.50", Fraction(-7, 2)),
        ("$-3.50", Fraction(-7, 2)),
        ("--2", Fraction(2)),
        ("0.75/1.5", Fraction(1, 2)),
    ],
)
def test_accepted_spellings(text: str, value: Fraction) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1/0", "\\frac{1}{0}", "1,2", "1_000", "abc", "", "2x", "1/2/3"])
def test_non_numbers_are_none(text: str) -> None:
    assert parse_number(text) is None


def test_overlong_digit_strings_are_not_numbers() -> None:
    assert parse_number("9" * (MAX_NUMBER_CHARS + 1)) is None


def test_percent_key_uses_the_number_key() -> None:
    assert canonical_number("12.5%") == "25/2%"


def test_percent_word_counts_as_percent_sign() -> None:
    assert canonical_number("50 percent") == "50%"


def test_unit_words_are_dropped_but_math_words_are_not() -> None:
    assert canonical_number("60 miles per hour") == "60"
    assert canonical_number("2 pi") is None
