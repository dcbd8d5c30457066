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


def join_system(system: str | None, instructions: str) -> str:
    """A strategy's own system `instructions`, after the user's system prompt when there is one."""
    return instructions if system is None else f"{system}\n\n{instructions}"


def numbered_list(items: list[str], *, empty: str = "(none)") -> str:
    """Items as a numbered list for a template field: `numbered_list(["a", "b"])` is
    `"1. a\\n2. b"`; no items give `empty`."""
    return "\n".join(f"{i + 1}. {item}" for i, item in enumerate(items)) or empty
