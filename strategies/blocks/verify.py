"""Cross-verification: reviewers judge solutions in a fixed verdict format, all in one batched step.

`cross_assignments` picks each solution's reviewers so that an author never reviews its own work;
`verify_batch` sends every review of a round as one `generate` call and parses each response
with `parse_verdict`. The prompt puts what repeats first (the long reviewer instructions, then
the problem, then the solution under review) and the reviewer's name and pass number last, so
repeated passes over one solution, and reviews of different solutions of one problem, share a
token prefix the engine's prefix cache serves. MARS, best-of-n rating, pvg and plansearch use it.

Example:
    >>> cross_assignments([0, 1, None], ["agent-0", "agent-1"], passes=2)
    [['agent-1', 'agent-1'], ['agent-0', 'agent-0'], ['agent-0', 'agent-1']]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from engine import Prompt, Sampling
from strategies.blocks.parsing import Verdict, parse_verdict
from strategies.blocks.probe import VERDICT_PROBE, probe_batch
from strategies.blocks.prompts import followup_prompt
from strategies.core.run import Run
from strategies.core.solution import Solution

VERIFY_SYSTEM = (
    "You are a rigorous reviewer of solutions to problems in mathematics, logic and reasoning. "
    "You did not write the solution you are shown, and you must not trust it: check it yourself. "
    "Work through it step by step. Restate what the problem asks, including units, ranges and "
    "the exact form the answer must take. Recompute every calculation independently instead of "
    "reading the author's numbers. Check that each step follows from the previous ones, that no "
    "case is missing, that no assumption is made without justification, and that the final "
    "answer actually answers the question that was asked. A solution with a correct final answer "
    "reached by invalid reasoning is incorrect; a solution with a small slip that does not change "
    "the final answer may still be correct. If you cannot confirm the final answer, it is not "
    "correct. Keep the review short: name the first error you find and say how to fix it.\n\n"
    "Finish your review with exactly these two lines and nothing after them:\n"
    "VERDICT: CORRECT or VERDICT: INCORRECT\n"
    "SCORE: a number from 0 to 1, your confidence that the final answer is correct"
)

SOLUTION_PREFIX = "Problem:\n{query}\n\nSolution:\n{solution}\n\n"
"""How every prompt about one solution begins, so its reviews and other follow-ups share a prefix."""

VERIFY_PROMPT = (
    SOLUTION_PREFIX + "---\n"
    "You are {verifier}, giving independent review {pass_index} of {passes} of this solution. "
    "Check it now and end with the VERDICT and SCORE lines."
)

VerdictSource = Literal["engine", "text"]
"""Where a review's verdict comes from: an engine probe (always readable) or the review's text."""

INDEPENDENT_VERIFIER = "independent-verifier"
"""The reviewer persona used when the only agent is the author itself."""


@dataclass(frozen=True, slots=True)
class Review:
    """One reviewer's judgement of one solution, and the response it was parsed from."""

    solution_id: str
    verifier_id: str
    pass_index: int
    verdict: Verdict
    text: str
    text_verdict: Verdict | None = None
    """What the free-text parser read from `text`, when the verdict came from an engine probe."""

    @property
    def positive(self) -> bool:
        """Only an explicit `VERDICT: CORRECT` is positive; an unparseable review is not."""
        return self.verdict.correct is True

    @property
    def score(self) -> float:
        """The parsed score; without one, 1.0 for a CORRECT verdict and 0.0 otherwise."""
        if self.verdict.score is not None:
            return self.verdict.score
        return 1.0 if self.positive else 0.0

    @property
    def fallback(self) -> str | None:
        """What could not be parsed ("no verdict", "no score"), or None."""
        if self.verdict.correct is None:
            return "no verdict"
        return "no score" if self.verdict.score is None else None

    def summary(self) -> dict[str, object]:
        """A JSON-friendly record for `SolutionMetadata.details`."""
        return {
            "verifier": self.verifier_id,
            "pass": self.pass_index,
            "correct": self.verdict.correct,
            "score": self.score,
            "fallback": self.fallback,
        }


def cross_assignments(authors: Sequence[int | None], agent_ids: Sequence[str], passes: int) -> list[list[str]]:
    """Reviewer ids for each solution, never its author.

    Solution k by agent i (of A) gets agents i+1, i+2, ... (mod A, skipping i, cycling through
    the A-1 others when `passes` exceeds them). A solution with no author among the agents
    (`None`, e.g. an aggregate) gets agents k, k+1, ... (mod A). With a single agent the author
    is the only agent, so its solutions go to `INDEPENDENT_VERIFIER`, a persona that is not an
    agent id.
    """
    count = len(agent_ids)
    out = []
    for k, author in enumerate(authors):
        if author is None:
            out.append([agent_ids[(k + p) % count] for p in range(passes)])
        elif count == 1:
            out.append([INDEPENDENT_VERIFIER] * passes)
        else:
            out.append([agent_ids[(author + 1 + p % (count - 1)) % count] for p in range(passes)])
    return out


def verify_prompt(
    query: str, solution: Solution, verifier: str, pass_index: int, passes: int, *, system: str = VERIFY_SYSTEM
) -> Prompt:
    """The review request of `verifier` for `solution`, pass `pass_index` (1-based) of `passes`.

    `system` must carry the reviewer rules and the verdict format of `VERIFY_SYSTEM`.
    """
    return followup_prompt(
        query,
        VERIFY_PROMPT,
        system=system,
        solution=solution.reasoning,
        verifier=verifier,
        pass_index=pass_index,
        passes=passes,
    )


async def verify_batch(
    run: Run[Any],
    solutions: Sequence[Solution],
    assignments: Sequence[Sequence[str]],
    *,
    sampling: Sampling,
    phase: str = "verification",
    pass_offset: int = 0,
    passes: int | None = None,
    system: str = VERIFY_SYSTEM,
    verdict: VerdictSource = "text",
) -> list[list[Review]]:
    """Every review of `assignments[k]` for `solutions[k]` in one step of the run, in pass order.

    `pass_offset` and `passes` number the passes when a round goes out in several calls (the
    assignments then hold the later passes only): pass `pass_offset + 1` of `passes`. `system`
    replaces the reviewer system prompt by one that contains it (MARS's team prompt).
    With `verdict="engine"` each review's verdict and score come from a `VERDICT_PROBE` (one
    more call, served by the prefix cache), so every review has one; the free-text parse is
    kept as `text_verdict`.
    """
    if len(assignments) != len(solutions):
        raise ValueError(f"{len(solutions)} solutions but {len(assignments)} reviewer assignments")
    jobs = [
        (k, solution, verifier, pass_offset + p + 1, passes or len(verifiers))
        for k, (solution, verifiers) in enumerate(zip(solutions, assignments, strict=True))
        for p, verifier in enumerate(verifiers)
    ]
    reviews: list[list[Review]] = [[] for _ in solutions]
    if not jobs:
        return reviews
    prompts = [verify_prompt(run.query, *job[1:], system=system) for job in jobs]
    completions = await run.generate(phase, prompts, sampling.with_(n=1))
    texts = [c.text for c in completions]
    parsed = [parse_verdict(text) for text in texts]
    if verdict == "engine":
        readings = await probe_batch(run, phase, prompts, texts, VERDICT_PROBE)
        verdicts = [Verdict(correct=r.choice == "CORRECT", score=r.score) for r in readings]
    else:
        verdicts = parsed
    for (k, solution, verifier, pass_index, _), text, found, read in zip(jobs, texts, verdicts, parsed, strict=True):
        from_text = read if verdict == "engine" else None
        reviews[k].append(Review(solution.id, verifier, pass_index, found, text, from_text))
    return reviews


def text_fallbacks(reviews: Sequence[Review]) -> int:
    """How many reviews the free-text parser could not have read a verdict from."""
    return sum(1 for r in reviews if (r.text_verdict or r.verdict).correct is None)


def consecutive_positives(reviews: Sequence[Review]) -> int:
    """How many of the latest reviews in a row are positive."""
    run = 0
    for review in reversed(reviews):
        if not review.positive:
            break
        run += 1
    return run


def reviewed(solution: Solution, reviews: Sequence[Review], *, passes_required: int) -> Solution:
    """A copy of `solution` scored by its reviews: verified after `passes_required` consecutive
    positive reviews; its verification score is their mean score."""
    if not reviews:
        return solution
    return solution.model_copy(
        update={
            "is_verified": consecutive_positives(reviews) >= passes_required,
            "verification_score": sum(r.score for r in reviews) / len(reviews),
        }
    )
