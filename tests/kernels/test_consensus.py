"""Tests for kernels.consensus: hand-made cases, bad input, agreement with kernels._reference."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kernels._reference import (
    reference_agreement_matrix,
    reference_consensus_scores,
    reference_majority_vote,
    reference_top_k,
    reference_weighted_vote,
)
from kernels.consensus import (
    Vote,
    VoteWeights,
    agreement_matrix,
    consensus_scores,
    encode_keys,
    majority_vote,
    top_k,
    weighted_vote,
)

ALL = np.ones((1, 4), dtype=bool)
# Confidences whose exp is bit-identical in numpy and math, so ties match the reference.
CONFIDENCES = [-2.0, -1.0, -0.5, 0.0, 0.5]
VERIFICATIONS = [0.0, 0.25, 0.5, 0.75, 1.0]

# Property tests: enough examples to find edge cases, no example database on disk.
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def row(*values: float) -> npt.NDArray[np.float64]:
    """One question's scores as a (1, N) float64 array."""
    return np.array([values], dtype=np.float64)


def ids_row(*values: int) -> npt.NDArray[np.int64]:
    """One question's ids as a (1, N) int64 array."""
    return np.array([values], dtype=np.int64)


# -- encode_keys ---------------------------------------------------------------------------


def test_encode_keys_numbers_ids_by_first_occurrence_per_question() -> None:
    encoded = encode_keys([["b", "a", "b", ""], ["a"]])
    assert encoded.ids.tolist() == [[0, 1, 0, -1], [0, -1, -1, -1]]
    assert encoded.mask.tolist() == [[True, True, True, True], [True, False, False, False]]


def test_encode_keys_treats_none_as_missing() -> None:
    assert encode_keys([[None, "x"]]).ids.tolist() == [[-1, 0]]


def test_encode_keys_of_no_questions_is_empty() -> None:
    encoded = encode_keys([])
    assert encoded.ids.shape == encoded.mask.shape == (0, 0)
    assert encoded.ids.dtype == np.int64 and encoded.mask.dtype == np.bool_


@PROPERTY
@given(st.lists(st.lists(st.sampled_from(["", "1", "2", "1/2", "B"]), max_size=6), max_size=6))
def test_encode_keys_ids_are_equal_exactly_when_keys_are(keys: list[list[str]]) -> None:
    encoded = encode_keys(keys)
    for q, row_keys in enumerate(keys):
        assert encoded.mask[q].sum() == len(row_keys)
        for i, a in enumerate(row_keys):
            assert (encoded.ids[q, i] == -1) == (a == "")
            for j, b in enumerate(row_keys):
                if a and b:
                    assert (encoded.ids[q, i] == encoded.ids[q, j]) == (a == b)


# -- hand-made cases -------------------------------------------------------------------------


def test_agreement_diagonal_is_true_only_for_valid_candidates() -> None:
    matrix = agreement_matrix(ids_row(0, -1, 0, 1), np.array([[True, True, True, False]]))
    assert np.diagonal(matrix[0]).tolist() == [True, False, True, False]


def test_consensus_of_a_lone_valid_candidate_is_zero() -> None:
    assert consensus_scores(ids_row(3, -1), np.array([[True, True]])).tolist() == [[0.0, 0.0]]


def test_consensus_counts_only_other_valid_candidates() -> None:
    scores = consensus_scores(ids_row(0, 0, 1, -1), ALL)
    assert scores.tolist() == [[0.5, 0.5, 0.0, 0.0]]


def test_majority_prefers_more_votes() -> None:
    vote = majority_vote(ids_row(0, 1, 1, 2), ALL, verification=row(1, 0, 0, 1))
    assert (vote.winner.tolist(), vote.votes.tolist(), vote.share.tolist()) == ([1], [2], [0.5])


def test_majority_tie_goes_to_higher_summed_verification() -> None:
    vote = majority_vote(ids_row(0, 0, 1, 1), ALL, verification=row(0.5, 0.5, 0.25, 1.0))
    assert vote.winner.tolist() == [3]


def test_majority_tie_then_goes_to_higher_summed_confidence() -> None:
    vote = majority_vote(ids_row(0, 1), np.ones((1, 2), bool), confidence=row(-2.0, -1.0))
    assert vote.winner.tolist() == [1]


def test_majority_full_tie_goes_to_group_with_lowest_index() -> None:
    assert majority_vote(ids_row(5, 2, 2, 5), ALL).winner.tolist() == [0]


def test_representative_is_best_verified_then_most_confident_member() -> None:
    vote = majority_vote(ids_row(0, 0, 0, 1), ALL, verification=row(0.5, 0.9, 0.9, 1.0), confidence=row(0, -3, -1, 0))
    assert vote.winner.tolist() == [2]


def test_row_without_valid_candidates_has_no_winner() -> None:
    vote = majority_vote(np.array([[-1, -1], [0, 0]]), np.array([[True, True], [False, False]]))
    assert (vote.winner.tolist(), vote.votes.tolist(), vote.share.tolist()) == (
        [-1, -1],
        [0, 0],
        [0.0, 0.0],
    )


def test_padding_may_hold_nan_scores() -> None:
    mask = np.array([[True, True, False]])
    vote = majority_vote(ids_row(0, 1, 0), mask, verification=row(0.5, 1.0, np.nan), confidence=row(0, 0, np.inf))
    assert vote.winner.tolist() == [1]


def test_weighted_vote_lets_verification_outweigh_count() -> None:
    ids, ver = ids_row(0, 0, 1), row(0.0, 0.0, 1.0)
    weights = VoteWeights(count=0.5, verification=2.0)
    assert weighted_vote(ids, np.ones((1, 3), bool), ver, None, weights=weights).winner.tolist() == [2]
    assert majority_vote(ids, np.ones((1, 3), bool), ver).winner.tolist() == [0]


def test_weighted_vote_counts_confidence_as_exp_of_logprob() -> None:
    ids, conf = ids_row(0, 1, 1), row(0.0, -5.0, -5.0)
    weights = VoteWeights(count=0.0, verification=0.0, confidence=1.0)
    assert weighted_vote(ids, np.ones((1, 3), bool), None, conf, weights=weights).winner.tolist() == [0]


def test_weighted_vote_with_default_weights_reports_the_winning_group_votes() -> None:
    vote = weighted_vote(ids_row(0, 1, 1, 1), ALL, row(1, 0, 0, 0), None)
    assert (vote.winner.tolist(), vote.votes.tolist(), vote.share.tolist()) == ([1], [3], [0.75])


def test_top_k_orders_by_score_then_index_and_pads() -> None:
    chosen = top_k(ids_row(0, 1, -1, 2), ALL, row(0.5, 0.9, 5.0, 0.5), 5)
    assert chosen.tolist() == [[1, 0, 3, -1, -1]]


def test_top_k_ranks_minus_infinity_before_padding() -> None:
    chosen = top_k(ids_row(0, 1), np.array([[True, True]]), row(-np.inf, 1.0), 3)
    assert chosen.tolist() == [[1, 0, -1]]


def test_arbitrary_integer_labels_work_like_dense_ids() -> None:
    sparse = majority_vote(ids_row(900, 7, 7, 900), ALL, verification=row(0, 0.5, 0, 1))
    dense = majority_vote(ids_row(0, 1, 1, 0), ALL, verification=row(0, 0.5, 0, 1))
    assert sparse.winner.tolist() == dense.winner.tolist() == [3]


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: consensus_scores(np.zeros((1, 2)), np.ones((1, 2), bool)), "ids"),
        (lambda: consensus_scores(np.zeros(2, int), np.ones(2, bool)), "ids"),
        (lambda: consensus_scores(np.zeros((1, 2), int), np.ones((1, 2), int)), "mask"),
        (lambda: consensus_scores(np.zeros((1, 2), int), np.ones((1, 3), bool)), "mask"),
        (
            lambda: majority_vote(ids_row(0, 0), np.ones((1, 2), bool), row(0.5, np.nan)),
            "verification",
        ),
        (
            lambda: majority_vote(ids_row(0, 0), np.ones((1, 2), bool), row(0.5, 1.5)),
            "verification",
        ),
        (lambda: majority_vote(ids_row(0, 0), np.ones((1, 2), bool), row(0.5)), "verification"),
        (
            lambda: majority_vote(ids_row(0, 0), np.ones((1, 2), bool), None, row(0, -np.inf)),
            "confidence",
        ),
        (
            lambda: majority_vote(ids_row(0, 0), np.ones((1, 2), bool), None, np.array([["a", "b"]])),
            "confidence",
        ),
        (lambda: top_k(ids_row(0, 0), np.ones((1, 2), bool), row(np.nan, 1), 1), "scores"),
        (lambda: top_k(ids_row(0, 0), np.ones((1, 2), bool), row(0, 1), 0), "k"),
        (lambda: top_k(ids_row(0, 0), np.ones((1, 2), bool), row(0, 1), True), "k"),
        (lambda: VoteWeights(count=-1.0), "count"),
        (lambda: VoteWeights(confidence=float("nan")), "confidence"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call: object, argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        call()  # type: ignore[operator]


# -- agreement with the plain-Python reference ---------------------------------------------


@dataclass(frozen=True)
class Batch:
    """A random ragged batch; padding holds garbage (NaN, inf, odd ids)."""

    ids: npt.NDArray[np.int64]
    mask: npt.NDArray[np.bool_]
    verification: npt.NDArray[np.float64]
    confidence: npt.NDArray[np.float64]


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    """Ragged batches with empty, all-invalid and single-candidate rows among them."""
    q, n = draw(st.integers(0, 7)), draw(st.integers(0, 6))
    lengths = np.array(draw(st.lists(st.integers(0, n), min_size=q, max_size=q)), dtype=np.int64)
    mask = np.arange(n) < lengths.reshape(q, 1)
    id_values = (
        st.sampled_from([-1, -1, 0, 1, 2, 3]) if draw(st.booleans()) else st.sampled_from([-7, -1, 0, 5, 42, 10**9])
    )
    ids = draw(arrays(np.int64, (q, n), elements=id_values))
    ver = draw(arrays(np.float64, (q, n), elements=st.sampled_from(VERIFICATIONS)))
    conf = draw(arrays(np.float64, (q, n), elements=st.sampled_from(CONFIDENCES)))
    garbage = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return Batch(ids, mask, np.where(mask, ver, garbage), np.where(mask, conf, garbage))


def assert_same_vote(actual: Vote, expected: Vote) -> None:
    np.testing.assert_array_equal(actual.winner, expected.winner)
    np.testing.assert_array_equal(actual.votes, expected.votes)
    np.testing.assert_array_equal(actual.share, expected.share)
    assert actual.winner.dtype == actual.votes.dtype == np.int64
    assert actual.share.dtype == np.float64


def test_confidence_values_used_below_have_identical_exp_in_numpy_and_math() -> None:
    assert np.exp(np.minimum(CONFIDENCES, 0.0)).tolist() == [math.exp(min(c, 0.0)) for c in CONFIDENCES]


@PROPERTY
@given(batches())
def test_agreement_matrix_matches_reference(batch: Batch) -> None:
    actual = agreement_matrix(batch.ids, batch.mask)
    np.testing.assert_array_equal(actual, reference_agreement_matrix(batch.ids, batch.mask))
    assert actual.dtype == np.bool_ and actual.shape == (*batch.ids.shape, batch.ids.shape[1])


@PROPERTY
@given(batches())
def test_consensus_scores_match_reference(batch: Batch) -> None:
    actual = consensus_scores(batch.ids, batch.mask)
    np.testing.assert_array_equal(actual, reference_consensus_scores(batch.ids, batch.mask))
    assert actual.dtype == np.float64


@PROPERTY
@given(batches())
def test_consensus_scores_agree_with_agreement_matrix(batch: Batch) -> None:
    matrix = agreement_matrix(batch.ids, batch.mask)
    agreeing = matrix.sum(axis=2) - np.diagonal(matrix, axis1=1, axis2=2)
    n_valid = np.diagonal(matrix, axis1=1, axis2=2).sum(axis=1, keepdims=True)
    expected = np.where(n_valid > 1, agreeing / np.maximum(n_valid - 1, 1), 0.0)
    np.testing.assert_allclose(consensus_scores(batch.ids, batch.mask), expected)


@PROPERTY
@given(batches(), st.booleans(), st.booleans())
def test_majority_vote_matches_reference(batch: Batch, use_ver: bool, use_conf: bool) -> None:
    ver = batch.verification if use_ver else None
    conf = batch.confidence if use_conf else None
    assert_same_vote(
        majority_vote(batch.ids, batch.mask, ver, conf),
        reference_majority_vote(batch.ids, batch.mask, ver, conf),
    )


@PROPERTY
@given(batches(), st.tuples(*[st.sampled_from([0.0, 0.5, 1.0, 2.0])] * 3))
def test_weighted_vote_matches_reference(batch: Batch, weight_values: tuple[float, ...]) -> None:
    weights = VoteWeights(*weight_values)
    args = (batch.ids, batch.mask, batch.verification, batch.confidence)
    assert_same_vote(weighted_vote(*args, weights=weights), reference_weighted_vote(*args, weights=weights))


@PROPERTY
@given(batches(), st.integers(1, 8), st.data())
def test_top_k_matches_reference(batch: Batch, k: int, data: st.DataObject) -> None:
    scores = data.draw(
        arrays(
            np.float64,
            batch.ids.shape,
            elements=st.sampled_from([-np.inf, -1.0, 0.0, 0.5, 2.0, np.inf]),
        )
    )
    actual = top_k(batch.ids, batch.mask, scores, k)
    np.testing.assert_array_equal(actual, reference_top_k(batch.ids, batch.mask, scores, k))
    assert actual.dtype == np.int64 and actual.shape == (batch.ids.shape[0], k)


@PROPERTY
@given(batches())
def test_vote_share_is_votes_over_valid_candidates(batch: Batch) -> None:
    vote = majority_vote(batch.ids, batch.mask)
    n_valid = (batch.mask & (batch.ids >= 0)).sum(axis=1)
    assert ((vote.winner >= 0) == (n_valid > 0)).all()
    np.testing.assert_allclose(vote.share * n_valid, vote.votes)
