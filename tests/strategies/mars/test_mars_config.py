"""`MarsConfig`: defaults, presets, and validation errors that say how to fix the value."""

from __future__ import annotations

import pytest

from engine import ConfigError
from strategies import build_config
from strategies.mars import MarsConfig


def test_defaults_are_the_full_preset() -> None:
    config = MarsConfig()
    assert config == MarsConfig.full().model_copy(update={"preset": None})
    assert config.agent_temperatures == (0.3, 0.6, 1.0)
    assert config.agent_ids == ("agent-0", "agent-1", "agent-2")
    assert (config.verification_passes_required, config.aggregation, config.max_iterations) == (
        2,
        "rsa",
        5,
    )
    assert (config.max_tokens, config.verify_max_tokens) == (512, 256)


def test_lightweight_preset() -> None:
    config = MarsConfig.lightweight()
    assert config.num_agents == 2 and config.verification_passes_required == 1
    assert config.aggregation == "none" and config.max_iterations == 2
    assert not config.strategy_network


def test_explicit_fields_override_the_preset() -> None:
    config = MarsConfig(preset="lightweight", num_agents=3, max_tokens=64)
    assert config.num_agents == 3 and config.max_iterations == 2 and config.max_tokens == 64
    assert MarsConfig.lightweight(max_iterations=0).max_iterations == 0


def test_unset_temperatures_spread_over_the_agents() -> None:
    assert MarsConfig(num_agents=2).agent_temperatures == (0.3, 1.0)
    assert MarsConfig(num_agents=1).agent_temperatures == (0.3,)
    assert len(set(MarsConfig(num_agents=5).agent_temperatures)) == 5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"temperatures": (0.3, 0.6)}, "temperatures has 2 values but num_agents is 3"),
        ({"num_agents": 2, "temperatures": (0.3, 2.5)}, r"temperatures\[1\] = 2.5 is outside"),
        ({"verification_passes_required": 0}, "greater than or equal to 1"),
        ({"max_iterations": -1}, "greater than or equal to 0"),
        ({"num_agents": 0}, "greater than or equal to 1"),
        ({"rsa_population": 2, "rsa_subset_size": 3}, r"rsa_subset_size \(K = 3\) must be <="),
        ({"aggregation": "vote"}, "'majority', 'rsa', 'moe' or 'none'"),
        ({"preset": "heavy"}, "'full' or 'lightweight'"),
        ({"verify_temperature": 3.0}, "less than or equal to 2"),
        ({"num_agent": 3}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_values_are_rejected_with_a_clear_message(fields: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        MarsConfig(**fields)
    assert "invalid config for MarsConfig" in str(caught.value)


def test_registry_reports_config_errors_as_config_errors() -> None:
    with pytest.raises(ConfigError, match="temperatures has 1 values but num_agents is 2"):
        build_config("mars", {"num_agents": 2, "temperatures": [0.5]})


def test_registry_overrides_a_preset_config() -> None:
    config = build_config("mars", MarsConfig.lightweight(), num_agents=4)
    assert isinstance(config, MarsConfig) and config.num_agents == 4
    assert config.agent_temperatures == (0.3, pytest.approx(0.533333), pytest.approx(0.766667), 1.0)


def test_every_field_documents_itself() -> None:
    undocumented = [n for n, f in MarsConfig.model_fields.items() if not f.description]
    assert undocumented == []
