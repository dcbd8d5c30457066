"""Fixtures of the MARS logic tests (the scripted model lives in `mars_script`)."""

from __future__ import annotations

import pytest

from tests.strategies.mars.mars_script import MarsScript


@pytest.fixture
def script() -> MarsScript:
    """A scripted model whose every reviewer says CORRECT and every answer is 4."""
    return MarsScript()
