"""Reward models: `kind = "reward"` entries in the registry, how a pair is rendered, how a pooled
output is read. (The engine itself runs in tests/integration/test_search_engine.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import ClientError, ConfigError, ModelNotFoundError, load_registry, parse_registry
from engine.registry import RewardSettings
from engine.reward import RewardClient, pair_messages, read_reward

BASE = {"source": "embedded:smollm2"}


def test_the_shipped_registry_declares_reward_models() -> None:
    registry = load_registry(Path(__file__).parents[2] / "models.toml")
    verdict = registry.reward_model("smollm2-135m-verdict")
    assert verdict.kind == "reward" and verdict.reward is not None and verdict.reward.task == "classify"
    assert verdict.engine["convert"] == "classify"
    assert registry.reward_model("qwen2.5-math-prm-7b").reward.step_tag == "<extra_0>"  # type: ignore[union-attr]
    assert registry.get().kind == "generate"


def test_a_reward_entry_gets_default_settings_and_a_generate_entry_may_not_have_them() -> None:
    registry = parse_registry({"default": "gen", "models": {"gen": BASE, "rm": {**BASE, "kind": "reward"}}})
    assert registry.models["rm"].reward == RewardSettings()
    with pytest.raises(ConfigError, match=r'needs kind = "reward"'):
        parse_registry({"default": "gen", "models": {"gen": {**BASE, "reward": {"task": "classify"}}}})
    with pytest.raises(ConfigError, match="must generate"):
        parse_registry({"default": "rm", "models": {"rm": {**BASE, "kind": "reward"}}})
    with pytest.raises(ConfigError, match=r"models\.rm\.reward\.task"):
        parse_registry(
            {"default": "gen", "models": {"gen": BASE, "rm": {**BASE, "kind": "reward", "reward": {"task": "x"}}}}
        )


def test_asking_for_a_generating_model_as_a_reward_model_names_the_reward_models() -> None:
    registry = load_registry(Path(__file__).parents[2] / "models.toml")
    with pytest.raises(ModelNotFoundError, match=r"not a reward model.*smollm2-135m-verdict"):
        registry.reward_model("smollm2-135m")
    with pytest.raises(ModelNotFoundError, match="not a reward model"):
        RewardClient("smollm2-135m", registry=registry)  # refused before any engine starts


def test_a_pair_is_rendered_shared_part_first_and_the_verdict_question_last() -> None:
    settings = RewardSettings(system="Grade.", question="Correct so far? Yes or No.")
    messages = pair_messages("What is 2+2?", ["2 + 2 = 4.\n\n", "Answer: 4"], settings)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "What is 2+2?" and messages[2]["content"] == "2 + 2 = 4.\n\nAnswer: 4"
    assert messages[3]["content"] == "Correct so far? Yes or No."


def test_a_process_reward_model_sees_each_step_followed_by_its_step_tag() -> None:
    messages = pair_messages("q", ["a\n\n", "b\n\n", ""], RewardSettings(step_tag="<extra_0>"))
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[-1]["content"] == "a<extra_0>b<extra_0>"


def test_reading_a_pooled_output() -> None:
    assert read_reward([0.8], label=-1) == 0.8  # one column: a sigmoid score
    assert read_reward([0.3, 0.7], label=-1) == 0.7 and read_reward([0.3, 0.7], label=0) == 0.3
    per_token = [[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]
    assert read_reward(per_token, label=-1, tag_positions=[1], prompt_len=3) == 0.8  # the last step tag
    assert read_reward(per_token, label=-1) == 0.5  # rows per step (STEP pooling): the last one
    with pytest.raises(ClientError, match="not a probability"):
        read_reward([3.2], label=-1)
