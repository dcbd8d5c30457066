"""`MarsConfig`: every MARS setting, validated, with the `full` and `lightweight` presets.

Example:
    >>> MarsConfig.lightweight().num_agents, MarsConfig().agent_temperatures
    (2, (0.3, 0.6, 1.0))
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from strategies.blocks.sampling import temperatures_between
from strategies.blocks.verify import VerdictSource
from strategies.core.config import StrategyConfig

Aggregation = Literal["majority", "rsa", "moe", "none"]
Preset = Literal["full", "lightweight"]

DEFAULT_TEMPERATURES = (0.3, 0.6, 1.0)
"""Agent temperatures for the default three agents; other counts spread over [0.3, 1.0]."""

PRESETS: dict[str, dict[str, Any]] = {
    "full": {},
    "lightweight": {
        "num_agents": 2,
        "verification_passes_required": 1,
        "aggregation": "none",
        "max_iterations": 2,
        "strategy_network": False,
    },
}
"""Field values of each preset; the defaults of `MarsConfig` are the full preset."""


class MarsConfig(StrategyConfig):
    """How MARS explores, verifies, aggregates, improves and selects."""

    preset: Preset | None = Field(
        default=None,
        description="Start from a preset ('full' = the defaults; 'lightweight' = 2 agents, "
        "1 verification pass, no aggregation, 2 iterations, no strategy network); fields given "
        "explicitly override the preset.",
    )
    num_agents: int = Field(default=3, ge=1, le=32, description="Agents exploring the problem (1-32).")
    temperatures: tuple[float, ...] | None = Field(
        default=None,
        description="One sampling temperature per agent, each in [0, 2]. Unset: 0.3, 0.6, 1.0 "
        "for 3 agents, otherwise evenly spaced over [0.3, 1.0].",
    )
    max_tokens: int = Field(
        default=512,
        ge=1,
        description="Completion budget of each written solution (exploration, aggregation, improvement, synthesis).",
    )
    verify_max_tokens: int = Field(default=256, ge=1, description="Completion budget of each review.")
    verify_temperature: float = Field(
        default=0.3, ge=0.0, le=2.0, description="Sampling temperature of reviews, in [0, 2]."
    )
    verdict: VerdictSource = Field(
        default="engine",
        description="Where a review's verdict comes from: 'engine' (a constrained probe after the "
        "review: always a verdict, scored by P(CORRECT)) or 'text' (parsed from the review; a "
        "review without a VERDICT line counts as negative).",
    )
    verification_passes_required: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Reviews per solution per round; a solution is verified when this many "
        "consecutive reviews say CORRECT (1-16).",
    )
    aggregation: Aggregation = Field(
        default="rsa",
        description="How candidates are combined after the first verification round: 'rsa' "
        "(recursive self-aggregation), 'moe' (one mixture-of-experts synthesis), 'majority' "
        "(a consensus vote, recorded in details; no engine call, no new text) or 'none'.",
    )
    rsa_population: int = Field(default=3, ge=1, le=64, description="RSA: solutions written per loop (N).")
    rsa_subset_size: int = Field(default=2, ge=1, description="RSA: candidates merged by each new solution (K <= N).")
    rsa_loops: int = Field(default=1, ge=1, le=16, description="RSA: aggregation loops (T).")
    moe_experts: int = Field(default=3, ge=1, le=16, description="MoE: best candidates the synthesis prompt shows.")
    max_iterations: int = Field(
        default=5,
        ge=0,
        le=32,
        description="Most improvement iterations (revise, then re-verify); 0 skips improvement. "
        "Stops as soon as a solution is verified.",
    )
    early_termination: bool = Field(
        default=True,
        description="Stop improving once `consensus_threshold` candidates give the same answer (as "
        "optillm's MARS stops on consensus); the answer is then selected by the 'consensus' rule.",
    )
    consensus_threshold: int = Field(
        default=2, ge=2, le=64, description="Candidates that must share the leading answer to stop early (>= 2)."
    )
    lazy_reviews: bool = Field(
        default=True,
        description="Within a verification round, ask for review pass p only when passes 1..p-1 said "
        "CORRECT: after a negative review the round cannot verify the solution, so later passes "
        "could not change the outcome. Off: every pass of the round in one call.",
    )
    skip_when_settled: bool = Field(
        default=True,
        description="Skip aggregation and improvement when, after exploration's reviews, "
        "consensus_threshold agents agree and a solution with that answer is verified "
        "(details.settled_after_exploration): nothing generated later could change the answer.",
    )
    strategy_network: bool = Field(
        default=True,
        description="When improvement starts, extract each agent's approach in one sentence "
        "and show revising agents the best peers' approaches.",
    )
    peer_approaches: int = Field(
        default=2, ge=1, le=16, description="Strategy network: peer approaches shown per revision."
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") is not None:
            preset = data["preset"]
            if preset not in PRESETS:
                return data  # the Literal check reports it
            return {**PRESETS[preset], **data}
        return data

    @field_validator("temperatures")
    @classmethod
    def _temperatures_in_range(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        for i, t in enumerate(value or ()):
            if not 0.0 <= t <= 2.0:
                raise ValueError(f"temperatures[{i}] = {t} is outside [0, 2]")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MarsConfig:
        if self.temperatures is not None and len(self.temperatures) != self.num_agents:
            raise ValueError(
                f"temperatures has {len(self.temperatures)} values but num_agents is "
                f"{self.num_agents}; give one temperature per agent or leave temperatures unset"
            )
        if self.rsa_subset_size > self.rsa_population:
            raise ValueError(
                f"rsa_subset_size (K = {self.rsa_subset_size}) must be <= rsa_population "
                f"(N = {self.rsa_population}); lower K or raise N"
            )
        return self

    @classmethod
    def full(cls, **overrides: Any) -> MarsConfig:
        """Every phase on: 3 agents, 2 passes, RSA, 5 iterations, strategy network."""
        return cls(preset="full", **overrides)

    @classmethod
    def lightweight(cls, **overrides: Any) -> MarsConfig:
        """A cheap run: 2 agents, 1 pass, no aggregation, 2 iterations."""
        return cls(preset="lightweight", **overrides)

    @property
    def agent_temperatures(self) -> tuple[float, ...]:
        """Each agent's exploration temperature."""
        if self.temperatures is not None:
            return self.temperatures
        if self.num_agents == len(DEFAULT_TEMPERATURES):
            return DEFAULT_TEMPERATURES
        return tuple(temperatures_between(0.3, 1.0, self.num_agents))

    @property
    def agent_ids(self) -> tuple[str, ...]:
        """`agent-0` ... `agent-{num_agents-1}`."""
        return tuple(f"agent-{i}" for i in range(self.num_agents))
