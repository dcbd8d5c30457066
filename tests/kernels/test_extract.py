"""Tests for kernels.extract: which rule fires, what it returns, and that nothing raises."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.extract import (
    NO_ANSWER,
    AnswerRule,
    Extraction,
    extract_answer,
    extract_boxed,
    strip_thinking,
)

# Property tests: enough examples to find edge cases, no example database on disk.
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def test_last_boxed_wins() -> None:
    assert extract_answer(r"first \boxed{1}, finally \boxed{2}") == Extraction("2", AnswerRule.BOXED)


def test_boxed_keeps_nested_braces() -> None:
    assert extract_answer(r"so \boxed{\frac{1}{\sqrt{2}}}.").answer == r"\frac{1}{\sqrt{2}}"


def test_fbox_counts_as_boxed() -> None:
    assert extract_answer(r"\fbox{7}") == Extraction("7", AnswerRule.BOXED)


def test_boxed_without_braces_takes_one_token() -> None:
    assert extract_answer(r"$\boxed 7$").answer == "7"


def test_unbalanced_last_boxed_falls_back_to_earlier_one() -> None:
    assert extract_answer(r"\boxed{3} and then \boxed{4").answer == "3"


def test_escaped_braces_inside_boxed_do_not_count() -> None:
    assert extract_boxed(r"\boxed{\{1, 2\}}") == r"\{1, 2\}"


def test_boxed_beats_later_answer_label() -> None:
    assert extract_answer("\\boxed{5}\nAnswer: 6").rule is AnswerRule.BOXED


def test_final_answer_is_cuts_the_trailing_sentence() -> None:
    response = "Final Answer: The final answer is $12$. I hope it is correct."
    assert extract_answer(response) == Extraction("$12$", AnswerRule.ANSWER_IS)


def test_answer_is_rule_is_case_insensitive_and_takes_last() -> None:
    response = "The answer is 3? No.\nTHE ANSWER IS 4."
    assert extract_answer(response) == Extraction("4", AnswerRule.ANSWER_IS)


def test_answer_label_allows_markdown_bold() -> None:
    assert extract_answer("**Answer:** (C)") == Extraction("(C)", AnswerRule.ANSWER_LABEL)


def test_answer_label_reads_the_next_line_when_its_own_is_empty() -> None:
    assert extract_answer("Answer:\n\n  42\n").answer == "42"


def test_gsm8k_hashes_line() -> None:
    assert extract_answer("3 + 4 = 7 apples\n#### 7") == Extraction("7", AnswerRule.HASHES)


def test_last_number_is_the_math_fallback() -> None:
    assert extract_answer("We get 3, then 1,250.5 in total.") == Extraction("1,250.5", AnswerRule.LAST_NUMBER)


def test_last_number_keeps_a_negative_sign() -> None:
    assert extract_answer("the slope is -3").answer == "-3"


def test_code_kind_takes_last_closed_fenced_block() -> None:
    response = "```python\nx = 1\n```\nbetter:\n```python\nx = 2\n```\n```\nunclosed"
    assert extract_answer(response, kind="code") == Extraction("x = 2", AnswerRule.CODE_BLOCK)


def test_code_kind_ignores_numbers() -> None:
    assert extract_answer("It takes 3 lines.", kind="code") == NO_ANSWER


def test_math_kind_ignores_code_blocks() -> None:
    assert extract_answer("```\nprint(2)\n```\nso 5", kind="math").answer == "5"


def test_auto_kind_prefers_code_block_over_last_number() -> None:
    assert extract_answer("```\nprint(2)\n```\nruns in 5 ms").rule is AnswerRule.CODE_BLOCK


def test_unknown_kind_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="kind"):
        extract_answer("1", kind="prose")  # type: ignore[arg-type]


def test_thinking_section_is_skipped() -> None:
    assert extract_answer("<think>\\boxed{1}</think>Answer: 2").answer == "2"


def test_unclosed_thinking_with_nothing_after_is_no_answer() -> None:
    assert extract_answer("<think>I believe \\boxed{9} but let me") == NO_ANSWER


def test_closing_tag_without_opening_tag_hides_the_reasoning() -> None:
    assert strip_thinking("reasoning 1 2 3</think>final") == "final"


def test_text_before_an_unclosed_think_stays_visible() -> None:
    assert strip_thinking("Answer: 4<think>hmm") == "Answer: 4"


@pytest.mark.parametrize("response", [None, "", "   ", "no digits here", b"\\boxed{1}", 42])
def test_no_answer_instead_of_garbage(response: object) -> None:
    assert extract_answer(response) == NO_ANSWER  # type: ignore[arg-type]


def test_non_ascii_answers_survive_whole() -> None:
    assert extract_answer("Ответ дан. Answer: 北京市 ✓").answer == "北京市 ✓"


@pytest.mark.parametrize(
    "response",
    [
        "{" * 1_000_000,
        "\\boxed{" * 200_000,
        "answer " * 200_000,
        "Answer:" + " " * 1_000_000,
        "1," * 500_000,
        "```\n" * 300_000 + "x",
        "<think>" * 100_000,
        "ü" * 1_000_000 + "\\boxed{ü}",
    ],
    ids=["braces", "boxed", "answer-words", "spaces", "commas", "fences", "think", "unicode"],
)
def test_megabyte_adversarial_responses_finish_quickly(response: str) -> None:
    start = time.perf_counter()
    extract_answer(response)
    assert time.perf_counter() - start < 2.0


@PROPERTY
@given(st.text(alphabet=st.sampled_from(list("\\boxed{}fAnswer:is#123.,-$ \n<think>/`é")), max_size=300))
def test_never_raises_on_marker_soup(response: str) -> None:
    result = extract_answer(response)
    assert result.found == bool(result.answer)


@PROPERTY
@given(st.text(max_size=500))
def test_never_raises_on_arbitrary_unicode(response: str) -> None:
    assert isinstance(extract_answer(response).answer, str)
