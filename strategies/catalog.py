"""Imports every built-in strategy module so that each registers itself with `strategies.base`."""

from __future__ import annotations

import strategies.mars  # noqa: F401
import strategies.plain  # noqa: F401
