"""Phase 2, verification: a round of cross-agent reviews, every review of the round in one call.

Solution of agent i is reviewed by agents i+1, i+2, ... (mod A, never i itself; see
`cross_assignments`), `verification_passes_required` reviews each; it is verified when that many
consecutive reviews say `VERDICT: CORRECT`. With `lazy_reviews` (the default) the passes go
out one call each, pass p only for the solutions whose passes 1..p-1 this round were all
positive: after a negative review the round cannot verify a solution, so its later passes
could not change the outcome. With a single agent, whose only peer would be itself,
the reviews go to the "independent-verifier" persona instead, never to the author's id. An
unparseable review counts as not positive and is noted in the run's fallbacks. Aggregates (no
agent wrote them) may go to any agent. Reviews share the run's team system prompt, whose
reviewer rules fix the verdict format.

Example:
    >>> import asyncio; from engine import ScriptedClient; from strategies.mars import MarsConfig, MarsRun
    >>> model = ScriptedClient(lambda p, s: "2 + 2 = 4.\\nVERDICT: INCORRECT\\nAnswer: 4")  # rejects all
    >>> run = MarsRun.start("2+2?", model, MarsConfig(), strategy="mars")
    >>> from strategies.mars.explore import explore
    >>> pool = asyncio.run(verify(run, asyncio.run(explore(run))))
    >>> [s.is_verified for s in pool], len(run.reviews[pool[0].id])   # lazy: one negative pass each
    ([False, False, False], 1)
"""

from __future__ import annotations

from strategies.blocks.verify import Review, cross_assignments, reviewed, text_fallbacks, verify_batch
from strategies.core.solution import Solution
from strategies.mars.errors import VerificationError, phase_errors
from strategies.mars.events import VerificationStarted
from strategies.mars.phases import Phase
from strategies.mars.run import MarsRun


async def verify(run: MarsRun, solutions: list[Solution]) -> list[Solution]:
    """`solutions` reviewed by one round: copies with `is_verified` and `verification_score` set."""
    passes = run.config.verification_passes_required
    round_number = next(run.rounds)
    run.details["verification_rounds"] = round_number
    await run.emit(VerificationStarted(round=round_number))
    authors = [run.author_of(s) for s in solutions]
    assignments = cross_assignments(authors, run.config.agent_ids, passes)
    with phase_errors(VerificationError):
        if run.config.lazy_reviews:
            reviews = await _lazy_reviews(run, solutions, assignments)
        else:
            reviews = await verify_batch(
                run,
                solutions,
                assignments,
                sampling=run.verify_sampling,
                phase=Phase.VERIFICATION,
                system=run.team_system,
                verdict=run.config.verdict,
            )
    checked = []
    for solution, round_reviews in zip(solutions, reviews, strict=True):
        history = run.reviews.setdefault(solution.id, [])
        history.extend(round_reviews)
        run.details["verdict_text_fallbacks"] = run.details.get("verdict_text_fallbacks", 0) + text_fallbacks(
            round_reviews
        )
        run.fallbacks.extend(
            f"verification: {r.verifier_id} on {solution.id}: {r.fallback}" for r in round_reviews if r.fallback
        )
        solution = reviewed(solution, history, passes_required=passes)
        await run.verified(solution)
        checked.append(solution)
    return run.record(checked)


async def _lazy_reviews(run: MarsRun, solutions: list[Solution], assignments: list[list[str]]) -> list[list[Review]]:
    """The round's passes one call each; pass p only where passes 1..p-1 were positive."""
    passes = len(assignments[0]) if assignments else 0
    reviews: list[list[Review]] = [[] for _ in solutions]
    for p in range(passes):
        open_ = [k for k in range(len(solutions)) if all(r.positive for r in reviews[k])]
        if not open_:
            break
        batch = await verify_batch(
            run,
            [solutions[k] for k in open_],
            [assignments[k][p : p + 1] for k in open_],
            sampling=run.verify_sampling,
            phase=Phase.VERIFICATION,
            pass_offset=p,
            passes=passes,
            system=run.team_system,
            verdict=run.config.verdict,
        )
        for k, got in zip(open_, batch, strict=True):
            reviews[k].extend(got)
    return reviews
