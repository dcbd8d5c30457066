"""MARS's prompt layout: one team system prompt, then the problem, then the solution, then the role.

Every MARS request of a query starts with the same tokens: `MARS_SYSTEM` (after the user's
system prompt, if any) and `Problem:`. A request about one solution (its reviews, its
approach summary, its revision) goes on with the same `Solution:` block, and only what follows
the `---` line differs by role. So the engine's prefix cache serves the system prompt across
questions, the problem across phases, and a solution's text from its first review to its
revision; only the role's instruction and the feedback are prefilled anew. Verification fills
the templates of `strategies.blocks.verify`, aggregation those of `strategies.blocks.aggregate`.

Example:
    >>> IMPROVE_PROMPT.startswith(SOLUTION_PREFIX) and APPROACH_PROMPT.startswith(SOLUTION_PREFIX)
    True
"""

from __future__ import annotations

from strategies.blocks.prompts import join_system
from strategies.blocks.verify import SOLUTION_PREFIX, VERIFY_SYSTEM

__all__ = ["APPROACH_PROMPT", "IMPROVE_PROMPT", "MARS_SYSTEM", "SOLUTION_PREFIX", "SOLVE_PROMPT", "team_system"]

MARS_SYSTEM = (
    "You are one agent of a team that solves problems in mathematics, logic and reasoning. "
    "Each request gives you one role: solver, reviewer, reviser or summarizer.\n\n"
    "As a solver or reviser, reason step by step, then state the final answer on its own last "
    "line as: Answer: <answer>\n\n"
    "As a reviewer: " + VERIFY_SYSTEM
)
"""The system prompt of every MARS request: all roles' rules, so all requests share it."""

SOLVE_PROMPT = (
    "Problem:\n{query}\n\n"
    "---\n"
    "You are the solver. Solve the problem step by step. End with the final answer on its own "
    "line as: Answer: <answer>"
)

IMPROVE_PROMPT = (
    SOLUTION_PREFIX + "---\n"
    "You are the reviser: you wrote this solution, and the reviewers did not accept it.\n\n"
    "Reviewers' feedback on it:\n{feedback}\n"
    "{peers}\n"
    "Find what is wrong, fix it, and write a corrected, complete solution. End with the final "
    "answer on its own line as: Answer: <answer>"
)

FEEDBACK_ITEM = "Reviewer {number}: {text}"

NO_FEEDBACK = "(The reviewers gave no usable feedback; check every step yourself.)"

PEERS_BLOCK = "\nApproaches other agents found promising:\n{approaches}\n"

APPROACH_PROMPT = (
    SOLUTION_PREFIX + "---\n"
    "You are the summarizer. In one plain sentence, describe the approach this solution takes: "
    "the method, not the answer."
)


def team_system(system: str | None) -> str:
    """The system prompt of every MARS request: the user's `system` (if any), then `MARS_SYSTEM`."""
    return join_system(system, MARS_SYSTEM)
