"""Canonical answer keys: equal answers get equal ``str`` keys; ``""`` means no answer.

Key formats, tried in this order on the cleaned answer:

1. ``""``: no answer (``None``, not a ``str``, empty or only wrappers/punctuation).
2. Multiple choice: one uppercase letter, from ``"B"``, ``"(b)"``, ``"B."``, ``"B)"``,
   ``"[B]"``, ``"option B"``, ``"(B) 42"``, ``"answer is b"``. Any single letter is a choice key.
3. Numbers: see ``kernels.numeric`` (``"1000"``, ``"-1/2"``, ``"50%"``).
4. Code (``answer_key`` on a fenced code block): lines with trailing whitespace
   removed, blank lines dropped, common indentation removed; case kept.
5. Other text: LaTeX wrappers removed (``kernels.latex``), whitespace collapsed and
   dropped next to symbols (``"( 1, 2 )"`` -> ``"(1,2)"``, ``"New  York"`` -> ``"new york"``),
   lowercased unless it holds a LaTeX command (``\\Delta`` differs from ``\\delta``).

Cleaning before that: math delimiters, ``\\boxed{}``, a leading "the final answer
is" / "Answer:", a trailing period, and a leading single-variable assignment
(``"x = 5"`` -> ``"5"``; not when the rest holds another ``=``).
"""

from __future__ import annotations

import re
import textwrap

from kernels.extract import AnswerKind, AnswerRule, extract_answer
from kernels.latex import simplify_latex
from kernels.numeric import canonical_number

__all__ = ["MAX_KEY_CHARS", "answer_key", "normalize_answer"]

MAX_KEY_CHARS = 2000
"""Answers longer than this are cut before normalization (keys stay cheap to hash)."""

_ANSWER_PREFIX_RE = re.compile(
    r"^(?:(?:the\s+)?(?:final\s+)?(?:correct\s+)?answer\s*(?:is\b\s*:?|:)\s*)+(?=\S)",
    re.IGNORECASE,
)
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z](?:_\{?\w{1,8}\}?)?\s*=\s*(?=[^=]+$)")
_CHOICE_RE = re.compile(r"(?:(?:option|choice)\s*)?[(\[]?([A-Za-z])[)\]]?[.:]?", re.IGNORECASE)
_CHOICE_WITH_TEXT_RE = re.compile(r"\(([A-Za-z])\)\s")
_WHITESPACE_RE = re.compile(r"\s+")
_SPACE_NEXT_TO_SYMBOL_RE = re.compile(r"(?<=\W) | (?=\W)")
_LATEX_COMMAND_RE = re.compile(r"\\[A-Za-z]")


def _trim(text: str) -> str:
    """Surrounding whitespace and trailing periods/semicolons removed (``".5"`` stays)."""
    return text.strip().rstrip(".;").rstrip()


def _clean(answer: str) -> str:
    """Strip delimiters, wrappers, answer phrases, a trailing period and ``x =``;
    collapse whitespace and drop it next to symbols."""
    text = simplify_latex(answer[:MAX_KEY_CHARS])
    text = _ANSWER_PREFIX_RE.sub("", text, count=1)
    text = _trim(simplify_latex(text))
    text = _trim(_ASSIGNMENT_RE.sub("", text, count=1))
    return _SPACE_NEXT_TO_SYMBOL_RE.sub("", _WHITESPACE_RE.sub(" ", text))


def _choice_letter(text: str) -> str | None:
    """``"(b)"`` / ``"B."`` / ``"option B"`` / ``"(B) 42"`` -> ``"B"``."""
    match = _CHOICE_RE.fullmatch(text) or _CHOICE_WITH_TEXT_RE.match(text)
    return None if match is None else match.group(1).upper()


def _canonical_text(text: str) -> str:
    """Lowercase plain text; keep the case of text holding LaTeX commands."""
    return text if _LATEX_COMMAND_RE.search(text) else text.casefold()


def _canonical_code(code: str) -> str:
    """Trailing whitespace and blank lines removed, common indentation removed."""
    lines = [line.rstrip() for line in code.splitlines()]
    return textwrap.dedent("\n".join(line for line in lines if line))


def normalize_answer(answer: str | None, *, percent_as_fraction: bool = False) -> str:
    """The canonical key of an extracted answer (formats in the module docstring).

    ``percent_as_fraction``: map ``"50%"`` to ``"1/2"`` instead of keeping ``"50%"``.
    Never raises; returns ``""`` for no answer.

    Example:
        >>> [normalize_answer(a) for a in ("$\\\\dfrac12$", "0.50", "(b)", " New  York. ")]
        ['1/2', '1/2', 'B', 'new york']
    """
    if not isinstance(answer, str):
        return ""
    text = _clean(answer)
    if not text.strip("()[]{}$"):
        return ""
    choice = _choice_letter(text)
    if choice is not None:
        return choice
    number = canonical_number(text, percent_as_fraction=percent_as_fraction)
    return number if number is not None else _canonical_text(text)


def answer_key(response: str | None, *, kind: AnswerKind = "auto", percent_as_fraction: bool = False) -> str:
    """Extract the final answer of a full response, then normalize it to a key.

    ``kind`` is passed to ``extract_answer``; a code block answer gets the code
    key (format 4 in the module docstring). Never raises on any ``response``.

    Example:
        >>> answer_key("<think>hmm</think>The final answer is $1{,}000$.")
        '1000'
    """
    extraction = extract_answer(response, kind=kind)
    if extraction.rule is AnswerRule.CODE_BLOCK:
        return _canonical_code(extraction.answer)
    return normalize_answer(extraction.answer, percent_as_fraction=percent_as_fraction)
