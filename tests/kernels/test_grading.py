"""Tests for kernels.grading: keys first, math_verify second, never an exception."""

from __future__ import annotations

import threading

import pytest

from kernels import grading
from kernels.grading import MATH_VERIFY_MAX_CHARS, grade_response, is_correct


def test_equal_keys_are_correct_without_math_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grading, "_math_verify", lambda: None)
    assert is_correct("$\\dfrac{1}{2}$", "0.5")


def test_different_keys_are_wrong_without_math_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grading, "_math_verify", lambda: None)
    assert not is_correct("(x+1)^2", "x^2+2x+1")


def test_missing_candidate_is_never_correct() -> None:
    assert not is_correct(None, "")
    assert not is_correct("", "1")


def test_math_verify_errors_count_as_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    class Exploding:
        @staticmethod
        def parse(text: str, **_: object) -> list[str]:
            raise RecursionError(text)

    monkeypatch.setattr(grading, "_math_verify", lambda: Exploding)
    assert not is_correct("x", "y")


def test_long_answers_skip_math_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> None:
        raise AssertionError("math_verify must not be consulted")

    monkeypatch.setattr(grading, "_math_verify", fail)
    assert not is_correct("x" * (MATH_VERIFY_MAX_CHARS + 1), "y")


def test_grading_off_the_main_thread_uses_keys_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> None:
        raise AssertionError("math_verify must not be consulted")

    monkeypatch.setattr(grading, "_math_verify", fail)
    results: list[bool] = []
    worker = threading.Thread(target=lambda: results.append(is_correct("x+1", "1+x")))
    worker.start()
    worker.join()
    assert results == [False]


def test_math_verify_confirms_symbolic_equality_when_installed() -> None:
    pytest.importorskip("math_verify")
    assert is_correct("(x+1)^2", "x^2+2x+1")
    assert not is_correct("3", "\\pi")


def test_grade_response_extracts_before_grading() -> None:
    assert grade_response("<think>maybe 4</think>So it is \\boxed{1,000}.", "1000")
    assert not grade_response("<think>\\boxed{1000}", "1000")


@pytest.mark.parametrize("response", [None, "", "{" * 10_000, "\\boxed{\\frac{", "Answer: ∞∞"])
def test_grade_response_never_raises(response: str | None) -> None:
    assert grade_response(response, "1") in (True, False)
