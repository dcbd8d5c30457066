"""Mixture of agents: candidates in one request, one critique, one synthesis."""

from __future__ import annotations

import pytest

from engine import ConfigError, Prompt, Sampling, ScriptedClient
from strategies import get_strategy
from strategies.core.events import PhaseFinished, PhaseStarted


def reply(prompt: Prompt, sampling: Sampling) -> str:
    text = prompt.messages[-1].content
    if "Critique of the candidates:" in text:
        return "Combining them: 2 + 2 = 4. Answer: 4"
    if "Critique each candidate" in text:
        return "Candidate 1 and 3 are right; candidate 2 added wrong."
    return f"draft at {sampling.temperature}. Answer: {5 if sampling.n == 3 else 0}"


async def test_moa_makes_exactly_three_calls() -> None:
    client = ScriptedClient(reply)
    solution = await get_strategy("moa").optimize("2+2?", client)
    candidates, critique, synthesis = client.calls
    assert candidates.tags == ("candidates",) and candidates.samplings[0].n == 3
    assert candidates.samplings[0].temperature == 1.0
    assert critique.tags == ("critique",) and synthesis.tags == ("synthesis",)
    assert critique.samplings[0].temperature == synthesis.samplings[0].temperature == 0.1
    assert solution.metadata.engine_calls == 3 and solution.metadata.engine_requests == 3
    assert solution.answer_key == "4" and solution.metadata.selection_rule == "synthesis"


async def test_the_synthesis_sees_every_candidate_and_the_critique() -> None:
    client = ScriptedClient(reply)
    await get_strategy("moa", candidates=3).optimize("2+2?", client)
    critique = client.calls[1].prompts[0].messages[-1].content
    synthesis = client.calls[2].prompts[0].messages[-1].content
    assert all(f"Candidate {i}:" in critique for i in (1, 2, 3))
    assert "candidate 2 added wrong" in synthesis
    shared = critique.index("---")
    assert synthesis[:shared] == critique[:shared], "critique and synthesis share a prefix"


async def test_a_synthesis_without_an_answer_falls_back_to_the_candidates_vote() -> None:
    def silent(prompt: Prompt, sampling: Sampling) -> str:
        return "" if "Critique of the candidates:" in prompt.messages[-1].content else reply(prompt, sampling)

    solution = await get_strategy("moa").optimize("2+2?", ScriptedClient(silent))
    assert solution.answer_key == "5" and solution.metadata.selection_rule == "majority"
    assert solution.confidence == 1.0 and solution.metadata.fallbacks


async def test_each_step_is_announced_by_phase_events() -> None:
    events: list[object] = []
    await get_strategy("moa").optimize("2+2?", ScriptedClient(reply), on_event=events.append)
    steps = [e for e in events if isinstance(e, PhaseStarted | PhaseFinished)]
    assert [(type(e), e.phase) for e in steps] == [
        (kind, phase) for phase in ("candidates", "critique", "synthesis") for kind in (PhaseStarted, PhaseFinished)
    ]


def test_config_rejects_zero_candidates() -> None:
    with pytest.raises(ConfigError, match="candidates"):
        get_strategy("moa", candidates=0)
