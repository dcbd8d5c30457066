"""Tests for kernels.stopping: exact values, plain-Python references, and what each rule promises."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.consensus import encode_keys
from kernels.stopping import (
    beta_win_probability,
    cannot_be_overtaken,
    settlement,
    stop_rule,
    top_two_votes,
)

PROPERTY = settings(max_examples=200, deadline=None, database=None)


def reference_top_two(keys: list[str]) -> tuple[int, int]:
    counts = sorted(Counter(k for k in keys if k).values(), reverse=True) + [0, 0]
    return counts[0], counts[1]


def integrated_probability(a: int, b: int, steps: int = 200_000) -> float:
    """P(X > 1/2) for X ~ Beta(a + 1, b + 1) by the midpoint rule over the density."""
    log_norm = math.lgamma(a + b + 2) - math.lgamma(a + 1) - math.lgamma(b + 1)
    x = 0.5 + (np.arange(steps) + 0.5) * (0.5 / steps)
    density = np.exp(log_norm + a * np.log(x) + b * np.log1p(-x))
    return float(density.sum() * (0.5 / steps))


# -- top_two_votes -------------------------------------------------------------------------------


@PROPERTY
@given(st.lists(st.lists(st.sampled_from(["", "4", "5", "6", "7"]), max_size=12), min_size=1, max_size=5))
def test_top_two_votes_match_a_counter(rows: list[list[str]]) -> None:
    enc = encode_keys(rows)
    leader, runner_up = top_two_votes(enc.ids, enc.mask)
    assert list(zip(leader.tolist(), runner_up.tolist(), strict=True)) == [reference_top_two(r) for r in rows]


def test_no_answer_never_leads_and_padding_does_not_vote() -> None:
    enc = encode_keys([["", "", "", "4"], ["", ""], []])
    leader, runner_up = top_two_votes(enc.ids, enc.mask)
    assert leader.tolist() == [1, 0, 0] and runner_up.tolist() == [0, 0, 0]


def test_a_tie_at_the_top_gives_equal_counts() -> None:
    leader, runner_up = top_two_votes(np.array([[0, 1, 1, 0]]), np.ones((1, 4), bool))
    assert leader.tolist() == runner_up.tolist() == [2]


# -- cannot_be_overtaken -------------------------------------------------------------------------


COUNTS = [(a, b, r) for a, b, r in itertools.product(range(5), range(5), range(4)) if b <= a]


@pytest.mark.parametrize(("a", "b", "remaining"), COUNTS)
def test_cannot_be_overtaken_holds_exactly_when_no_completion_changes_the_leader(
    a: int, b: int, remaining: int
) -> None:
    # every way the remaining samples can fall: on the leader, the runner-up, or a third answer
    outcomes = itertools.product(("lead", "run", "other", ""), repeat=remaining)
    always_ahead = all(a + o.count("lead") > max(b + o.count("run"), o.count("other")) for o in outcomes)
    assert bool(cannot_be_overtaken(a, b, remaining)) == always_ahead


def test_cannot_be_overtaken_broadcasts() -> None:
    assert cannot_be_overtaken([5, 5, 5], [1, 1, 1], [2, 3, 4]).tolist() == [True, True, False]


# -- beta_win_probability ------------------------------------------------------------------------


def test_beta_probability_exact_values() -> None:
    got = beta_win_probability([0, 1, 2, 3, 4, 3], [0, 0, 0, 0, 0, 1]).tolist()
    assert got == [0.5, 0.75, 0.875, 0.9375, 0.96875, 0.8125]


@pytest.mark.parametrize(("a", "b"), [(0, 0), (2, 1), (5, 3), (9, 2), (12, 12), (20, 7)])
def test_beta_probability_matches_the_integrated_density(a: int, b: int) -> None:
    assert float(beta_win_probability(a, b)) == pytest.approx(integrated_probability(a, b), abs=1e-6)


@PROPERTY
@given(st.integers(0, 200), st.integers(0, 200))
def test_beta_probability_is_symmetric_and_monotone(a: int, b: int) -> None:
    p = float(beta_win_probability(a, b))
    assert p + float(beta_win_probability(b, a)) == pytest.approx(1.0, abs=1e-12)
    assert float(beta_win_probability(a + 1, b)) >= p >= float(beta_win_probability(a, b + 1))


def test_beta_probability_of_large_counts_stays_finite() -> None:
    p = beta_win_probability(600, 590)
    assert p.shape == () and 0.5 < float(p) < 1.0


# -- settlement and stop_rule --------------------------------------------------------------------


def test_four_agreeing_votes_pass_the_paper_threshold_but_three_do_not() -> None:
    assert stop_rule(["4"] * 4, remaining=12) == "beta"  # 31/32 >= 0.95
    assert stop_rule(["4"] * 3, remaining=12) is None  # 15/16 < 0.95
    assert stop_rule(["4"] * 4, remaining=12, confidence=0.97) is None


def test_the_exact_rule_is_named_first_when_both_hold() -> None:
    assert stop_rule(["4"] * 5, remaining=1) == "cannot-be-overtaken"


def test_no_answer_samples_only_use_up_the_budget() -> None:
    assert stop_rule(["", "", "", ""], remaining=0) is None
    assert stop_rule(["", "4", "", "4"], remaining=1) == "cannot-be-overtaken"
    assert stop_rule(["", "4", "", "4"], remaining=2) is None


def test_settlement_reports_counts_and_both_rules_per_question() -> None:
    enc = encode_keys([["4", "4", "5", "4"], ["4", "5", "4", "5"], ["9"] * 6])
    s = settlement(enc.ids, enc.mask, [1, 8, 10])
    assert s.leader_votes.tolist() == [3, 2, 6] and s.runner_up_votes.tolist() == [1, 2, 0]
    assert s.remaining.tolist() == [1, 8, 10]
    assert s.decided.tolist() == [True, False, False]
    assert s.confident.tolist() == [False, False, True]
    assert s.settled.tolist() == [True, False, True]
    assert [s.rule(q) for q in range(3)] == ["cannot-be-overtaken", None, "beta"]


@pytest.mark.parametrize("confidence", [0.5, 0.2, 1.0, 1.5])
def test_confidence_outside_half_to_one_is_refused(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        stop_rule(["4"], remaining=1, confidence=confidence)


def test_negative_or_fractional_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="remaining"):
        stop_rule(["4"], remaining=-1)
    with pytest.raises(ValueError, match="leader"):
        beta_win_probability([1.5], [0])
