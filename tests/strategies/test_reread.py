"""reread (RE2): the question twice in one prompt, one request."""

import pytest

from engine import InputError, ScriptedClient
from strategies.plain import PlainConfig
from strategies.reread import Reread


async def test_the_question_is_presented_twice_in_one_request():
    client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\nAnswer: 42")
    solution = await Reread(PlainConfig()).optimize("What is 6 * 7?", client)
    [call] = client.calls
    assert call.prompts[0].messages[-1].content == "What is 6 * 7?\nRead the question again: What is 6 * 7?"
    assert call.samplings[0].temperature == 0.0 and call.tags == ("generate",)
    assert solution.answer == "42" and solution.metadata.strategy == "reread"
    assert solution.metadata.usage_by_phase["generate"].requests == 1


async def test_an_empty_query_is_an_input_error():
    with pytest.raises(InputError, match="empty query"):
        await Reread(PlainConfig()).optimize("  ", ScriptedClient(lambda p, s: ""))
