"""cot_reflection: one tagged response, only its <output> section is the answer."""

from engine import ScriptedClient
from strategies.cot_reflection import CotReflection, CotReflectionConfig, split_sections

TAGGED = (
    "<thinking>17 * 3 = 51</thinking>\n<reflection>3 * 17 is 51 too.</reflection>\n"
    "<output>The product is 51.\nAnswer: 51</output>"
)


def run(reply: str, **config: object):
    client = ScriptedClient(lambda prompt, sampling: reply)
    return client, CotReflection(CotReflectionConfig(**config)).optimize("What is 17 * 3?", client)


async def test_only_the_output_section_is_returned():
    client, pending = run(TAGGED)
    solution = await pending
    assert solution.reasoning == "The product is 51.\nAnswer: 51" and solution.answer == "51"
    assert solution.metadata.details == {
        "thinking": "17 * 3 = 51",
        "reflection": "3 * 17 is 51 too.",
    }
    assert solution.metadata.fallbacks == [] and solution.metadata.selection_rule == "output"
    assert (solution.metadata.engine_calls, solution.metadata.engine_requests) == (1, 1)
    assert "<reflection>" in client.calls[0].prompts[0].system


async def test_missing_output_falls_back_to_the_text_after_the_last_section():
    solution = await run("<thinking>hmm</thinking><reflection>ok</reflection> Answer: 51")[1]
    assert solution.reasoning == "Answer: 51" and solution.answer == "51"
    assert solution.metadata.fallbacks == ["no <output> section; used the text after </reflection>"]
    assert solution.metadata.selection_rule == "fallback"


async def test_no_sections_falls_back_to_the_whole_response():
    solution = await run("It is 51.")[1]
    assert solution.reasoning == "It is 51." and solution.answer == "51"
    assert solution.metadata.fallbacks == ["no <output> section; used the whole response"]


async def test_an_empty_response_is_a_noted_fallback_not_a_crash():
    solution = await run("")[1]
    assert solution.reasoning == "" and solution.answer == ""
    assert solution.metadata.fallbacks == ["empty response"]


def test_an_unclosed_output_runs_to_the_end():
    sections = split_sections("<thinking>a</thinking><output>Answer: 7")
    assert sections.output == "Answer: 7" and sections.fallback is None


async def test_the_users_system_prompt_comes_first():
    client = ScriptedClient(lambda prompt, sampling: TAGGED)
    await CotReflection(CotReflectionConfig()).optimize("q?", client, system="Be brief.")
    assert client.calls[0].prompts[0].system.startswith("Be brief.\n\n")
