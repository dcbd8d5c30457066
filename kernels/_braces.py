"""Balanced-brace scanning for LaTeX arguments, shared by extraction and normalization.

Every scan is bounded (``limit`` characters, ``max_rewrites`` rewrites), so a
megabyte of unbalanced braces costs linear time, never quadratic.
"""

from __future__ import annotations

import re

__all__ = ["MAX_GROUP_CHARS", "brace_group_end", "unwrap_commands"]

MAX_GROUP_CHARS = 4096
"""Longest brace group (in characters) that is ever scanned for its closing brace."""

_BRACE_TOKEN_RE = re.compile(r"\\\\|\\[{}]|[{}]")


def brace_group_end(text: str, open_index: int, *, limit: int = MAX_GROUP_CHARS) -> int:
    """Index just past the ``}`` that closes the ``{`` at ``open_index``, or -1.

    Escaped braces (``\\{``, ``\\}``) do not count. Returns -1 when
    ``text[open_index]`` is not ``{`` or the group is still open after ``limit``
    characters.

    Example:
        >>> brace_group_end("a{b{c}d}e", 1)
        8
    """
    if not 0 <= open_index < len(text) or text[open_index] != "{":
        return -1
    depth = 0
    stop = min(len(text), open_index + limit)
    for match in _BRACE_TOKEN_RE.finditer(text, open_index, stop):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0:
                return match.end()
    return -1


def unwrap_commands(text: str, command_re: re.Pattern[str], *, pad: str = "", max_rewrites: int = 64) -> str:
    """Replace each ``\\cmd{arg}`` matched by ``command_re`` with ``pad + arg + pad``.

    ``command_re`` must match the command name up to (not including) the
    opening brace. Nested and repeated commands are unwrapped; an unbalanced
    group is left as it is.

    Example:
        >>> unwrap_commands(r"\\text{a \\text{b}}", re.compile(r"\\\\text\\s*"))
        'a b'
    """
    rewrites = 0
    start = 0
    while rewrites < max_rewrites:
        match = command_re.search(text, start)
        if match is None:
            break
        end = brace_group_end(text, match.end())
        if end < 0:
            start = match.end()
            continue
        inner = text[match.end() + 1 : end - 1]
        text = f"{text[: match.start()]}{pad}{inner}{pad}{text[end:]}"
        start = match.start()
        rewrites += 1
    return text
