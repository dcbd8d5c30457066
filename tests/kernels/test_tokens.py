"""Token-level kernels: hand-computed values on small distributions, and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels import (
    EntropixParams,
    EntropixRegion,
    confidence_threshold,
    entropix_adjust,
    entropix_regions,
    entropy_varentropy,
    lowest_group_confidence,
    pad_top_logprobs,
    span_mask,
    token_confidence,
    top2_margin,
    top_share_mask,
    window_confidence,
)

finite = st.floats(min_value=0.0, max_value=50.0, allow_nan=False)
confidences = st.lists(finite, min_size=1, max_size=60)
windows = st.integers(min_value=1, max_value=20)


# -- entropy and varentropy ------------------------------------------------------------------


def test_entropy_of_a_uniform_distribution_is_log2_of_its_size_with_zero_varentropy():
    ent, vent = entropy_varentropy(torch.zeros(1, 8))
    assert ent.item() == pytest.approx(3.0, abs=1e-5)
    assert vent.item() == pytest.approx(0.0, abs=1e-5)


def test_entropy_and_varentropy_match_hand_computed_values():
    # p = (1/2, 1/4, 1/4): surprisals 1, 2, 2 bits; H = 1.5; V = 1/2 * 0.25 + 1/2 * 0.25 = 0.25
    ent, vent = entropy_varentropy(torch.log(torch.tensor([[0.5, 0.25, 0.25]])))
    assert ent.item() == pytest.approx(1.5, abs=1e-5)
    assert vent.item() == pytest.approx(0.25, abs=1e-5)


def test_entropy_of_a_point_mass_is_zero_even_with_masked_tokens():
    logits = torch.tensor([[0.0, float("-inf"), float("-inf")], [5.0, 5.0, float("-inf")]])
    ent, vent = entropy_varentropy(logits)
    assert ent.tolist() == pytest.approx([0.0, 1.0], abs=1e-5)
    assert vent.tolist() == pytest.approx([0.0, 0.0], abs=1e-5)


def test_entropy_is_computed_per_row():
    rows = torch.log(torch.tensor([[0.5, 0.25, 0.25], [1 / 3, 1 / 3, 1 / 3]]))
    ent, _ = entropy_varentropy(rows)
    assert ent.tolist() == pytest.approx([1.5, math.log2(3)], abs=1e-5)


# -- entropix adaptation ---------------------------------------------------------------------


def test_regions_follow_the_thresholds_of_each_row():
    p = EntropixParams()
    ent = torch.tensor([0.05, 4.0, 1.0, 4.0, 1.0])
    vent = torch.tensor([0.05, 0.05, 6.0, 6.0, 1.0])
    regions = entropix_regions(ent, vent, [p] * 5).tolist()
    assert regions == [
        EntropixRegion.ARGMAX,
        EntropixRegion.CAREFUL,
        EntropixRegion.EXPLORE,
        EntropixRegion.RESAMPLE,
        EntropixRegion.BASE,
    ]
    lenient = EntropixParams(low_entropy=2.0, low_varentropy=2.0)
    assert entropix_regions(ent[4:], vent[4:], [lenient]).tolist() == [EntropixRegion.ARGMAX]


def test_a_sure_row_is_forced_to_its_argmax_and_other_rows_keep_their_top_k():
    logits = torch.tensor([[9.0, 0.0, 0.0, 0.0, 0.0], [1.0, 0.9, 0.8, 0.7, 0.6]])
    params = [EntropixParams(), EntropixParams(top_k=3, top_p=1.0, temperature=0.5)]
    out, regions = entropix_adjust(logits, params)
    assert regions.tolist() == [EntropixRegion.ARGMAX, EntropixRegion.BASE]
    assert torch.isfinite(out[0]).tolist() == [True, False, False, False, False]
    assert torch.isfinite(out[1]).tolist() == [True, True, True, False, False]
    assert out[1, :3].tolist() == pytest.approx([2.0, 1.8, 1.6])  # divided by temperature 0.5


def test_top_p_keeps_the_smallest_set_reaching_the_mass():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    out, _ = entropix_adjust(logits, [EntropixParams(temperature=1.0, top_k=0, top_p=0.7)])
    assert torch.isfinite(out[0]).tolist() == [True, True, False, False]


def test_adjustment_never_changes_the_argmax():
    torch.manual_seed(0)
    logits = torch.randn(16, 100) * torch.linspace(0.1, 10, 16).unsqueeze(-1)
    out, _ = entropix_adjust(logits, [EntropixParams()] * 16)
    assert out.argmax(dim=-1).tolist() == logits.argmax(dim=-1).tolist()


def test_a_high_entropy_high_varentropy_row_is_warmer_with_a_narrower_top_p():
    # one token with half the mass, a flat tail of 5000 with the other half: H ~ 7.1, V ~ 38
    logits = torch.zeros(1, 5001)
    logits[0, 0] = math.log(5000)
    params = EntropixParams(temperature=1.0, top_k=0, top_p=1.0)
    ent, vent = entropy_varentropy(logits)
    assert ent.item() > 7.0 and vent.item() > 30.0
    out, regions = entropix_adjust(logits, [params])
    assert regions.tolist() == [EntropixRegion.RESAMPLE]
    assert out[0, 0].item() == pytest.approx(math.log(5000) / 1.5, rel=1e-5)
    assert 0 < int(torch.isfinite(out).sum()) < 5001  # top-p 1.0 - 0.2 cut the tail


def test_params_round_trip_through_a_dict_and_reject_bad_values():
    params = EntropixParams(temperature=0.5, top_k=5)
    assert EntropixParams.from_mapping(params.as_dict()) == params
    assert EntropixParams.from_mapping(None) == EntropixParams()
    with pytest.raises(ValueError, match="unknown"):
        EntropixParams.from_mapping({"temprature": 0.5})
    with pytest.raises(ValueError, match="top_p"):
        EntropixParams(top_p=0.0)
    with pytest.raises(ValueError, match="low_entropy"):
        EntropixParams(low_entropy=4.0, high_entropy=3.0)


# -- confidence from top-k log-probs ---------------------------------------------------------


def test_token_confidence_is_minus_the_mean_top_k_logprob():
    top = np.log([[0.9, 0.05, 0.05], [0.4, 0.3, 0.3]])
    expected = [-np.log([0.9, 0.05, 0.05]).mean(), -np.log([0.4, 0.3, 0.3]).mean()]
    assert token_confidence(top) == pytest.approx(expected)


def test_token_confidence_ignores_padding_and_floors_minus_infinity():
    top = np.array([[-1.0, np.nan], [np.nan, np.nan], [0.0, -np.inf]])
    assert token_confidence(top).tolist() == [1.0, 0.0, 50.0]


def test_top2_margin_is_the_gap_between_the_two_best_probabilities():
    top = np.log([[0.6, 0.3, 0.1], [0.1, 0.45, 0.45]])
    assert top2_margin(top) == pytest.approx([0.3, 0.0])
    assert top2_margin(np.array([[np.log(0.8), np.nan]])) == pytest.approx([0.8])


def test_pad_top_logprobs_keeps_the_k_best_sorted():
    padded = pad_top_logprobs([[-3.0, -0.5, -1.0], []], 2)
    assert padded[0].tolist() == [-0.5, -1.0]
    assert np.isnan(padded[1]).all()


def test_window_confidence_by_hand():
    assert window_confidence([1.0, 3.0, 2.0, 6.0], 2).tolist() == [2.0, 2.5, 4.0]
    assert window_confidence([1.0, 3.0], 5).tolist() == [2.0]
    assert window_confidence([], 3).size == 0
    assert lowest_group_confidence([], 3) == 0.0


@settings(max_examples=200, deadline=None)
@given(value=finite, length=st.integers(min_value=1, max_value=50), window=windows)
def test_windows_over_constant_confidences_equal_that_constant(value, length, window):
    groups = window_confidence([value] * length, window)
    assert groups == pytest.approx([value] * max(length - window + 1, 1))


@settings(max_examples=200, deadline=None)
@given(values=confidences, window=windows)
def test_lowest_group_is_at_most_the_mean_and_at_least_the_lowest_token(values, window):
    groups = window_confidence(values, window)
    lowest = lowest_group_confidence(values, window)
    assert lowest <= groups.mean() + 1e-9
    assert lowest >= min(values) - 1e-9
    assert groups.max() <= max(values) + 1e-9


@settings(max_examples=200, deadline=None)
@given(values=confidences, window=windows)
def test_window_confidence_matches_a_plain_python_reference(values, window):
    width = min(window, len(values))
    reference = [sum(values[i : i + width]) / width for i in range(len(values) - width + 1)]
    assert window_confidence(values, window) == pytest.approx(reference, rel=1e-9, abs=1e-9)


def test_threshold_is_a_percentile_of_the_warmup_confidences():
    assert confidence_threshold([1.0, 2.0, 3.0, 4.0, 5.0], 0.9) == pytest.approx(1.4)
    assert confidence_threshold([1.0, 2.0, 3.0], 1.0) == 1.0
    assert confidence_threshold([1.0, 2.0, 3.0], 0.0) == 3.0
    with pytest.raises(ValueError):
        confidence_threshold([], 0.5)


@settings(max_examples=100, deadline=None)
@given(values=confidences, share=st.floats(min_value=0.01, max_value=1.0))
def test_top_share_keeps_the_most_confident_ceil_share(values, share):
    keep = top_share_mask(values, share)
    assert keep.sum() == max(1, math.ceil(share * len(values)))
    kept = np.asarray(values)[keep]
    dropped = np.asarray(values)[~keep]
    assert dropped.size == 0 or kept.min() >= dropped.max()


def test_span_mask_selects_the_tokens_under_a_character_span():
    # "The answer is 42." as tokens "The", " answer", " is", " 4", "2", "."
    lengths = [3, 7, 3, 2, 1, 1]
    text = "The answer is 42."
    start = text.rfind("42")
    assert span_mask(lengths, start, start + 2).tolist() == [False] * 3 + [True, True, False]
    assert not span_mask(lengths, 3, 3).any()
