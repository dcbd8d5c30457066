"""leap: examples from the query, mistakes on them, principles from the mistakes, answer."""

from engine import Prompt, Sampling, ScriptedClient
from strategies.leap import EXTRACT_PROMPT, Leap, LeapConfig, find_examples

QUERY = "Q: 2 @ 3?\nA: 7\nQ: 4 @ 1?\nA: 9\nQ: 5 @ 2?"
EXTRACT_MARK = EXTRACT_PROMPT.split("\n")[-1]


def script(attempt=lambda q: "Answer: 5", extracted: str = "NONE"):
    def reply(prompt: Prompt, sampling: Sampling) -> str:
        text = prompt.messages[-1].content
        if text.endswith(EXTRACT_MARK):
            return extracted
        if text.startswith("Question:\n"):
            return "The operation was misread.\n<principle>Infer the rule from every example.</principle>"
        if text.startswith("Low-level principles:"):
            return "<principles>\n1. Infer the rule from all examples.\n2. Check it on each.\n</principles>"
        if "Keep in mind these principles" in text:
            return "2*5 + 2 = 12.\nAnswer: 12"
        if text in ("2 @ 3?", "4 @ 1?"):
            return attempt(text)
        return "Answer: 3"

    return ScriptedClient(reply)


async def optimize(client: ScriptedClient, query: str = QUERY, **config: object):
    return await Leap(LeapConfig(**config)).optimize(query, client)


async def test_principles_are_learned_from_mistakes_and_used_for_the_answer():
    client = script(attempt=lambda q: "Answer: 7" if q == "2 @ 3?" else "Answer: 5")
    solution = await optimize(client)
    assert [c.tags[0] for c in client.calls] == ["attempt", "low_level", "high_level", "answer"]
    assert [len(c.prompts) for c in client.calls] == [2, 1, 1, 1]
    assert "Correct answer: 9" in client.calls[1].prompts[0].messages[-1].content
    details = solution.metadata.details
    assert details["examples"] == [
        {"question": "2 @ 3?", "answer": "7"},
        {"question": "4 @ 1?", "answer": "9"},
    ]
    assert [a["correct"] for a in details["attempts"]] == [True, False]
    assert details["principles"] == ["Infer the rule from all examples.", "Check it on each."]
    assert "1. Infer the rule from all examples." in client.calls[3].prompts[0].messages[-1].content
    assert solution.answer == "12" and solution.metadata.selection_rule == "principles"
    assert solution.metadata.fallbacks == []


async def test_learn_from_correct_fixes_one_low_level_request_per_example():
    client = script(attempt=lambda q: "Answer: 7" if q == "2 @ 3?" else "Answer: 9")
    solution = await optimize(client, learn_from_correct=True)
    assert solution.metadata.engine_requests == 2 * 2 + 2
    assert len(client.calls[1].prompts) == 2


async def test_no_mistakes_answers_directly_with_a_noted_fallback():
    client = script(attempt=lambda q: "Answer: 7" if q == "2 @ 3?" else "Answer: 9")
    solution = await optimize(client)
    assert solution.metadata.fallbacks == ["the model made no mistakes on the examples; answered without principles"]
    assert solution.metadata.selection_rule == "direct" and solution.metadata.engine_calls == 2


async def test_a_query_without_examples_asks_the_model_then_answers_directly():
    client = script()
    solution = await optimize(client, query="What is 5 @ 2?")
    assert [c.tags[0] for c in client.calls] == ["extract", "answer"]
    assert solution.metadata.fallbacks == ["no few-shot examples in the query; answered without principles"]
    assert solution.answer == "3"


async def test_examples_the_model_extracts_are_used():
    client = script(extracted="Question: 2 @ 3?\nAnswer: 7")
    solution = await optimize(client, query="Given 2 @ 3 = 7, what is 5 @ 2?")
    assert [c.tags[0] for c in client.calls] == [
        "extract",
        "attempt",
        "low_level",
        "high_level",
        "answer",
    ]
    assert solution.metadata.details["examples"] == [{"question": "2 @ 3?", "answer": "7"}]


async def test_without_model_extraction_a_plain_query_costs_one_call():
    client = script()
    solution = await optimize(client, query="What is 5 @ 2?", extract_with_model=False)
    assert solution.metadata.engine_calls == 1


async def test_untagged_and_empty_responses_never_crash():
    client = ScriptedClient(lambda prompt, sampling: "")
    solution = await optimize(client)
    notes = solution.metadata.fallbacks
    assert "no <principle> tags in a response; used its whole text" in notes
    assert "no high-level principles written; used the low-level ones" in notes
    assert solution.answer == "" and solution.metadata.engine_calls == 4


def test_examples_are_read_from_labelled_pairs():
    text = "Question: What is 1 + 1?\nAnswer: 2\n\nInput: abc\nOutput: cba\nQ: last one?\nA:"
    assert [(e.question, e.answer) for e in find_examples(text)] == [
        ("What is 1 + 1?", "2"),
        ("abc", "cba"),
    ]
