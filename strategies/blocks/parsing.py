"""Reading verdicts and scores out of a model's free text, in the fixed format prompts ask for.

A verdict is a labelled line, `VERDICT: CORRECT` or `VERDICT: INCORRECT`; a score is a labelled
number, `SCORE: 0.8`. The last labelled occurrence wins (a model may quote the format before it
answers). Case and markdown (`**Verdict:** correct`) are tolerated, and so are the usual ways of
writing a score: `8/10`, `8 out of 10`, `80%`. Nothing here reads keyword presence: "this is not
correct" without a `VERDICT` label is no verdict, so a caller can count it as a fallback.

Example:
    >>> parse_verdict("The sum is right.\\n**VERDICT:** correct\\nScore: 9/10")
    Verdict(correct=True, score=0.9)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

_MARKUP = str.maketrans("", "", "*_`#>")
"""Markdown emphasis, code, heading and quote marks, removed before matching."""

_SEPARATOR = r"[\s:=\[(]*(?:-\s+)?"
"""Between a label and its value: spaces, ':', '=', brackets, or a dash followed by a space
(a dash right before a number is its sign)."""
_VERDICT_RE = re.compile(
    rf"\bverdict\b{_SEPARATOR}(?P<value>not\s+correct|in\s*correct|correct|wrong)\b", re.IGNORECASE
)
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_VALUE = (
    rf"(?P<num>{_NUMBER})\s*"
    rf"(?:(?P<percent>%)|(?:/|\bout\s+of\b)\s*(?P<den>{_NUMBER}))?"
)
_BARE_VALUE_RE = re.compile(rf"\s*{_VALUE}\s*\.?\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A parsed verdict: `correct` is None when no verdict line was found, `score` (in [0, 1])
    when no readable score was."""

    correct: bool | None
    score: float | None

    @property
    def parsed(self) -> bool:
        """Whether both the verdict and the score were found."""
        return self.correct is not None and self.score is not None


@functools.lru_cache(maxsize=32)
def _label_re(labels: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(re.escape(label) for label in labels)
    return re.compile(rf"\b(?:{names})\b{_SEPARATOR}(?:is\s+)?{_VALUE}", re.IGNORECASE)


def _scaled(match: re.Match[str], lo: float, hi: float) -> float | None:
    """The matched value on the scale [lo, hi]; fractions and percentages scale into it."""
    value = float(match["num"])
    if match["percent"]:
        share: float | None = value / 100.0
    elif match["den"]:
        den = float(match["den"])
        share = value / den if den > 0 else None
    else:
        return value if lo <= value <= hi else None
    if share is None or not 0.0 <= share <= 1.0:
        return None
    return lo + share * (hi - lo)


def parse_score(
    text: str, lo: float = 0.0, hi: float = 1.0, *, labels: Sequence[str] = ("score", "rating")
) -> float | None:
    """The last labelled score in `text` on the scale [lo, hi], or None.

    `SCORE: 0.7` reads as 0.7; `Score: 8/10`, `8 out of 10` and `80%` are shares of the scale
    (0.8 on [0, 1], 8.0 on [0, 10]). A text that is only a number counts as unlabelled score. A
    plain number outside [lo, hi] is None rather than a guess at what scale it meant.

    >>> parse_score("Rating: 7 out of 10", 0, 10), parse_score("SCORE: 8", 0, 1)
    (7.0, None)
    """
    if not isinstance(text, str):
        return None
    clean = text.translate(_MARKUP)
    matches = list(_label_re(tuple(labels)).finditer(clean))
    if matches:
        return _scaled(matches[-1], lo, hi)
    bare = _BARE_VALUE_RE.fullmatch(clean)
    return _scaled(bare, lo, hi) if bare else None


def parse_verdict(text: str) -> Verdict:
    """The last `VERDICT:` line's value and the last `SCORE:` in [0, 1] of a review.

    >>> parse_verdict("verdict - INCORRECT, score: 20%")
    Verdict(correct=False, score=0.2)
    """
    if not isinstance(text, str):
        return Verdict(None, None)
    clean = text.translate(_MARKUP)
    matches = list(_VERDICT_RE.finditer(clean))
    correct = None
    if matches:
        correct = matches[-1]["value"].lower() == "correct"
    return Verdict(correct=correct, score=parse_score(clean, 0.0, 1.0, labels=("score",)))


def parse_tagged(text: str, tag: str) -> str | None:
    """The stripped content of the first `<tag>...</tag>` of `text`, or None when it has none.

    A section left open (the response was cut off) runs to the end of the text.

    >>> parse_tagged("<thinking>2+2</thinking><output>4", "output")
    '4'
    """
    if not isinstance(text, str):
        return None
    match = re.search(rf"<{tag}>(.*?)(?:</{tag}>|\Z)", text, re.DOTALL | re.IGNORECASE)
    return None if match is None else match.group(1).strip()


_ITEM_RE = re.compile(
    r"^\s*\**(?:\d{1,3}[.):]|[-*•]|(?:observation|principle|step)\s+\d{1,3}\s*:)\**\s+(\S.*)$",
    re.IGNORECASE,
)
"""A list item: `1.`, `2)`, `-`, `*`, `•` or `Observation 3:` (bold allowed), then its text."""


def parse_list(text: str, limit: int | None = None) -> list[str]:
    """The items of a numbered or bulleted list in `text` (at most `limit`), in order.

    Without any list marker, every non-empty line is an item.

    >>> parse_list("Notes:\\n1. even sum\\n2) odd product\\n- bound", limit=2)
    ['even sum', 'odd product']
    """
    if not isinstance(text, str):
        return []
    lines = text.splitlines()
    items = [m.group(1).strip().strip("*").strip() for m in map(_ITEM_RE.match, lines) if m]
    if not items:
        items = [line.strip() for line in lines if line.strip()]
    return items[:limit]


_FENCED_RE = re.compile(r"```[\w+-]*[ \t]*\n(.*?)```", re.DOTALL)


def first_code_block(text: str) -> str | None:
    """The content of the first closed fenced code block of `text`, or None.

    >>> first_code_block("Here:\\n```python\\nprint(1)\\n```\\nand ```\\nx\\n```")
    'print(1)\\n'
    """
    if not isinstance(text, str):
        return None
    match = _FENCED_RE.search(text)
    return None if match is None else match.group(1)
