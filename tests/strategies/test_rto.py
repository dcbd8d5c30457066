"""rto: C1, its description, C2 from the description; C1 when they agree, else a merged C3."""

from engine import Prompt, Sampling, ScriptedClient
from strategies.rto import DESCRIBE_PROMPT, RoundTrip, RtoConfig, code_key

C1 = "Here it is:\n```python\ndef add(a, b):\n    return a + b\n```"
C1_REFORMATTED = "```\ndef add(a, b):\n\n    return a + b   \n```\nDone."
C2_OTHER = "```python\ndef add(a, b):\n    return sum([a, b])\n```"
C3 = "```python\ndef add(a, b):\n    return a + b  # merged\n```"


def script(c2: str, c3: str = C3):
    def reply(prompt: Prompt, sampling: Sampling) -> str:
        text = prompt.messages[-1].content
        if text == DESCRIBE_PROMPT:
            return "Write a function add(a, b) that returns the sum."
        if text.startswith("Write a function add"):
            return c2
        if text.startswith("Initial query:"):
            return c3
        return C1

    return ScriptedClient(reply)


async def optimize(client: ScriptedClient, **config: object):
    return await RoundTrip(RtoConfig(**config)).optimize("Write add(a, b) in Python.", client)


async def test_agreeing_programs_return_c1_in_three_calls():
    client = script(C1_REFORMATTED)
    solution = await optimize(client)
    assert solution.metadata.selection_rule == "round-trip" and solution.reasoning == C1
    assert solution.answer == "def add(a, b):\n    return a + b"
    assert [c.tags for c in client.calls] == [("code",), ("describe",), ("regenerate",)]
    describe = client.calls[1].prompts[0]
    assert [m.role for m in describe.messages] == ["user", "assistant", "user"]
    assert describe.messages[1].content == C1
    assert solution.metadata.details["programs_agree"] is True


async def test_differing_programs_are_merged_into_c3():
    client = script(C2_OTHER)
    solution = await optimize(client)
    assert solution.metadata.selection_rule == "synthesis" and solution.reasoning == C3
    assert (solution.metadata.engine_calls, solution.metadata.engine_requests) == (4, 4)
    merge = client.calls[3].prompts[0].messages[-1].content
    assert "return a + b" in merge and "return sum([a, b])" in merge and "```python" not in merge


async def test_synthesize_always_writes_c3_even_when_they_agree():
    solution = await optimize(script(C1_REFORMATTED), synthesize="always")
    assert solution.metadata.selection_rule == "synthesis"
    assert solution.metadata.engine_requests == 4


async def test_responses_without_code_are_compared_whole_and_noted():
    solution = await optimize(script("no code here", c3="still no code"))
    assert solution.metadata.fallbacks == ["C2 has no code block; compared its whole text"]
    assert solution.metadata.selection_rule == "synthesis" and solution.answer == ""


async def test_empty_responses_never_crash():
    client = ScriptedClient(lambda prompt, sampling: "")
    solution = await optimize(client)
    assert "empty description; C2 written from the query" in solution.metadata.fallbacks
    assert client.calls[2].prompts[0].messages[-1].content == "Write add(a, b) in Python."
    assert solution.answer == ""


def test_code_keys_ignore_layout_but_not_code():
    assert code_key("def f():\n    return 1\n") == code_key("  def f():\n\n      return 1   ")
    assert code_key("return 1") != code_key("return 2")
