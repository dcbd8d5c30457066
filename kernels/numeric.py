"""Numeric answers to canonical keys via ``fractions.Fraction``.

Canonical number key (the one form every spelling of a value maps to):

* integers as plain decimal digits with an optional ``-``: ``"1000"``, ``"-3"``, ``"0"``
  (so ``"-0"``, ``"5.00"``, ``"1,000"``, ``"1e3"`` are ``"0"``, ``"5"``, ``"1000"``, ``"1000"``);
* other rationals as a reduced fraction ``"p/q"`` with ``q > 1`` and the sign on
  ``p``: ``"0.50"``, ``".5"``, ``"1/2"``, ``"\\frac{1}{2}"`` are all ``"1/2"``;
  ``"-0.125"`` is ``"-1/8"``. Decimals are exact (``"0.333"`` is ``"333/1000"``, not ``"1/3"``);
* a trailing ``%`` (or the word "percent") keeps a separate key, the number key
  of the value followed by ``%`` (``"50%"``, ``"25/2%"``), unless
  ``percent_as_fraction=True``, which divides by 100 (``"50%"`` -> ``"1/2"``).

Accepted spellings: optional sign and currency ``$`` (``"-$5"``, ``"$-5"``),
thousands commas (``"1,000"``), decimals, ``e`` exponents and ``\\times 10^{n}``,
``a/b`` and ``\\frac{a}{b}`` of such numbers, and trailing unit words separated
by a space (``"5 apples"``, ``"12 cm"``, ``"3 dollars"``, ``"60 miles per hour"``).
Anything longer than ``MAX_NUMBER_CHARS`` is not treated as a number.
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["MAX_NUMBER_CHARS", "canonical_number", "format_fraction", "parse_number"]

MAX_NUMBER_CHARS = 120
"""Longest text parsed as a number (bounds the cost of ``Fraction`` on huge digit strings)."""

_DECIMAL = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+"
_PLAIN_RE = re.compile(
    rf"(?P<sign>[+-]?)(?P<mantissa>{_DECIMAL})"
    r"(?:[eE](?P<exp>[+-]?\d{1,3})|\s*(?:\\times|\\cdot|×|\*)\s*10\^\{?(?P<exp10>[+-]?\d{1,3})\}?)?"
)
_SIGN_CURRENCY_RE = re.compile(r"(?P<sign1>[+-]?)\s*(?:\$\s*)?(?P<sign2>[+-]?)\s*")
_FRAC_RE = re.compile(r"\\frac\{(?P<num>[^{}]+)\}\{(?P<den>[^{}]+)\}")
_SLASH_RE = re.compile(r"(?P<num>[^/]+)/(?P<den>[^/]+)")
_PERCENT_RE = re.compile(r"\s*(?:%|percent)$", re.IGNORECASE)
_UNIT_WORD = r"[A-Za-z]{2,}\.?(?:\^\{?\d\}?)?"
_UNIT_TAIL_RE = re.compile(rf"\s+(?P<unit>{_UNIT_WORD}(?:(?:\s+|/){_UNIT_WORD}){{0,2}})$")
_NOT_UNITS = frozenset(
    {"pi", "sqrt", "and", "or", "to", "times", "over", "plus", "minus", "ln", "log"}
    | {"sin", "cos", "tan", "exp", "mod", "divided", "choose"}
)


def format_fraction(value: Fraction) -> str:
    """The canonical key of a rational: ``"n"`` for integers, else reduced ``"p/q"``.

    Example:
        >>> format_fraction(Fraction(-2, 4))
        '-1/2'
    """
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def _parse_plain(text: str) -> Fraction | None:
    """A signed decimal with optional exponent, e.g. ``"-1,000.5e-2"``."""
    match = _PLAIN_RE.fullmatch(text.strip())
    if match is None:
        return None
    value = Fraction(match["mantissa"].replace(",", ""))
    exponent = match["exp"] or match["exp10"]
    if exponent is not None:
        value *= Fraction(10) ** int(exponent)
    return -value if match["sign"] == "-" else value


def _parse_ratio(num: str, den: str) -> Fraction | None:
    """``num / den`` when both are plain numbers and ``den`` is not zero."""
    numerator, denominator = _parse_plain(num), _parse_plain(den)
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _parse_unsigned(body: str) -> Fraction | None:
    """``\\frac{a}{b}``, ``a/b`` or a plain number (signs inside are allowed)."""
    for pattern in (_FRAC_RE, _SLASH_RE):
        match = pattern.fullmatch(body)
        if match is not None:
            return _parse_ratio(match["num"], match["den"])
    return _parse_plain(body)


def parse_number(text: str) -> Fraction | None:
    """The exact value of a numeric answer, or None when ``text`` is not a number.

    Example:
        >>> parse_number(r"-\\frac{3}{6}")
        Fraction(-1, 2)
    """
    text = text.strip()
    if not text or len(text) > MAX_NUMBER_CHARS:
        return None
    prefix = _SIGN_CURRENCY_RE.match(text)
    assert prefix is not None  # every part of the pattern is optional
    value = _parse_unsigned(text[prefix.end() :])
    if value is None:
        return None
    negative = (prefix["sign1"] == "-") != (prefix["sign2"] == "-")
    return -value if negative else value


def _strip_units(text: str) -> str:
    """``"12 cm"`` -> ``"12"``; ``"50 percent"`` -> ``"50%"``; math words are kept."""
    match = _UNIT_TAIL_RE.search(text)
    if match is None:
        return text
    words = {word.lower().rstrip(".") for word in re.split(r"[\s/^{}\d]+", match["unit"])}
    if words & _NOT_UNITS:
        return text
    suffix = "%" if "percent" in words else ""
    return text[: match.start()] + suffix


def canonical_number(text: str, *, percent_as_fraction: bool = False) -> str | None:
    """The canonical number key of ``text`` (see module docstring), or None.

    Example:
        >>> canonical_number("$1,000.00 dollars"), canonical_number("12.5%")
        ('1000', '25/2%')
    """
    if len(text) > 4 * MAX_NUMBER_CHARS:
        return None
    text = _strip_units(text.strip())
    percent = _PERCENT_RE.search(text)
    if percent is not None:
        text = text[: percent.start()]
    value = parse_number(text)
    if value is None:
        return None
    if percent is None:
        return format_fraction(value)
    if percent_as_fraction:
        return format_fraction(value / 100)
    return f"{format_fraction(value)}%"
