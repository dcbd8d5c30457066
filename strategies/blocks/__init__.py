"""Shared steps of strategies: prompt builders, fan-out samplings, voting, cross-verification,
rating, aggregation and parsing. A block that generates takes the `Run` and goes through its
primitive, so the step's phase events and usage come with it.

Example:
    >>> from strategies.blocks import majority, solve_prompt
    >>> solve_prompt("2+2?").messages[0].content
    '2+2?'
"""

from strategies.blocks.aggregate import (
    AGGREGATOR_ID,
    MOE_PROMPT,
    RSA_PROMPT,
    Aggregate,
    aggregate_prompt,
    candidate_blocks,
    moe_synthesis,
    rsa_round,
    rsa_subsets,
)
from strategies.blocks.parsing import Verdict, first_code_block, parse_list, parse_score, parse_tagged, parse_verdict
from strategies.blocks.probe import RATING_PROBE, VERDICT_PROBE, Probe, ProbeReading, probe_batch, read_probe
from strategies.blocks.prompts import (
    SOLVE_PROMPT,
    SOLVER_SYSTEM,
    followup_prompt,
    join_system,
    numbered_list,
    render,
    solve_prompt,
)
from strategies.blocks.rating import (
    RATING_PROMPT,
    RATING_SYSTEM,
    Rating,
    RatingConfig,
    best_rated,
    rate_batch,
    read_rating,
    unrated_fallbacks,
)
from strategies.blocks.sampling import SampledConfig, samplings_at, seeded, temperatures_between
from strategies.blocks.verify import (
    INDEPENDENT_VERIFIER,
    SOLUTION_PREFIX,
    VERIFY_PROMPT,
    VERIFY_SYSTEM,
    Review,
    consecutive_positives,
    cross_assignments,
    reviewed,
    verify_batch,
    verify_prompt,
)
from strategies.blocks.voting import (
    Consensus,
    Pick,
    agreement,
    best_indices,
    consensus,
    majority,
    ranking,
    vote_on,
    weighted,
)
from strategies.blocks.waves import Drawn, WaveConfig, sample_in_waves, waves_of

__all__ = [
    "AGGREGATOR_ID",
    "Aggregate",
    "Consensus",
    "Drawn",
    "INDEPENDENT_VERIFIER",
    "MOE_PROMPT",
    "Pick",
    "Probe",
    "ProbeReading",
    "RATING_PROBE",
    "RATING_PROMPT",
    "RATING_SYSTEM",
    "RSA_PROMPT",
    "Rating",
    "RatingConfig",
    "Review",
    "SOLUTION_PREFIX",
    "SOLVER_SYSTEM",
    "SOLVE_PROMPT",
    "SampledConfig",
    "VERDICT_PROBE",
    "VERIFY_PROMPT",
    "VERIFY_SYSTEM",
    "Verdict",
    "WaveConfig",
    "aggregate_prompt",
    "agreement",
    "best_indices",
    "best_rated",
    "candidate_blocks",
    "consecutive_positives",
    "consensus",
    "cross_assignments",
    "first_code_block",
    "followup_prompt",
    "join_system",
    "majority",
    "moe_synthesis",
    "numbered_list",
    "parse_list",
    "parse_score",
    "parse_tagged",
    "parse_verdict",
    "probe_batch",
    "ranking",
    "rate_batch",
    "read_probe",
    "read_rating",
    "render",
    "reviewed",
    "rsa_round",
    "rsa_subsets",
    "sample_in_waves",
    "samplings_at",
    "seeded",
    "solve_prompt",
    "temperatures_between",
    "unrated_fallbacks",
    "verify_batch",
    "verify_prompt",
    "vote_on",
    "waves_of",
    "weighted",
]
