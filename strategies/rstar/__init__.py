"""rStar: MCTS over reasoning steps with five actions and a mutual-consistency check
(see `strategies.rstar.rstar` for the algorithm, `strategies.rstar.tree` for the search tree).

Example:
    >>> from strategies.rstar import RStar, RStarConfig
    >>> RStar(RStarConfig()).config.rollouts
    4
"""

from strategies.rstar.rstar import RStar, RStarConfig
from strategies.rstar.tree import Node

__all__ = ["Node", "RStar", "RStarConfig"]
