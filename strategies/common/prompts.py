"""Prompt templates every strategy shares, and the one function that renders them.

Templates are module-level constants with `{fields}`; the shared part comes first and what
varies last, so prompts of one query share a token prefix the engine's prefix cache serves.

Example:
    >>> solve_prompt("What is 2 + 2?").messages[0].content.endswith("What is 2 + 2?")
    True
"""

from __future__ import annotations

from engine import Message, Prompt

SOLVER_SYSTEM = (
    "You are a careful problem solver. Reason step by step, then state the final answer "
    "on its own last line as: Answer: <answer>"
)

SOLVE_PROMPT = "{query}"


def render(template: str, **fields: object) -> str:
    """Fill a template; a missing field is a programming error and raises KeyError."""
    return template.format(**fields)


def solve_prompt(query: str, *, system: str | None = None, template: str = SOLVE_PROMPT, **fields: object) -> Prompt:
    """The prompt that asks for a solution of `query` (the user's system prompt wins)."""
    return Prompt(
        messages=(Message("user", render(template, query=query, **fields)),),
        system=system if system is not None else SOLVER_SYSTEM,
    )


def followup_prompt(query: str, template: str, *, system: str | None = None, **fields: object) -> Prompt:
    """A one-turn prompt built from `template` with the query and other fields."""
    return solve_prompt(query, system=system, template=template, **fields)
