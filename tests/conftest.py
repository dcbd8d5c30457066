"""Shared fixtures: one real vLLM engine per test session, started on first use.

Engine tests are marked `engine`; they all run on the session's event loop (see pyproject's
pytest-asyncio settings) because a `VLLMClient` is bound to the loop that first uses it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Modest defaults for the shared 2-core CI machine; a user's environment wins.
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def engine_client() -> Iterator[object]:
    """The one real `VLLMClient` of the session, on the registry's default model."""
    from engine import VLLMClient

    client = VLLMClient()
    yield client
    client.close()


@pytest.fixture
def fresh_stats(engine_client: object) -> object:
    """The session client with its counters zeroed."""
    engine_client.reset_stats()  # type: ignore[attr-defined]
    return engine_client
