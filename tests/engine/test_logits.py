"""The entropy-decoding logits processor's bookkeeping, without an engine (needs vLLM installed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("vllm")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from vllm import SamplingParams  # noqa: E402
from vllm.v1.sample.logits_processor import BatchUpdate, MoveDirectionality  # noqa: E402

from engine.logits import EXTRA_ARG, EntropyDecodingLogitsProcessor  # noqa: E402

SURE = torch.tensor([9.0, 0.0, 0.0, 0.0])
ON = SamplingParams(extra_args={EXTRA_ARG: {}})
OFF = SamplingParams()


def processor() -> EntropyDecodingLogitsProcessor:
    return EntropyDecodingLogitsProcessor(None, torch.device("cpu"), False)  # type: ignore[arg-type]


def update(size: int, added=(), removed=(), moved=()) -> BatchUpdate:
    return BatchUpdate(batch_size=size, removed=list(removed), added=list(added), moved=list(moved))


def test_only_rows_of_opted_in_requests_change():
    proc = processor()
    proc.update_state(update(3, added=[(0, OFF, None, []), (1, ON, None, []), (2, OFF, None, [])]))
    logits = SURE.repeat(3, 1)
    out = proc.apply(logits.clone())
    assert torch.equal(out[0], SURE) and torch.equal(out[2], SURE)
    assert torch.isinf(out[1, 1:]).all() and out[1, 0].item() == pytest.approx(9.0 / 0.666)


def test_a_step_without_opted_in_requests_returns_the_logits_untouched():
    proc = processor()
    proc.update_state(update(1, added=[(0, OFF, None, [])]))
    logits = SURE.repeat(1, 1)
    assert proc.apply(logits) is logits and torch.equal(logits[0], SURE)


def test_moves_and_removals_follow_the_request():
    proc = processor()
    proc.update_state(update(2, added=[(0, ON, None, []), (1, OFF, None, [])]))
    proc.update_state(update(2, moved=[(0, 1, MoveDirectionality.SWAP)]))
    assert set(proc.active) == {1}
    proc.update_state(update(2, moved=[(1, 0, MoveDirectionality.UNIDIRECTIONAL)]))
    assert set(proc.active) == {0}
    proc.update_state(update(0, removed=[0]))
    assert proc.active == {}


def test_a_recycled_index_without_the_arg_is_switched_off():
    proc = processor()
    proc.update_state(update(1, added=[(0, ON, None, [])]))
    proc.update_state(update(1, added=[(0, OFF, None, [])]))
    assert proc.active == {}


def test_model_runner_v2_rows_map_to_request_slots():
    proc = EntropyDecodingLogitsProcessor(None, SimpleNamespace())  # type: ignore[arg-type]
    assert proc.add_request(5, ON) and not proc.add_request(2, OFF)
    ctx = SimpleNamespace(expanded_idx_mapping=torch.tensor([2, 5]), idx_mapping_np=np.array([2, 5]))
    out = proc.apply(SURE.repeat(2, 1), ctx)  # type: ignore[arg-type]
    assert torch.equal(out[0], SURE) and torch.isinf(out[1, 1:]).all()


def test_bad_settings_are_rejected_when_the_request_is_validated():
    with pytest.raises(ValueError, match="unknown"):
        EntropyDecodingLogitsProcessor.validate_params(SamplingParams(extra_args={EXTRA_ARG: {"temp": 1.0}}))
    with pytest.raises(ValueError, match="dict"):
        EntropyDecodingLogitsProcessor.validate_params(SamplingParams(extra_args={EXTRA_ARG: 3}))
    EntropyDecodingLogitsProcessor.validate_params(OFF)
