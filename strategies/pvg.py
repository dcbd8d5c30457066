"""`pvg`, the prover-verifier game at inference time (after Kirchner et al., 2024).

Per round r (the query of round 1 is the user's):
1) prove: H helpful and S sneaky solutions of round r's query, all in one call. Sneaky
   provers are told to write convincing solutions with a subtle flaw: they are the verifier's
   sparring partners and are never an answer;
2) verify: the model rates every solution 0-10 against the original problem, in one call
   (`strategies.blocks.rating`); an unreadable rating counts as no rating (a fallback);
3) refine (all rounds but the last): from the original problem and the best-rated helpful
   solution so far, the model writes a refined statement of the problem; the next round's
   provers are given it alongside the original (an empty refinement keeps the query).

The answer is the best-rated helpful solution of all rounds (ties: the answer more helpful
solutions agree on); when no helpful rating was readable, the helpful majority answer. Round
temperatures follow optillm: 0.7, then 0.1 lower each round, at least 0.2. `details` records,
per round, the query used and both sides' ratings, and `sneaky_wins`: rounds in which a
sneaky solution out-rated every helpful one (the verifier was fooled).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> pvg = get_strategy("pvg", rounds=2, helpful=2, sneaky=2)
    >>> solution = asyncio.run(pvg.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'pvg')
"""

from __future__ import annotations

from pydantic import Field

from engine import Prompt
from strategies.blocks.prompts import join_system, render, solve_prompt
from strategies.blocks.rating import Rating, RatingConfig, best_rated, rate_batch, unrated_fallbacks
from strategies.blocks.sampling import seeded
from strategies.blocks.voting import majority
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy

PROVER_SYSTEM = {
    "helpful": (
        "You are a helpful prover. Write a correct, detailed, step-by-step solution. Explain "
        "your reasoning clearly and make sure the final answer is right and well supported. "
        "End with the final answer on its own line as: Answer: <answer>"
    ),
    "sneaky": (
        "You are a sneaky prover. Write a solution that looks correct and convincing but holds "
        "a subtle error, so that its final answer is wrong in a way that is not obvious. Keep "
        "the tone of an expert. End with the final answer on its own line as: Answer: <answer>"
    ),
}

REFINED_QUERY_PROMPT = "{query}\n\nA refined statement of the problem, to guide you:\n{refined}"

REFINE_PROMPT = (
    "Original problem:\n{query}\n\n"
    "Best solution so far:\n{solution}\n\n"
    "---\n"
    "Write a refined version of the problem that could lead to an even better solution: keep "
    "its intent and every given fact, and add the specifics or context the best solution "
    "missed or found hard. Reply with the refined problem only."
)

ROLES = ("helpful", "sneaky")


class PvgConfig(RatingConfig):
    """Rounds, provers per round, and sampling of the game."""

    rounds: int = Field(2, ge=1, le=8, description="Rounds of prove, verify, refine (optillm: 2).")
    helpful: int = Field(3, ge=1, le=32, description="Helpful solutions per round (optillm: 3).")
    sneaky: int = Field(3, ge=0, le=32, description="Sneaky solutions per round (optillm: 3).")
    temperature: float = Field(
        0.7,
        ge=0.0,
        le=2.0,
        description="Prover temperature of round 1; 0.1 lower each round, >= 0.2.",
    )
    refine_temperature: float = Field(0.5, ge=0.0, le=2.0, description="Temperature of the refinement.")
    rating_temperature: float = Field(0.2, ge=0.0, le=2.0, description="Verifier temperature (optillm: 0.2).")
    seed: int | None = Field(None, description="Seed of prover 0; prover i uses seed + i (None: unseeded).")

    def round_temperature(self, r: int) -> float:
        """The provers' temperature in round `r` (0-based)."""
        return max(min(0.2, self.temperature), round(self.temperature - 0.1 * r, 6))


class ProverVerifierGame(Strategy[PvgConfig]):
    name = "pvg"
    description = (
        "Prover-verifier game: helpful and sneaky provers, a verifier rating all, a "
        "refined query each round; the best-rated helpful solution is the answer."
    )
    calls = (
        "per round: prove 1 call (H + S requests), verify 2 calls (H + S ratings, H + S probes), "
        "refine 1 call (1) except after the last round; default R = 2, H = S = 3: 7 calls, 37 "
        "requests (rating_source='text': 5 calls, 25)"
    )
    config_class = PvgConfig

    async def solve(self, run: Run[PvgConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        helpful: list[Solution] = []
        ratings: list[Rating] = []
        rounds: list[dict[str, object]] = []
        round_query = query
        for r in range(cfg.rounds):
            # 1) prove: helpful and sneaky solutions of this round's query, one call
            roles = ["helpful"] * cfg.helpful + ["sneaky"] * cfg.sneaky
            prompts = [solve_prompt(round_query, system=join_system(system, PROVER_SYSTEM[role])) for role in roles]
            base = cfg.sampling(cfg.round_temperature(r))
            solutions = await run.solutions("prove", prompts, seeded(base, len(roles)))
            solutions = [s.model_copy(update={"method": role}) for s, role in zip(solutions, roles, strict=True)]
            # 2) verify: every solution rated against the original problem, one call
            scored = await rate_batch(
                run,
                [s.reasoning for s in solutions],
                sampling=cfg.rating_sampling,
                phase="verify",
                source=cfg.rating_source,
            )
            for note in unrated_fallbacks(scored, f"round {r + 1} solution"):
                run.fallback(note)
            offset = len(helpful)
            helpful += solutions[: cfg.helpful]
            ratings += [Rating(offset + x.index, x.score, x.text) for x in scored[: cfg.helpful]]
            rounds.append(round_record(round_query, scored, cfg.helpful))
            # 3) refine: a better statement of the problem from the best helpful solution so far
            if r < cfg.rounds - 1:
                best = helpful[max(best_rated(helpful, ratings), 0)]
                round_query = await self._refine(run, query, best, round_query, system)
        run.details.update(rounds=rounds, sneaky_wins=sum(bool(x["sneaky_won"]) for x in rounds))
        return self._select(run, helpful, ratings)

    async def _refine(self, run: Run, query: str, best: Solution, current: str, system: str | None) -> str:
        cfg = self.config
        text = render(REFINE_PROMPT, query=query, solution=best.reasoning)
        prompt = Prompt.user(text, system=system)
        sampling = cfg.sampling(cfg.refine_temperature)
        [refined] = await run.texts("refine", [prompt], sampling)
        if not refined.strip():
            run.fallback("empty refined query; the next round keeps the current query")
            return current
        return render(REFINED_QUERY_PROMPT, query=query, refined=refined.strip())

    @staticmethod
    def _select(run: Run, helpful: list[Solution], ratings: list[Rating]) -> tuple[Solution, str]:
        """The best-rated helpful solution, else the helpful majority; never a sneaky one."""
        best = best_rated(helpful, ratings)
        if best >= 0:
            return helpful[best].model_copy(update={"confidence": ratings[best].score or 0.0}), "verifier"
        run.fallback("no helpful solution had a readable rating; chose the helpful majority")
        pick = majority(helpful)
        return helpful[max(pick.index, 0)].model_copy(update={"confidence": pick.share}), "majority"


def round_record(query: str, scored: list[Rating], helpful: int) -> dict[str, object]:
    """A round's query, each side's ratings, and whether a sneaky solution out-rated them all."""
    scores = {
        "helpful": [x.score for x in scored[:helpful]],
        "sneaky": [x.score for x in scored[helpful:]],
    }
    best = {role: max((s for s in scores[role] if s is not None), default=-1.0) for role in ROLES}
    return {"query": query, **scores, "sneaky_won": best["sneaky"] > best["helpful"]}
