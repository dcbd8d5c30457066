"""Tests for kernels.normalize: equal answers share a key, different ones do not."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels import _braces, latex, normalize, numeric
from kernels.normalize import MAX_KEY_CHARS, answer_key, normalize_answer

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


class _RecordedPattern:
    """A compiled pattern that appends ``(pattern, method, length of its string)`` to a trace."""

    def __init__(self, pattern: re.Pattern[str], trace: list[tuple[str, str, int]]) -> None:
        self._pattern, self._trace = pattern, trace

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._pattern, name)
        if not callable(method):
            return method

        def recorded(*args: Any, **kwargs: Any) -> Any:
            at = 1 if name in ("sub", "subn") else 0  # sub(repl, string), the others (string, ...)
            string = args[at] if len(args) > at else kwargs.get("string", "")
            self._trace.append((self._pattern.pattern, name, len(string)))
            return method(*args, **kwargs)

        return recorded


@pytest.fixture
def regex_trace(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int]]:
    """Every call on a module-level pattern of the normalization code, in order."""
    trace: list[tuple[str, str, int]] = []
    for module in (normalize, latex, numeric, _braces):
        for name, value in list(vars(module).items()):
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, name, _RecordedPattern(value, trace))
    return trace


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ("^" + " " * 100_000, "^"),
        ("{" * 100_000, ""),
        ("1" * 100_000, "1" * MAX_KEY_CHARS),
        ("\\frac" * 20_000, "\\frac" * (MAX_KEY_CHARS // 5)),
        ("x = " * 30_000, "x=" * (MAX_KEY_CHARS // 4)),
        ("answer is " * 20_000, "answer is"),
        ("\\text{" * 30_000, ("\\text{" * 30_000)[:MAX_KEY_CHARS]),
        ("5 " + "cm " * 30_000, ("5 " + "cm " * 30_000)[:MAX_KEY_CHARS].rstrip()),
    ],
    ids=["caret-spaces", "braces", "digits", "fracs", "assignments", "prefixes", "text", "units"],
)
def test_adversarial_answers_cost_what_their_first_max_key_chars_cost(
    answer: str, key: str, regex_trace: list[tuple[str, str, int]]
) -> None:
    """Long pathological answers are cut before any regex sees them, checked without a clock.

    A wall-clock bound fails on a loaded machine and passes on a fast one whatever the code
    does. Instead: the exact key of each input, and the regex work recorded call by call: the
    100 KB answer makes exactly the same regex calls, on strings of the same lengths, as its
    first ``MAX_KEY_CHARS`` characters, so its cost does not grow with its length; and no call
    sees more than ``2 * MAX_KEY_CHARS`` characters (LaTeX rewrites such as ``\\frac12`` ->
    ``\\frac{1}{2}`` may lengthen the cut text a little). Normalizing before cutting, or a regex
    run on the whole answer, breaks the first check.
    """
    assert normalize_answer(answer) == key
    work_on_answer = list(regex_trace)
    regex_trace.clear()
    assert normalize_answer(answer[:MAX_KEY_CHARS]) == key
    assert work_on_answer == regex_trace
    assert work_on_answer and max(length for *_, length in work_on_answer) <= 2 * MAX_KEY_CHARS


def test_cost_check_fails_when_the_answer_is_not_cut(
    regex_trace: list[tuple[str, str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above is not vacuous: without the cut, the recorded work differs."""
    monkeypatch.setattr(normalize, "MAX_KEY_CHARS", 10**9)
    answer = "5 " + "cm " * 30_000
    normalize_answer(answer)
    work_on_answer = list(regex_trace)
    regex_trace.clear()
    normalize_answer(answer[:MAX_KEY_CHARS])
    assert work_on_answer != regex_trace
    assert max(length for *_, length in work_on_answer) > 2 * MAX_KEY_CHARS


@PROPERTY
@given(st.text(max_size=300))
def test_never_raises_on_arbitrary_text(answer: str) -> None:
    assert isinstance(normalize_answer(answer), str)
