"""Tests for kernels.extract: which rule fires, what it returns, and that nothing raises."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels import _braces
from kernels import extract as extract_module
from kernels._braces import MAX_GROUP_CHARS
from kernels.extract import (
    MARKER_TAIL_CHARS,
    MAX_BOXED_TRIES,
    NO_ANSWER,
    NUMBER_TAIL_CHARS,
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


class RegexWork:
    """Counts the work of every regex call in ``kernels.extract`` and ``kernels._braces``.

    ``scanned``: characters handed to scanning calls (``search``, ``finditer``, ...), i.e. the
    ``pos:endpos`` window each may read; ``anchored``: number of ``match`` calls (anchored at one
    position, they read only what they match). Exceeding ``budget`` raises at once, so a
    quadratic regression fails fast instead of running for minutes.
    """

    SCANS = frozenset({"search", "finditer", "findall", "fullmatch", "sub", "subn"})

    def __init__(self) -> None:
        self.budget = 0
        self.scanned = 0
        self.anchored = 0

    def count(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if method == "match":
            self.anchored += 1
            return
        if method in ("sub", "subn"):
            window = len(args[1] if len(args) > 1 else kwargs["string"])
        else:
            string = args[0] if args else kwargs["string"]
            pos = args[1] if len(args) > 1 else kwargs.get("pos", 0)
            endpos = args[2] if len(args) > 2 else kwargs.get("endpos", len(string))
            window = max(0, min(len(string), endpos) - pos)
        self.scanned += window
        assert self.scanned <= self.budget, f"regex scans read more than {self.budget} characters"


class _CountedPattern:
    """A compiled pattern whose calls are counted by a ``RegexWork``."""

    def __init__(self, pattern: re.Pattern[str], work: RegexWork) -> None:
        self._pattern, self._work = pattern, work

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._pattern, name)
        if name != "match" and name not in RegexWork.SCANS:
            return method

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._work.count(name, args, kwargs)
            return method(*args, **kwargs)

        return counted


@pytest.fixture
def regex_work(monkeypatch: pytest.MonkeyPatch) -> RegexWork:
    """Every module-level pattern of the extraction code, counted."""
    work = RegexWork()
    for module in (extract_module, _braces):
        for name, value in list(vars(module).items()):
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, name, _CountedPattern(value, work))
    return work


def linear_budget(response: str) -> int:
    """One pass over the response (the code-fence scan) plus the fixed windows of the other rules:
    the three marker regexes and their sentence clipping over the last ``MARKER_TAIL_CHARS``, the
    last-number regex over ``NUMBER_TAIL_CHARS``, and at most ``MAX_BOXED_TRIES`` brace groups of
    at most ``MAX_GROUP_CHARS`` each."""
    return len(response) + 6 * MARKER_TAIL_CHARS + NUMBER_TAIL_CHARS + MAX_BOXED_TRIES * MAX_GROUP_CHARS


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("{" * 1_000_000, NO_ANSWER),
        ("\\boxed{" + "{" * 1_000_000, NO_ANSWER),
        ("\\boxed{" * 200_000, NO_ANSWER),
        ("answer " * 200_000, NO_ANSWER),
        ("Answer:" + " " * 1_000_000, NO_ANSWER),
        ("1," * 500_000, Extraction("1", AnswerRule.LAST_NUMBER)),
        ("```\n" * 300_000 + "x", NO_ANSWER),
        ("<think>" * 100_000, NO_ANSWER),
        ("ü" * 1_000_000 + "\\boxed{ü}", Extraction("ü", AnswerRule.BOXED)),
    ],
    ids=["braces", "open-boxed", "boxed", "answer-words", "spaces", "commas", "fences", "think", "unicode"],
)
def test_megabyte_adversarial_responses_are_extracted_in_linear_work(
    response: str, expected: Extraction, regex_work: RegexWork
) -> None:
    """No catastrophic backtracking or quadratic rescans on megabyte inputs, checked without a clock.

    A wall-clock bound fails on a loaded machine and passes on a fast one whatever the code
    does, so this checks two deterministic things instead: the exact result on each
    pathological input, and the regex work, counted on every call: the characters handed to
    regex scans stay within ``linear_budget`` (one pass plus the module's fixed windows), and
    anchored box matches stay within two per tried ``\\boxed``. Dropping a tail window, the
    ``MAX_BOXED_TRIES`` cap or the brace-group limit, or rescanning the response per marker,
    exceeds the budget. Backtracking inside a single call is not counted: the windows bound its
    input, and pytest-timeout turns a hang into a failure.
    """
    regex_work.budget = linear_budget(response)
    assert extract_answer(response) == expected
    assert regex_work.anchored <= 2 * MAX_BOXED_TRIES


_UNCAPPED = 10**9


@pytest.mark.parametrize(
    ("response", "name", "uncapped"),
    [
        ("answer " * 200_000, "MARKER_TAIL_CHARS", _UNCAPPED),
        ("1," * 500_000, "NUMBER_TAIL_CHARS", _UNCAPPED),
        ("\\boxed{" * 200_000, "MAX_BOXED_TRIES", _UNCAPPED),
        ("\\boxed{" + "{" * 1_000_000, "brace_group_end", functools.partial(_braces.brace_group_end, limit=_UNCAPPED)),
    ],
    ids=["marker-tail", "number-tail", "boxed-tries", "brace-group-limit"],
)
def test_linear_work_check_fails_without_the_caps(
    response: str, name: str, uncapped: object, regex_work: RegexWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The work check above is not vacuous: lifting any one cap makes it fail (and fail fast)."""
    regex_work.budget = linear_budget(response)
    monkeypatch.setattr(extract_module, name, uncapped)
    with pytest.raises(AssertionError, match="regex scans read more than"):
        extract_answer(response)


@PROPERTY
@given(st.text(alphabet=st.sampled_from(list("\\boxed{}fAnswer:is#123.,-$ \n<think>/`é")), max_size=300))
def test_never_raises_on_marker_soup(response: str) -> None:
    result = extract_answer(response)
    assert result.found == bool(result.answer)


@PROPERTY
@given(st.text(max_size=500))
def test_never_raises_on_arbitrary_unicode(response: str) -> None:
    assert isinstance(extract_answer(response).answer, str)
