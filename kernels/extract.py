"""Answer extraction: pull the final answer out of a model's full response.

Rules, tried in this order (the first that finds a non-empty answer wins):

1. ``BOXED``: the last ``\\boxed{...}`` / ``\\fbox{...}`` with balanced braces.
2. ``ANSWER_IS``: the last "(the) (final) answer is X" (case-insensitive).
3. ``ANSWER_LABEL``: the last "Answer: X" (case-insensitive, markdown bold allowed).
4. ``HASHES``: the last GSM8K-style ``#### X`` line.
5. ``CODE_BLOCK``: the last closed fenced code block (kinds "auto" and "code").
6. ``LAST_NUMBER``: the last number in the tail of the response (kinds "auto" and "math").

Kind "code" uses rule 5 only. Thinking sections are skipped first (see
``strip_thinking``). Nothing here raises on any input: a response that is not a
``str`` (``None``, bytes, ...) gives ``NO_ANSWER``. All regexes are linear-time
and the marker rules only read the last ``MARKER_TAIL_CHARS`` characters.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Literal

from kernels._braces import brace_group_end

__all__ = [
    "AnswerKind",
    "AnswerRule",
    "Extraction",
    "NO_ANSWER",
    "extract_answer",
    "extract_boxed",
    "strip_thinking",
]

AnswerKind = Literal["auto", "math", "code"]

MARKER_TAIL_CHARS = 65_536
"""How many trailing characters the "answer is" / "Answer:" / "####" rules read."""

NUMBER_TAIL_CHARS = 2048
"""How many trailing characters the last-number fallback reads."""

MAX_BOXED_TRIES = 16
"""How many ``\\boxed`` occurrences (from the end) are tried before giving up."""

MAX_ANSWER_CHARS = 1000
"""Longest answer a marker rule returns; longer values are cut at this length."""

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
_BOX_COMMANDS = ("\\boxed", "\\fbox")
_BOX_BRACE_RE = re.compile(r"[ \t]*\{")
_BARE_BOX_RE = re.compile(r"[ \t]+([^\s${}]+)")
_ANSWER_IS_RE = re.compile(r"\banswer\s+is\b[:\s]*([^\n]*)", re.IGNORECASE)
_ANSWER_LABEL_RE = re.compile(r"\banswer[ \t*]*:[\s*]*([^\n]*)", re.IGNORECASE)
_HASHES_RE = re.compile(r"^[ \t]*####[ \t]*([^\n]*)", re.MULTILINE)
_FENCE_RE = re.compile(r"^[ \t]*```", re.MULTILINE)
_NUMBER_RE = re.compile(r"(?<![\w.])-?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)")
_SENTENCE_END_RE = re.compile(r"\.(?:\s|$)")


class AnswerRule(str, enum.Enum):
    """Which extraction rule produced an answer (``NONE``: no answer found).

    Example:
        >>> extract_answer("#### 12").rule
        <AnswerRule.HASHES: 'hashes'>
    """

    BOXED = "boxed"
    ANSWER_IS = "answer_is"
    ANSWER_LABEL = "answer_label"
    HASHES = "hashes"
    CODE_BLOCK = "code_block"
    LAST_NUMBER = "last_number"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Extraction:
    """An extracted answer and the rule that found it.

    Example:
        >>> Extraction("42", AnswerRule.HASHES).found
        True
    """

    answer: str
    """The raw answer text (not normalized); ``""`` when ``rule`` is ``NONE``."""
    rule: AnswerRule
    """The rule that fired."""

    @property
    def found(self) -> bool:
        """Whether any rule fired."""
        return self.rule is not AnswerRule.NONE


NO_ANSWER = Extraction("", AnswerRule.NONE)


def strip_thinking(response: str) -> str:
    """The visible part of a response: text outside ``<think>`` sections.

    With a ``</think>``, the text after the last one (a missing ``<think>`` is
    tolerated, as some models only emit the closing tag). With only an
    unclosed ``<think>``, the text before it.

    Example:
        >>> strip_thinking("<think>maybe 3</think>It is 4.")
        'It is 4.'
    """
    close = response.rfind(_THINK_CLOSE)
    if close >= 0:
        return response[close + len(_THINK_CLOSE) :]
    opened = response.find(_THINK_OPEN)
    return response if opened < 0 else response[:opened]


def extract_boxed(text: str) -> str | None:
    """Content of the last balanced ``\\boxed{...}`` or ``\\fbox{...}``, else None.

    Example:
        >>> extract_boxed(r"\\boxed{1} then \\boxed{\\frac{1}{2}}")
        '\\\\frac{1}{2}'
    """
    end = len(text)
    for _ in range(MAX_BOXED_TRIES):
        start, command = max((text.rfind(cmd, 0, end), cmd) for cmd in _BOX_COMMANDS)
        if start < 0:
            return None
        content = _box_content(text, start + len(command))
        if content is not None:
            return content
        end = start
    return None


def _box_content(text: str, after: int) -> str | None:
    """Argument of a box command whose name ends at ``after``: ``{...}`` or ``\\boxed 5``."""
    brace = _BOX_BRACE_RE.match(text, after)
    if brace is not None:
        close = brace_group_end(text, brace.end() - 1)
        return None if close < 0 else text[brace.end() : close - 1].strip()
    bare = _BARE_BOX_RE.match(text, after)
    return None if bare is None else bare.group(1)


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The last match of ``pattern`` in ``text`` (one linear scan)."""
    last = None
    for match in pattern.finditer(text):
        last = match
    return last


def _clip_sentence(value: str) -> str:
    """Cut "5. I hope it is correct." to "5"; keep a leading ``$...$`` whole."""
    if value.startswith("$"):
        close = value.find("$", 1)
        if close > 0:
            return value[: close + 1]
    end = _SENTENCE_END_RE.search(value)
    return (value if end is None else value[: end.start()])[:MAX_ANSWER_CHARS].strip()


def _last_code_block(text: str) -> str | None:
    """Content of the last closed fenced code block (fences pair up in order)."""
    fences = [match.start() for match in _FENCE_RE.finditer(text)]
    if len(fences) < 2:
        return None
    last_open = len(fences) - 2 if len(fences) % 2 == 0 else len(fences) - 3
    opener, closer = fences[last_open], fences[last_open + 1]
    body_start = text.find("\n", opener)
    if body_start < 0 or body_start >= closer:
        return None
    return text[body_start + 1 : closer].rstrip() or None


def _last_number(text: str) -> str | None:
    """The last number in the final ``NUMBER_TAIL_CHARS`` characters."""
    last = _last_match(_NUMBER_RE, text[-NUMBER_TAIL_CHARS:])
    return None if last is None else last.group()


def _marker_answer(visible: str) -> Extraction | None:
    """Rules 1-4: boxed, "answer is", "Answer:", "####"."""
    boxed = extract_boxed(visible)
    if boxed:
        return Extraction(boxed[:MAX_ANSWER_CHARS], AnswerRule.BOXED)
    tail = visible[-MARKER_TAIL_CHARS:]
    for pattern, rule in (
        (_ANSWER_IS_RE, AnswerRule.ANSWER_IS),
        (_ANSWER_LABEL_RE, AnswerRule.ANSWER_LABEL),
        (_HASHES_RE, AnswerRule.HASHES),
    ):
        last = _last_match(pattern, tail)
        clipped = "" if last is None else _clip_sentence(last.group(1).strip().strip("*"))
        if clipped:
            return Extraction(clipped, rule)
    return None


def extract_answer(response: str | None, *, kind: AnswerKind = "auto") -> Extraction:
    """Extract the final answer of ``response`` (see the module docstring for the rules).

    ``kind``: "math" (markers, then last number), "code" (last fenced code
    block only) or "auto" (markers, then code block, then last number).
    Never raises on any ``response``; raises ``ValueError`` for an unknown ``kind``.

    Example:
        >>> extract_answer("<think>2+2=5?</think>So 2+2 = \\\\boxed{4}.")
        Extraction(answer='4', rule=<AnswerRule.BOXED: 'boxed'>)
    """
    if kind not in ("auto", "math", "code"):
        raise ValueError(f"kind must be 'auto', 'math' or 'code', got {kind!r}")
    if not isinstance(response, str) or not response:
        return NO_ANSWER
    visible = strip_thinking(response)
    if kind != "code":
        marked = _marker_answer(visible)
        if marked is not None:
            return marked
    if kind != "math":
        code = _last_code_block(visible)
        if code is not None:
            return Extraction(code, AnswerRule.CODE_BLOCK)
    if kind != "code":
        number = _last_number(visible)
        if number is not None:
            return Extraction(number, AnswerRule.LAST_NUMBER)
    return NO_ANSWER
