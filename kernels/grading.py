"""Grading a candidate answer against a reference answer.

Canonical keys first (``normalize_answer``); when the keys differ and the
optional ``math_verify`` package is importable, its symbolic check second.
``math_verify`` is imported lazily, at most once; its errors (anything it
raises) count as "not equal", and long inputs are not sent to it. Its own
timeouts use ``signal.alarm``, which only works in the main thread, so off the
main thread grading is by key only (an unbounded symbolic check could hang a
worker).
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
from types import ModuleType

from kernels.extract import AnswerKind, extract_answer
from kernels.normalize import normalize_answer

__all__ = ["MATH_VERIFY_MAX_CHARS", "MATH_VERIFY_TIMEOUT_S", "grade_response", "is_correct"]

logger = logging.getLogger(__name__)

MATH_VERIFY_MAX_CHARS = 300
"""Answers longer than this are graded by key only (symbolic parsing can be slow)."""

MATH_VERIFY_TIMEOUT_S = 3
"""Seconds ``math_verify`` may spend parsing or comparing (main thread only)."""


@functools.cache
def _math_verify() -> ModuleType | None:
    """The ``math_verify`` module, or None when it is not installed."""
    try:
        return importlib.import_module("math_verify")
    except ImportError:
        return None


def _as_math(text: str) -> str:
    """Wrap an answer in ``$...$`` so ``math_verify`` parses it as LaTeX."""
    text = text.strip()
    return text if text.startswith(("$", "\\(", "\\[")) else f"${text}$"


def _symbolically_equal(candidate: str, reference: str) -> bool:
    """``math_verify``'s verdict; False when unavailable, off the main thread, too long,
    failing or timed out."""
    if threading.current_thread() is not threading.main_thread():
        return False
    if max(len(candidate), len(reference)) > MATH_VERIFY_MAX_CHARS:
        return False
    module = _math_verify()
    if module is None:
        return False
    timeout = MATH_VERIFY_TIMEOUT_S
    try:
        gold = module.parse(_as_math(reference), parsing_timeout=timeout)
        target = module.parse(_as_math(candidate), parsing_timeout=timeout)
        return bool(gold and target and module.verify(gold, target, timeout_seconds=timeout))
    except Exception as error:  # math_verify and sympy raise many unrelated types
        logger.debug("math_verify failed on %r vs %r: %r", candidate, reference, error)
        return False


def is_correct(candidate: str | None, reference: str) -> bool:
    """Whether ``candidate`` (an extracted answer) matches ``reference``.

    A missing candidate (key ``""``) is never correct. Never raises.

    Example:
        >>> is_correct("$\\\\dfrac{1}{2}$", "0.5")
        True
    """
    candidate_key = normalize_answer(candidate)
    reference_key = normalize_answer(reference)
    if not candidate_key or not reference_key:
        return False
    if candidate_key == reference_key:
        return True
    return isinstance(candidate, str) and _symbolically_equal(candidate, reference)


def grade_response(response: str | None, reference: str, *, kind: AnswerKind = "auto") -> bool:
    """Extract the final answer of a full ``response``, then ``is_correct`` it.

    Example:
        >>> grade_response("So the total is 1,000 apples.\\n#### 1000", "1000")
        True
    """
    return is_correct(extract_answer(response, kind=kind).answer, reference)
