"""LaTeX wrapper removal: turn typeset answers into plain, comparable text.

``simplify_latex`` removes what does not change an answer's value: math
delimiters (``$...$``, ``\\(...\\)``, ``\\[...\\]``), ``\\boxed``/``\\fbox``,
``\\text{}``-style and ``\\mathrm{}``-style font commands, ``\\left``/``\\right``,
spacing commands (``\\,`` ``\\!`` ``\\;`` ``\\:`` ``~``), ``\\displaystyle``,
degree marks (``^\\circ``, ``^{\\circ}``, ``°``); it rewrites ``\\dfrac``/``\\tfrac``
to ``\\frac``, ``\\frac12`` to ``\\frac{1}{2}``, ``\\sqrt2`` to ``\\sqrt{2}``,
``{,}`` to ``,``, ``\\%`` to ``%``, ``\\$`` to ``$`` and Unicode minus signs to ``-``.
"""

from __future__ import annotations

import re

from kernels._braces import unwrap_commands

__all__ = ["simplify_latex", "strip_math_delimiters"]

_TEXT_MODE_RE = re.compile(r"\\(?:text(?:rm|bf|it|sf|tt|normal)?|mbox)\s*(?=\{)")
_MATH_FONT_RE = re.compile(r"\\(?:math(?:rm|bf|it|sf|tt)|operatorname|boxed|fbox)\s*(?=\{)")
_SIZING_RE = re.compile(r"\\(?:left|right|[bB]igg?[lr]?)(?![A-Za-z])\s*\.?")
_DROPPED_RE = re.compile(r"\\[!,]|\\(?:displaystyle|textstyle)(?![A-Za-z])")
_SPACES_RE = re.compile(r"\\[;: ]|~|\\q?quad(?![A-Za-z])")
_DEGREE_RE = re.compile(r"\^\s*(?:\{\s*\\circ\s*\}|\\circ)|°|\\degree(?![A-Za-z])")
_FRAC_ALIAS_RE = re.compile(r"\\[dtc]frac(?![A-Za-z])")
_BINOM_ALIAS_RE = re.compile(r"\\[dt]binom(?![A-Za-z])")
_FRAC_ARG = r"(\{[^{}]*\}|[^\s{}\\])"
_FRAC_SHORT_RE = re.compile(rf"\\frac\s*{_FRAC_ARG}\s*{_FRAC_ARG}")
_SQRT_SHORT_RE = re.compile(r"\\sqrt\s*([^\s{}\\\[])")
_MINUS_TABLE = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00a0": " ", "\u202f": " "})
_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))


def strip_math_delimiters(text: str) -> str:
    """Remove one pair of math delimiters that wrap the whole (stripped) text.

    Example:
        >>> strip_math_delimiters(r"$\\frac{1}{2}$")
        '\\\\frac{1}{2}'
    """
    text = text.strip()
    for opener, closer in _DELIMITERS:
        inner_len = len(text) - len(opener) - len(closer)
        if inner_len > 0 and text.startswith(opener) and text.endswith(closer):
            return text[len(opener) : len(text) - len(closer)].strip()
    return text


def _brace_arg(arg: str) -> str:
    """``1`` -> ``{1}``; ``{1}`` stays."""
    return arg if arg.startswith("{") else f"{{{arg}}}"


def simplify_latex(text: str) -> str:
    """Remove LaTeX wrappers that do not change an answer's value (see module docstring).

    Example:
        >>> simplify_latex(r"$\\left( \\dfrac12, 30^{\\circ} \\right)$")
        '( \\\\frac{1}{2}, 30 )'
    """
    text = strip_math_delimiters(text.translate(_MINUS_TABLE))
    text = unwrap_commands(text, _TEXT_MODE_RE, pad=" ")
    text = unwrap_commands(text, _MATH_FONT_RE)
    text = strip_math_delimiters(text)
    text = _SIZING_RE.sub("", text)
    text = _DROPPED_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text)
    text = _DEGREE_RE.sub("", text)
    text = _FRAC_ALIAS_RE.sub(r"\\frac", text)
    text = _BINOM_ALIAS_RE.sub(r"\\binom", text)
    text = _FRAC_SHORT_RE.sub(lambda m: f"\\frac{_brace_arg(m.group(1))}{_brace_arg(m.group(2))}", text)
    text = _SQRT_SHORT_RE.sub(r"\\sqrt{\1}", text)
    return text.replace("{,}", ",").replace("\\%", "%").replace("\\$", "$").strip()
