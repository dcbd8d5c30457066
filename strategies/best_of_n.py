"""`best_of_n`: sample n solutions, let the model rate each, keep the best rated.

1) sample: n solutions of the query in one request (n samples share the prefill);
2) rate: every solution rated 0-10 by the model, all ratings in one call (`rate_batch`); a
   rating is read from its `RATING:` line, and a reply without a readable rating is ignored
   (noted in `metadata.fallbacks`), never counted as 0;
3) select: the highest rating wins; ties go to the answer more samples agree on (consensus),
   then to the earlier sample. When no rating could be read, the majority vote decides.

`scorer` replaces step 2: "self" (the default) is the rating above; "judge" scores each sample
by the model's constrained verdict probe, P(CORRECT), one call of n probes; the name of a
models.toml entry with `kind = "reward"` scores them with that reward model in a second engine
(`strategies.blocks.scoring`). The best score wins, ties as above ("best-scored").

The answer is whatever the kernels extract from the chosen text, so a response that ends
with a period still has its answer. Confidence is the winner's rating as a share of 10.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> bon = get_strategy("best_of_n", samples=3)
    >>> solution = asyncio.run(bon.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'best_of_n')
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from strategies.blocks.prompts import solve_prompt
from strategies.blocks.rating import Rating, RatingConfig, best_rated, rate_batch, unrated_fallbacks
from strategies.blocks.sampling import SampledConfig
from strategies.blocks.scoring import JUDGE, Partial, check_scorer, scorer_for
from strategies.blocks.voting import consensus
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy


class BestOfNConfig(RatingConfig, SampledConfig):
    """How many samples are drawn and how they are rated."""

    samples: int = Field(3, ge=1, le=64, description="Solutions sampled (n), in one request.")
    scorer: Literal["self", "judge"] | str = Field(
        "self",
        description="How samples are scored: 'self' (the model rates each 0-10, the rating_* settings), "
        "'judge' (the model's verdict probe, P(CORRECT)), or the name of a models.toml entry with "
        'kind = "reward" (a reward model in a second engine).',
    )

    @field_validator("scorer")
    @classmethod
    def _known_scorer(cls, name: str) -> str:
        return check_scorer(name, builtin=("self", JUDGE))


class BestOfN(Strategy[BestOfNConfig]):
    name = "best_of_n"
    description = (
        "Best-of-n: n samples in one request, each rated 0-10 by the model in one "
        "batched call; the best rated wins (ties: consensus)."
    )
    calls = (
        "2 calls: 1 sampling request (n = samples) + samples rating probes of 1-2 tokens "
        "(rating_source='text': written ratings); default 4 requests. scorer='judge': 2 calls, "
        "1 + samples requests"
    )
    config_class = BestOfNConfig

    async def solve(self, run: Run[BestOfNConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        # 1) sample: n solutions in one request
        sampling = cfg.sampling(n=cfg.samples)
        samples = await run.solutions("sampling", [solve_prompt(query, system=system)], sampling)
        if cfg.scorer != "self":
            return await self._best_scored(run, samples)
        # 2) rate: every sample in one call
        ratings = await rate_batch(
            run, [s.reasoning for s in samples], sampling=cfg.rating_sampling, source=cfg.rating_source
        )
        run.fallbacks.extend(unrated_fallbacks(ratings, "sample"))
        run.details.update(ratings=[r.summary() for r in ratings], answers=[s.answer_key for s in samples])
        # 3) select: the best rating, ties by consensus; the vote when nothing was rated
        best = best_rated(samples, ratings)
        if best < 0:
            run.fallback("rating: no sample was rated; chose by majority")
            return consensus(samples).solution, "majority"
        return samples[best].model_copy(update={"confidence": ratings[best].score}), "best-rated"

    async def _best_scored(self, run: Run[BestOfNConfig], samples: list[Solution]) -> tuple[Solution, str]:
        """2) score every sample in one scorer call; 3) the best score wins (ties: consensus)."""
        partials = [Partial(run.query, (s.reasoning,)) for s in samples]
        scores = await scorer_for(self.config.scorer).score(run, partials)
        run.details.update(scores=[round(x, 4) for x in scores], answers=[s.answer_key for s in samples])
        best = best_rated(samples, [Rating(i, x, "") for i, x in enumerate(scores)])
        return samples[best].model_copy(update={"confidence": scores[best]}), "best-scored"
