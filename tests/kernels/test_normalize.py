"""Tests for kernels.normalize: equal answers share a key, different ones do not."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.normalize import answer_key, normalize_answer

# Property tests: enough examples to find edge cases, no example database on disk.
PROPERTY = settings(max_examples=200, deadline=None, database=None)


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["1,000", "1000", "1{,}000", "$1,000$", "1000.00", "\\boxed{1000}"], "1000"),
        (["0.50", ".5", "1/2", "\\frac{1}{2}", "\\dfrac12", "\\tfrac{1}{2}", "$\\frac12$"], "1/2"),
        (["-0", "0", "0.0", "+0"], "0"),
        (["5.00", "$5", "\\$5", "5 dollars", "x = 5", "5.", "The answer is 5"], "5"),
        (["-\\frac{1}{2}", "\\frac{-1}{2}", "-0.5", "\u22121/2"], "-1/2"),
        (["12 cm", "12\\,\\text{cm}", "12 \\mathrm{cm}"], "12"),
        (["5 apples", "\\text{5 apples}"], "5"),
        (["30^\\circ", "30^{\\circ}", "30°", "30 degrees"], "30"),
        (["\\left( 1, 2 \\right)", "(1,2)", "( 1 , 2 )"], "(1,2)"),
        (["(B)", "B.", "B)", "b", "answer is b", "Answer: (B)", "\\text{(B)}", "option B"], "B"),
        (["Paris", "  paris. ", "\\text{Paris}", "PARIS"], "paris"),
    ],
)
def test_spellings_of_one_answer_share_a_key(spellings: list[str], key: str) -> None:
    assert {normalize_answer(s) for s in spellings} == {key}


def test_percent_stays_distinct_from_its_fraction_by_default() -> None:
    assert normalize_answer("50%") == normalize_answer("50\\%") == "50%"
    assert normalize_answer("50%") != normalize_answer("0.5")


def test_percent_as_fraction_divides_by_100() -> None:
    assert normalize_answer("50%", percent_as_fraction=True) == normalize_answer("0.5") == "1/2"


def test_inexact_decimal_is_not_its_nearby_fraction() -> None:
    assert normalize_answer("0.333") != normalize_answer("1/3")


def test_latex_keeps_case_of_commands() -> None:
    assert normalize_answer("\\Delta") != normalize_answer("\\delta")


def test_latex_spacing_does_not_change_the_key() -> None:
    assert normalize_answer("\\frac{\\sqrt{3}}{2}") == normalize_answer("\\frac {\\sqrt3} {2}")


def test_assignment_with_several_equals_is_kept() -> None:
    assert normalize_answer("x=2, y=3") == "x=2,y=3"


@pytest.mark.parametrize("empty", [None, "", "  ", ".", "$$", "\\boxed{}", "()", 7])
def test_missing_answers_get_the_empty_key(empty: object) -> None:
    assert normalize_answer(empty) == ""  # type: ignore[arg-type]


def test_answer_key_extracts_then_normalizes() -> None:
    assert answer_key("<think>no</think>So it is \\boxed{\\dfrac{2}{4}}.") == "1/2"


def test_answer_key_of_response_without_answer_is_empty() -> None:
    assert answer_key("I am not sure.") == ""


def test_answer_key_passes_percent_option() -> None:
    assert answer_key("Answer: 25%", percent_as_fraction=True) == "1/4"


def test_code_answers_ignore_trailing_space_and_blank_lines() -> None:
    one = answer_key("```python\ndef f():\n    return 1   \n\n```", kind="code")
    two = answer_key("Here:\n```\n  def f():\n      return 1\n```", kind="code")
    assert one == two == "def f():\n    return 1"


def test_code_answers_keep_case() -> None:
    assert answer_key("```\nX = 1\n```", kind="code") != answer_key("```\nx = 1\n```", kind="code")


@PROPERTY
@given(st.fractions(max_denominator=1000))
def test_every_spelling_of_a_rational_maps_to_one_key(value: object) -> None:
    from fractions import Fraction

    assert isinstance(value, Fraction)
    sign = "-" if value < 0 else ""
    p, q = abs(value.numerator), value.denominator
    spellings = {f"{value.numerator}/{q}", f"{sign}\\frac{{{p}}}{{{q}}}", f"{sign}{2 * p}/{2 * q}"}
    assert len({normalize_answer(s) for s in spellings}) == 1


_WRAPPERS = ["{}", "${}$", "\\boxed{{{}}}", "\\text{{{}}}", "x = {}", "The answer is {}.", " {} "]
_CORES = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.decimals(-1000, 1000, places=3, allow_nan=False).map(str),
    st.fractions(max_denominator=50).map(str),
    st.sampled_from(["(A)", "b.", "C)", "Paris", "New York", "50%", "12 cm", "\\frac{1}{2}", "(1, 2)"]),
)


@PROPERTY
@given(_CORES, st.sampled_from(_WRAPPERS))
def test_keys_are_fixed_points_for_realistic_answers(core: str, wrapper: str) -> None:
    key = normalize_answer(wrapper.format(core))
    assert key == normalize_answer(core)
    assert normalize_answer(key) == key


@pytest.mark.parametrize(
    "answer",
    [
        "^" + " " * 100_000,
        "{" * 100_000,
        "1" * 100_000,
        "\\frac" * 20_000,
        "x = " * 30_000,
        "answer is " * 20_000,
        "\\text{" * 30_000,
        "5 " + "cm " * 30_000,
    ],
    ids=["caret-spaces", "braces", "digits", "fracs", "assignments", "prefixes", "text", "units"],
)
def test_adversarial_answers_normalize_quickly(answer: str) -> None:
    start = time.perf_counter()
    normalize_answer(answer)
    assert time.perf_counter() - start < 1.0


@PROPERTY
@given(st.text(max_size=300))
def test_never_raises_on_arbitrary_text(answer: str) -> None:
    assert isinstance(normalize_answer(answer), str)
