"""Verdict and score parsing: the fixed format as models write it, never keyword presence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies.blocks.parsing import (
    Verdict,
    first_code_block,
    parse_list,
    parse_score,
    parse_tagged,
    parse_verdict,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("All good.\nVERDICT: CORRECT\nSCORE: 0.9", Verdict(True, 0.9)),
        ("VERDICT: INCORRECT\nSCORE: 0.1", Verdict(False, 0.1)),
        ("verdict: correct\nscore: 1", Verdict(True, 1.0)),
        ("**VERDICT:** **CORRECT**\n**SCORE:** 0.75", Verdict(True, 0.75)),
        ("Verdict - Incorrect. Score: 2/10", Verdict(False, 0.2)),
        ("VERDICT: NOT CORRECT\nSCORE: 30%", Verdict(False, 0.3)),
        ("Verdict: wrong", Verdict(False, None)),
        ("## Verdict\nCORRECT\n## Score\n8 out of 10", Verdict(True, 0.8)),
        ("VERDICT: [CORRECT]\nSCORE: `0.6`", Verdict(True, 0.6)),
        ("VERDICT = INCORRECT; SCORE = .25", Verdict(False, 0.25)),
        ("Final verdict: correct.", Verdict(True, None)),
    ],
)
def test_verdict_formats(text: str, expected: Verdict) -> None:
    assert parse_verdict(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "The solution is correct.",
        "This is not correct at all, score it low.",
        "CORRECT",
        "VERDICT: CORRECTNESS UNCLEAR",
        "VERDICT:",
        "I would say the verdict is that it looks fine",
    ],
)
def test_no_verdict_line_is_no_verdict(text: str) -> None:
    assert parse_verdict(text).correct is None


def test_last_verdict_wins_over_a_quoted_format() -> None:
    text = "Reply with VERDICT: CORRECT or VERDICT: INCORRECT.\n...\nVERDICT: INCORRECT\nSCORE: 0.0"
    assert parse_verdict(text) == Verdict(False, 0.0)


def test_verdict_with_out_of_range_score_keeps_the_verdict() -> None:
    assert parse_verdict("VERDICT: CORRECT\nSCORE: 8") == Verdict(True, None)


def test_parsed_needs_both_parts() -> None:
    assert Verdict(True, 0.5).parsed and not Verdict(True, None).parsed
    assert not Verdict(None, 0.5).parsed


@pytest.mark.parametrize(
    ("text", "lo", "hi", "expected"),
    [
        ("SCORE: 0.7", 0, 1, 0.7),
        ("Score: 8/10", 0, 1, 0.8),
        ("Score: 8/10", 0, 10, 8.0),
        ("Rating: 7 out of 10", 0, 10, 7.0),
        ("score is 85%", 0, 1, 0.85),
        ("**Score**: 4", 1, 5, 4.0),
        ("7", 0, 10, 7.0),
        ("  0.5. ", 0, 1, 0.5),
        ("Score: 3 ... final score: 9", 0, 10, 9.0),
    ],
)
def test_score_formats(text: str, lo: float, hi: float, expected: float) -> None:
    assert parse_score(text, lo, hi) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("SCORE: 8", 0, 1),
        ("Score: -0.5", 0, 1),
        ("Score: 11/10", 0, 1),
        ("Score: 3/0", 0, 1),
        ("Score: 120%", 0, 1),
        ("no score here", 0, 1),
        ("The answer is 7", 0, 10),
        ("", 0, 1),
    ],
)
def test_unreadable_or_out_of_range_scores_are_none(text: str, lo: float, hi: float) -> None:
    assert parse_score(text, lo, hi) is None


def test_non_strings_parse_to_nothing() -> None:
    assert parse_verdict(None) == Verdict(None, None)  # type: ignore[arg-type]
    assert parse_score(b"SCORE: 1") is None  # type: ignore[arg-type]


@given(st.text(max_size=300))
def test_parsing_never_raises_and_stays_in_range(text: str) -> None:
    verdict = parse_verdict(text)
    assert verdict.correct in (True, False, None)
    assert verdict.score is None or 0.0 <= verdict.score <= 1.0
    score = parse_score(text, 1, 5)
    assert score is None or 1.0 <= score <= 5.0


def test_a_tagged_section_is_read_even_when_left_open():
    assert parse_tagged("<a>x</a><output> 4 </output>", "output") == "4"
    assert parse_tagged("<output>cut off", "output") == "cut off"
    assert parse_tagged("no tags", "output") is None


def test_list_items_are_read_from_numbers_and_bullets():
    text = "Here:\n1. first\n2) second\n- third\n**4.** fourth\n1.5 is not an item"
    assert parse_list(text) == ["first", "second", "third", "fourth"]
    assert parse_list("plain line\n\nanother", limit=1) == ["plain line"]
    assert parse_list("") == []


def test_the_first_closed_code_block_is_read():
    assert first_code_block("a\n```py\nx = 1\n```\n```\ny\n```") == "x = 1\n"
    assert first_code_block("```\nunclosed") is None
