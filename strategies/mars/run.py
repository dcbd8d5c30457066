"""`MarsRun`: the `Run` of one MARS query, with the state MARS keeps, handed to every phase.

Everything a run mutates lives here (the review history, the lineage of derived solutions, the
fallbacks taken), and a new `MarsRun` is made per call, so any number of queries can run their
phases concurrently through one `Mars` and one engine.

Example:
    >>> from engine import ScriptedClient
    >>> from strategies.mars.config import MarsConfig
    >>> run = MarsRun.start("2+2?", ScriptedClient(lambda p, s: "4"), MarsConfig(), strategy="mars")
    >>> run.author_of(Solution(agent_id="agent-2")), run.author_of(Solution(agent_id="aggregator"))
    (2, None)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from engine import Sampling
from strategies.blocks.verify import Review
from strategies.core.run import Run
from strategies.core.solution import Solution, SolutionMetadata
from strategies.mars.config import MarsConfig
from strategies.mars.prompts import team_system


@dataclass(eq=False)
class MarsRun(Run[MarsConfig]):
    """A `Run` with MARS's own state: the review history and the lineage of derived solutions."""

    reviews: dict[str, list[Review]] = field(default_factory=dict)
    """Every review of every solution, by solution id, in order."""
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """For each derived solution (aggregate or revision), the ids it was written from."""
    candidates: dict[str, Solution] = field(default_factory=dict)
    """Every candidate the run produced, by id, in its latest (reviewed) state."""
    rounds: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    """Numbers the verification rounds 1, 2, ..."""

    def author_of(self, solution: Solution) -> int | None:
        """The index of the agent that wrote `solution`, or None (an aggregate)."""
        ids = self.config.agent_ids
        return ids.index(solution.agent_id) if solution.agent_id in ids else None

    @property
    def team_system(self) -> str:
        """The system prompt of every request of the run (see `strategies.mars.prompts`)."""
        return team_system(self.system)

    def solve_sampling(self, temperature: float) -> Sampling:
        """Sampling of a written solution at `temperature`."""
        return self.config.sampling(temperature)

    @property
    def verify_sampling(self) -> Sampling:
        """Sampling of a review."""
        config = self.config
        return config.sampling(config.verify_temperature, max_tokens=config.verify_max_tokens)

    def record(self, solutions: list[Solution]) -> list[Solution]:
        """Remember the latest state of `solutions` among the run's candidates; returns them."""
        self.candidates.update((s.id, s) for s in solutions)
        return solutions

    def metadata(self) -> SolutionMetadata:
        """The run's record: fallbacks, and details with every candidate and its reviews."""
        details = {
            **self.details,
            "candidates": [
                {
                    "id": s.id,
                    "agent_id": s.agent_id,
                    "phase": s.phase,
                    "method": s.method,
                    "answer": s.answer,
                    "is_verified": s.is_verified,
                    "verification_score": s.verification_score,
                    "confidence": s.confidence,
                    "parents": list(self.parents.get(s.id, ())),
                }
                for s in self.candidates.values()
            ],
            "verification": {sid: [r.summary() for r in reviews] for sid, reviews in self.reviews.items()},
        }
        return super().metadata().model_copy(update={"details": details})
