"""Engine verdicts: every review ends in a verdict the engine guarantees, scored by its probability."""

from __future__ import annotations

from engine import Prompt, Sampling, ScriptedReply, TokenLogprobs, TopLogprob
from strategies.mars import Mars, MarsConfig
from tests.strategies.mars.mars_script import MarsScript

PROBE_TAIL = "\nVERDICT: "


def is_probe(prompt: Prompt) -> bool:
    return prompt.assistant_prefix.endswith(PROBE_TAIL)


async def test_a_review_without_a_verdict_line_still_gets_a_verdict(script: MarsScript) -> None:
    script.verify = lambda p, s: "CORRECT" if is_probe(p) else "I checked each step and it holds."
    config = MarsConfig(aggregation="none", max_iterations=0)
    solution = await Mars(config).optimize("What is 2 + 2?", script.client())
    details = solution.metadata.details
    assert solution.metadata.selection_rule == "verified"
    assert not any("no verdict" in f for f in solution.metadata.fallbacks)
    reviews = [r for rs in details["verification"].values() for r in rs]
    assert details["verdict_text_fallbacks"] == len(reviews) == 6  # the text parser read none


async def test_each_review_call_is_followed_by_a_constrained_probe_on_its_text(script: MarsScript) -> None:
    script.verify = lambda p, s: "INCORRECT" if is_probe(p) else "Step two is wrong."
    client = script.client()
    await Mars(MarsConfig(aggregation="none", max_iterations=0, early_termination=False)).optimize("2+2?", client)
    calls = [c for c in client.calls if c.tags[0] == "verification"]
    reviews, probes = calls  # lazy reviews: pass 1 was negative everywhere, so pass 2 never went out
    assert not any(is_probe(p) for p in reviews.prompts) and all(is_probe(p) for p in probes.prompts)
    for review, probe in zip(reviews.prompts, probes.prompts, strict=True):
        assert probe.messages == review.messages and probe.system == review.system
        assert probe.assistant_prefix == "Step two is wrong." + PROBE_TAIL
    assert {s.choice for s in probes.samplings} == {("CORRECT", "INCORRECT")}
    assert {(s.temperature, s.max_tokens <= 2) for s in probes.samplings} == {(0.0, True)}


async def test_a_review_scores_the_probability_of_correct(script: MarsScript) -> None:
    tops = (TopLogprob(1, "COR", -0.5), TopLogprob(2, "IN", -1.5))
    hesitant = ScriptedReply("CORRECT", logprobs=(TokenLogprobs(1, "COR", -0.5, tops),))

    def verify(prompt: Prompt, sampling: Sampling) -> str | ScriptedReply:
        return hesitant if is_probe(prompt) else "Probably fine."

    script.verify = verify  # type: ignore[assignment]
    solution = await Mars(MarsConfig(aggregation="none", max_iterations=0)).optimize("2+2?", script.client())
    scores = {r["score"] for rs in solution.metadata.details["verification"].values() for r in rs}
    assert scores == {round(1 / (1 + 2.718281828**-1.0), 3)}  # e^-0.5 / (e^-0.5 + e^-1.5)
