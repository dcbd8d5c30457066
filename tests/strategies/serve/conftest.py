"""Fixtures of the serve tests: a real uvicorn server on 127.0.0.1 serving a scripted model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.strategies.serve.serving import Served, serving


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """One server per test module, on a scripted model every strategy can read."""
    with serving() as s:
        yield s
