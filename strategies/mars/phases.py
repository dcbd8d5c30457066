"""The phases of a MARS run; each name is also the request tag of that phase's `generate` calls,
so `Solution.metadata.usage_by_phase` is keyed by these values.

Example:
    >>> Phase.VERIFICATION == "verification"
    True
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """A MARS phase and its request tag."""

    EXPLORATION = "exploration"
    VERIFICATION = "verification"
    AGGREGATION = "aggregation"
    STRATEGY_NETWORK = "strategy_network"
    IMPROVEMENT = "improvement"
    SELECTION = "selection"
