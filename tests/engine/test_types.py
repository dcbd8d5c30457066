import pytest

from engine import InputError, Message, Prompt, Sampling, pair_requests


def test_sampling_rejects_out_of_range_values_naming_the_field():
    for kwargs, field in [
        ({"temperature": 2.5}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"n": 0}, "n"),
        ({"logprobs": 21}, "logprobs"),
        ({"min_tokens": 10, "max_tokens": 5}, "min_tokens"),
        ({"stream_interval": 0}, "stream_interval"),
    ]:
        with pytest.raises(InputError, match=f"Sampling.{field}="):
            Sampling(**kwargs)


def test_sampling_refuses_several_greedy_samples():
    with pytest.raises(InputError, match="n > 1 needs temperature > 0"):
        Sampling(temperature=0.0, n=3)


def test_sampling_with_changes_only_the_named_fields():
    base = Sampling(temperature=0.3, max_tokens=64, seed=7)
    changed = base.with_(temperature=1.0)
    assert (changed.temperature, changed.max_tokens, changed.seed) == (1.0, 64, 7)
    assert base.temperature == 0.3


def test_sampling_accepts_a_single_stop_string():
    assert Sampling(stop="\n\n").stop == ("\n\n",)  # type: ignore[arg-type]


def test_prompt_puts_the_system_prompt_first_in_openai_format():
    p = Prompt.user("hi", system="be brief")
    assert p.as_openai_messages() == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]


def test_prompt_needs_a_message_and_valid_roles():
    with pytest.raises(InputError, match="empty"):
        Prompt(messages=())
    with pytest.raises(InputError, match="role"):
        Prompt(messages=(Message("robot", "x"),))  # type: ignore[arg-type]


def test_prompt_chat_accepts_openai_dicts_and_continued_extends_the_answer_prefix():
    p = Prompt.chat([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])
    assert [m.role for m in p.messages] == ["user", "assistant"]
    assert p.continued("<think>").continued(" Wait,").assistant_prefix == "<think> Wait,"


def test_prompts_are_hashable_values():
    assert Prompt.user("a") == Prompt.user("a")
    assert len({Prompt.user("a"), Prompt.user("a"), Prompt.user("b")}) == 2


def test_pair_requests_broadcasts_one_sampling_and_tag():
    prompts = [Prompt.user("a"), Prompt.user("b")]
    pairs = pair_requests(prompts, Sampling(temperature=0.1), "explore")
    assert [(s.temperature, t) for _, s, t in pairs] == [(0.1, "explore"), (0.1, "explore")]


def test_pair_requests_rejects_mismatched_lengths():
    with pytest.raises(InputError, match="2 prompts but 3 samplings"):
        pair_requests([Prompt.user("a"), Prompt.user("b")], [Sampling()] * 3, None)
    with pytest.raises(InputError, match="2 prompts but 1 tags"):
        pair_requests([Prompt.user("a"), Prompt.user("b")], Sampling(), ["x"])
    with pytest.raises(InputError, match="Prompt objects"):
        pair_requests(["a"], Sampling(), None)  # type: ignore[list-item]
