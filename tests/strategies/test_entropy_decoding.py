"""Entropy decoding's request: the settings travel to the engine in `Sampling.extra`."""

from __future__ import annotations

import pytest

from engine import ConfigError, ScriptedClient
from kernels import EntropixParams
from strategies import get_strategy
from strategies.entropy_decoding import EXTRA_ARG, EntropyDecoding, EntropyDecodingConfig


async def test_one_request_at_temperature_one_carries_the_entropix_settings():
    client = ScriptedClient(lambda prompt, sampling: "Answer: 4")
    config = EntropyDecodingConfig(temperature=0.5, top_k=9, high_entropy=2.5, seed=1, max_tokens=32)
    solution = await EntropyDecoding(config).optimize("2+2?", client)
    [call] = client.calls
    [sampling] = call.samplings
    assert (sampling.temperature, sampling.top_p, sampling.top_k) == (1.0, 1.0, 0)
    assert sampling.seed == 1 and sampling.max_tokens == 32
    [(key, settings)] = sampling.extra
    assert key == EXTRA_ARG
    assert EntropixParams.from_mapping(settings) == EntropixParams(temperature=0.5, top_k=9, high_entropy=2.5)
    assert solution.answer_key == "4" and solution.metadata.details["entropix"] == settings


def test_the_extra_arg_name_matches_the_engine_processor():
    pytest.importorskip("vllm")
    from engine.logits import EXTRA_ARG as ENGINE_EXTRA_ARG

    assert ENGINE_EXTRA_ARG == EXTRA_ARG


def test_thresholds_must_be_ordered():
    with pytest.raises(ConfigError, match="low_entropy"):
        get_strategy("entropy_decoding", low_entropy=4.0, high_entropy=3.0)
