"""MARS's own prompt templates: improvement and the strategy network's approach extraction.

Exploration uses `strategies.common.prompts.solve_prompt`, verification the templates of
`strategies.common.verify`, aggregation those of `strategies.common.aggregate`. As everywhere,
what all prompts of a query share comes first (the problem), then the solution, and the parts
that vary (feedback, peers' approaches, the instruction) last.

Example:
    >>> "{feedback}" in IMPROVE_PROMPT and IMPROVE_PROMPT.startswith("Problem:")
    True
"""

from __future__ import annotations

IMPROVE_PROMPT = (
    "Problem:\n{query}\n\n"
    "Your previous solution:\n{solution}\n\n"
    "Reviewers' feedback on it:\n{feedback}\n"
    "{peers}\n"
    "---\n"
    "The reviewers did not accept this solution. Find what is wrong, fix it, and write a "
    "corrected, complete solution. End with the final answer on its own line as: "
    "Answer: <answer>"
)

FEEDBACK_ITEM = "Reviewer {number}: {text}"

NO_FEEDBACK = "(The reviewers gave no usable feedback; check every step yourself.)"

PEERS_BLOCK = "\nApproaches other agents found promising:\n{approaches}\n"

APPROACH_SYSTEM = "You describe how a solution works in one plain sentence."

APPROACH_PROMPT = (
    "Problem:\n{query}\n\n"
    "Solution:\n{solution}\n\n"
    "---\n"
    "In one sentence, describe the approach this solution takes: the method, not the answer."
)
