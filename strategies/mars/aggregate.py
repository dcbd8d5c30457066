"""Phase 3, aggregation: new candidates written from the pool, per `MarsConfig.aggregation`.

- `rsa`: `rsa_loops` loops of recursive self-aggregation, one call each; every loop writes
  `rsa_population` merges of `rsa_subset_size` members of the previous population (the first
  population is the pool). The last population joins the pool; every generation's lineage is
  kept in `details["aggregation"]["generations"]`.
- `moe`: one synthesis over the `moe_experts` best candidates, one call.
- `majority`: the consensus vote over the pool, recorded in details; no call, no new text.
- `none`: nothing.

New candidates carry no confidence of their own: they are reviewed in the next verification
round like any other solution. Merge j is sampled at agent j's temperature (mod A).

Example:
    >>> import asyncio; from engine import ScriptedClient; from strategies.mars import MarsConfig, MarsRun
    >>> model = ScriptedClient(lambda p, s: "2 + 2 = 4.\\nVERDICT: INCORRECT\\nAnswer: 4")  # rejects all
    >>> run = MarsRun.start("2+2?", model, MarsConfig(), strategy="mars")
    >>> from strategies.mars.explore import explore
    >>> new = asyncio.run(aggregate(run, asyncio.run(explore(run))))
    >>> [s.agent_id for s in new], run.details["aggregation"]["method"]
    (['aggregator', 'aggregator', 'aggregator'], 'rsa')
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from strategies.blocks.aggregate import Aggregate, moe_synthesis, rsa_round
from strategies.blocks.voting import majority
from strategies.core.solution import Solution
from strategies.mars.errors import AggregationError, phase_errors
from strategies.mars.events import AggregationDone, AggregationStarted
from strategies.mars.phases import Phase
from strategies.mars.run import MarsRun


async def aggregate(run: MarsRun, pool: list[Solution]) -> list[Solution]:
    """The new candidates (unreviewed); also records the method's details in the run."""
    method = run.config.aggregation
    await run.emit(AggregationStarted(method=method))
    with phase_errors(AggregationError):
        written = await _METHODS[method](run, pool)
    new = [merged for merged in written if merged.solution.reasoning.strip()]
    if len(new) < len(written):
        run.fallbacks.append(f"aggregation: dropped {len(written) - len(new)} empty aggregate(s)")
    for merged in new:
        run.parents[merged.solution.id] = merged.parents
    await run.emit(AggregationDone(num_new=len(new)))
    return run.record([merged.solution for merged in new])


async def _rsa(run: MarsRun, pool: list[Solution]) -> list[Aggregate]:
    config = run.config
    temperatures = config.agent_temperatures
    samplings = [run.solve_sampling(temperatures[j % len(temperatures)]) for j in range(config.rsa_population)]
    population = pool
    generations: list[list[dict[str, object]]] = []
    merged: list[Aggregate] = []
    for _ in range(config.rsa_loops):
        merged = await rsa_round(
            run,
            population,
            size=config.rsa_population,
            k=config.rsa_subset_size,
            samplings=samplings,
            phase=Phase.AGGREGATION,
            system=run.team_system,
        )
        generations.append([{"id": m.solution.id, "parents": list(m.parents)} for m in merged])
        population = [m.solution for m in merged]
    run.details["aggregation"] = {"method": "rsa", "generations": generations}
    return merged


async def _moe(run: MarsRun, pool: list[Solution]) -> list[Aggregate]:
    config = run.config
    merged = await moe_synthesis(
        run,
        pool,
        experts=config.moe_experts,
        sampling=run.solve_sampling(config.agent_temperatures[0]),
        phase=Phase.AGGREGATION,
        system=run.team_system,
    )
    run.details["aggregation"] = {"method": "moe", "experts": list(merged.parents)}
    return [merged]


async def _majority(run: MarsRun, pool: list[Solution]) -> list[Aggregate]:
    pick = majority(pool)
    run.details["aggregation"] = {
        "method": "majority",
        "winner": pool[pick.index].id if pick.index >= 0 else None,
        "votes": pick.votes,
        "share": pick.share,
    }
    return []


async def _none(run: MarsRun, pool: list[Solution]) -> list[Aggregate]:
    return []


_METHODS: dict[str, Callable[[MarsRun, list[Solution]], Awaitable[list[Aggregate]]]] = {
    "rsa": _rsa,
    "moe": _moe,
    "majority": _majority,
    "none": _none,
}
