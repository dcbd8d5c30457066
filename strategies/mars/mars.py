"""MARS, the multi-agent reasoning system: explore, verify, aggregate, improve, select.

Every step of a phase is one batched `generate` call tagged with the phase's name, so the
engine schedules a phase's requests together and `metadata.usage_by_phase` accounts for each
phase. All state of a run lives in its `MarsRun`; a `Mars` holds only its config, so any number
of `optimize` calls may run concurrently on one client and their phases overlap in the engine.

Calls of a run with A agents, P = `verification_passes_required`, N = `rsa_population`:

    phase              generate calls                         requests per call
    exploration        1                                      A
    verification       1 per round (lazy_reviews: up to P)    P per solution reviewed (lazy: fewer)
                       + 1 verdict probe per review call      one per review (verdict='engine')
    aggregation        rsa: rsa_loops; moe: 1; else 0         rsa: N; moe: 1
      + verification   1 round for the new aggregates         P x new aggregates
    strategy_network   1 when improvement starts (if on)      one per agent
    improvement        2 per iteration (revise + verify)      unverified pool; P x that
    selection          0, or 1 synthesis call                 1

Each review is free text; with `verdict='engine'` (the default) a probe then asks the engine
for the verdict alone, constrained to CORRECT or INCORRECT and scored by its probability, so
every review has a verdict on any model (`strategies.blocks.probe`). Improvement stops as soon
as a solution is verified or, with `early_termination`, as soon as `consensus_threshold`
candidates give the same answer (selection rule `consensus`). A default (full) run, A = 3,
P = 2, RSA N = 3, T = 1, with text verdicts and without lazy reviews: 4 calls and 18 requests
when a solution is verified before improvement; each improvement iteration adds 2 calls and up
to 18 requests (6 revisions, 12 reviews), the strategy network 1 call and 3 requests; at most
16 calls. Engine verdicts add one probe request per review (a one- or two-token request whose
prompt the prefix cache serves).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> reply = "17 * 3 = 51.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nAnswer: 51"  # a model that agrees
    >>> mars = Mars(MarsConfig.lightweight(max_tokens=128))
    >>> solution = asyncio.run(mars.optimize("What is 17 * 3?", ScriptedClient(lambda p, s: reply)))
    >>> solution.answer, solution.metadata.selection_rule
    ('51', 'verified')
"""

from __future__ import annotations

from strategies.core.solution import Solution
from strategies.core.strategy import Strategy
from strategies.mars.aggregate import aggregate
from strategies.mars.config import MarsConfig
from strategies.mars.events import ImprovementIterationStarted
from strategies.mars.explore import explore
from strategies.mars.improve import improve, with_revisions
from strategies.mars.network import Approach, extract_approaches
from strategies.mars.run import MarsRun
from strategies.mars.select import SelectionRule, has_consensus, is_settled, select
from strategies.mars.verify import verify

CALLS = (
    "exploration 1 call (A requests); verification 1 call per round (P per solution); "
    "aggregation rsa T calls (N each) / moe 1 call / majority, none 0, plus one verification "
    "round for new aggregates; strategy network 1 call (A) when improvement starts; improvement "
    "2 calls per iteration (revise, re-verify), at most max_iterations; selection 0 or 1; "
    "engine verdicts add one probe call per review call (one probe request per review)."
)


class Mars(Strategy[MarsConfig]):
    """The MARS strategy; `Mars(MarsConfig.lightweight())` for a cheap run.

    A failure raises a `MarsError` subclass naming the phase that failed.
    """

    name = "mars"
    description = (
        "Multi-agent reasoning: agents explore at different temperatures, verify each "
        "other's solutions, aggregate, improve the unverified ones and select the answer"
    )
    calls = CALLS
    config_class = MarsConfig
    run_class = MarsRun

    async def solve(self, run: MarsRun) -> tuple[Solution, SelectionRule]:  # type: ignore[override]
        config = run.config
        # 1) exploration: every agent answers at its own temperature
        pool = await explore(run)
        # 2) verification: each solution reviewed by agents other than its author
        pool = await verify(run, pool)
        # 3) aggregation: new candidates from the pool, reviewed in a round of their own, unless
        #    the agents already agree on a verified answer (nothing left that could change it)
        settled = config.skip_when_settled and is_settled(pool, config.consensus_threshold)
        run.details["settled_after_exploration"] = settled
        merged = [] if settled else await aggregate(run, pool)
        if merged:
            pool = pool + await verify(run, merged)
        # 4) improvement: revise the unverified with their feedback and re-verify, until one
        #    solution is verified, the answers agree (early termination) or the iterations run out
        approaches: list[Approach] = []
        run.details["improvement_iterations"] = 0
        agreed = False
        for iteration in range(1, config.max_iterations + 1):
            if any(s.is_verified for s in pool):
                break
            if config.early_termination and (agreed := has_consensus(pool, config.consensus_threshold)):
                break
            run.details["improvement_iterations"] = iteration
            await run.emit(ImprovementIterationStarted(iteration=iteration))
            if config.strategy_network and iteration == 1:
                approaches = await extract_approaches(run, pool)
            revisions = await improve(run, pool, approaches)
            if revisions:
                pool = with_revisions(run, pool, await verify(run, revisions))
        if config.early_termination and not agreed and not any(s.is_verified for s in pool):
            agreed = has_consensus(pool, config.consensus_threshold)
        run.details["early_termination"] = agreed
        # 5) selection: best verified, else the agreed or majority answer, else one synthesis
        return await select(run, pool, agreed=agreed)
