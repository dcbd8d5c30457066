"""Imports every built-in strategy module so that each registers itself with `strategies.base`."""

from __future__ import annotations

import strategies.autothink  # noqa: F401
import strategies.best_of_n  # noqa: F401
import strategies.cot_decoding  # noqa: F401
import strategies.cot_reflection  # noqa: F401
import strategies.deep_thinking  # noqa: F401
import strategies.deepconf  # noqa: F401
import strategies.diverse_sampling  # noqa: F401
import strategies.entropy_decoding  # noqa: F401
import strategies.leap  # noqa: F401
import strategies.mars  # noqa: F401
import strategies.mcts  # noqa: F401
import strategies.moa  # noqa: F401
import strategies.plain  # noqa: F401
import strategies.plansearch  # noqa: F401
import strategies.pvg  # noqa: F401
import strategies.reread  # noqa: F401
import strategies.rsa  # noqa: F401
import strategies.rstar  # noqa: F401
import strategies.rto  # noqa: F401
import strategies.self_consistency  # noqa: F401
