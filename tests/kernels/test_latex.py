"""Tests for kernels.latex: wrappers go, values stay."""

from __future__ import annotations

import pytest

from kernels.latex import simplify_latex, strip_math_delimiters


@pytest.mark.parametrize("wrapped", ["$x$", "$$x$$", "\\(x\\)", "\\[x\\]", " $x$ "])
def test_math_delimiters_are_removed(wrapped: str) -> None:
    assert strip_math_delimiters(wrapped) == "x"


def test_lone_dollar_is_not_a_delimiter() -> None:
    assert strip_math_delimiters("$5") == "$5"


def test_nested_text_commands_are_unwrapped() -> None:
    assert simplify_latex("\\text{a \\textbf{b}}") == "a  b"


def test_unbalanced_text_command_is_left_alone() -> None:
    assert simplify_latex("\\text{a") == "\\text{a"


def test_shorthand_fraction_and_root_get_braces() -> None:
    assert simplify_latex("\\dfrac12 + \\sqrt3") == "\\frac{1}{2} + \\sqrt{3}"


def test_sizing_and_spacing_commands_are_removed() -> None:
    assert simplify_latex("\\left[ 1,\\!2 \\right]") == "[ 1,2 ]"


def test_unicode_minus_becomes_ascii() -> None:
    assert simplify_latex("\u22123") == "-3"
