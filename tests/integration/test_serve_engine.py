"""`optivllm serve` end to end: the real command as a subprocess on the default model, asked
with the `openai` client, plain and MARS (lightweight), whole and streamed, and a concurrent batch."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI, OpenAI

from strategies.cli import ExitCode

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"optivllm serve: (\S+) on (http://\S+/v1)")
START_TIMEOUT_S = 600
QUESTION: list[Any] = [{"role": "user", "content": "What is 17 + 25?"}]
MARS = {"optivllm": {"config": {"preset": "lightweight", "verify_max_tokens": 16}}}


@dataclass
class Server:
    process: subprocess.Popen[str]
    model: str
    base_url: str

    def openai(self) -> OpenAI:
        return OpenAI(base_url=self.base_url, api_key="unused", max_retries=0, timeout=300)


def _read_lines(process: subprocess.Popen[str], into: queue.Queue[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        into.put(line)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """`optivllm serve --port 0` started once for the module; stopped with SIGTERM at the end."""
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "2")}
    process = subprocess.Popen(
        [sys.executable, "-m", "strategies.cli", "serve", "--port", "0", "--max-in-flight", "8"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process, lines), daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    match = None
    while match is None:
        assert process.poll() is None, "optivllm serve exited:\n" + "".join(seen)
        assert time.monotonic() < deadline, "optivllm serve did not start:\n" + "".join(seen)
        try:
            seen.append(lines.get(timeout=1))
        except queue.Empty:
            continue
        match = READY.search(seen[-1])
    try:
        yield Server(process, match[1], match[2])
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        assert code == ExitCode.INTERRUPTED, "".join(seen)


def test_plain_answers_whole_with_usage_and_the_optivllm_record(server: Server) -> None:
    response = server.openai().chat.completions.create(model=server.model, messages=QUESTION, max_tokens=24)
    assert response.choices[0].message.content
    assert (
        response.usage is not None and response.usage.prompt_tokens > 0 and 0 < response.usage.completion_tokens <= 24
    )
    assert response.usage.prompt_tokens_details is not None
    info = (response.model_extra or {})["optivllm"]
    assert (info["strategy"], info["engine_requests"], info["engine_calls"]) == ("plain", 1, 1)


def test_plain_streams_token_by_token(server: Server) -> None:
    stream = server.openai().chat.completions.create(
        model=server.model, messages=QUESTION, max_tokens=24, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 3
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens <= 24
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finals) == 1 and (finals[0].model_extra or {})["optivllm"]["strategy"] == "plain"


def test_mars_lightweight_whole_and_streamed(server: Server) -> None:
    api = server.openai()
    model = f"mars-{server.model}"
    response = api.chat.completions.create(model=model, messages=QUESTION, max_tokens=32, extra_body=MARS)
    info = (response.model_extra or {})["optivllm"]
    assert info["strategy"] == "mars" and "exploration" in info["usage_by_phase"] and info["engine_requests"] >= 2
    chunks = list(
        api.chat.completions.create(model=model, messages=QUESTION, max_tokens=32, extra_body=MARS, stream=True)
    )
    reasoning = [(c.choices[0].delta.model_extra or {}).get("reasoning_content") for c in chunks if c.choices]
    first_content = next(i for i, c in enumerate(chunks) if c.choices and c.choices[0].delta.content)
    assert any(line and "exploration" in line for line in reasoning[:first_content])
    assert (chunks[-1].model_extra or {})["optivllm"]["strategy"] == "mars"


async def test_concurrent_clients_are_all_answered(server: Server) -> None:
    api = AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=300)
    try:
        responses = await asyncio.gather(
            *(
                api.chat.completions.create(
                    model=server.model if i % 2 else f"self_consistency-{server.model}",
                    messages=[{"role": "user", "content": f"What is {i} + {i}?"}],
                    max_tokens=16,
                    extra_body=None if i % 2 else {"optivllm": {"config": {"samples": 4}}},
                )
                for i in range(6)
            )
        )
    finally:
        await api.close()
    assert all(r.choices[0].message.content is not None for r in responses)
    strategies = {(r.model_extra or {})["optivllm"]["strategy"] for r in responses}
    assert strategies == {"plain", "self_consistency"}


def test_health_models_and_metrics(server: Server) -> None:
    import http.client
    from urllib.parse import urlparse

    url = urlparse(server.base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200
    conn.close()
    server.openai().chat.completions.create(model=server.model, messages=QUESTION, max_tokens=8)
    ids = [m.id for m in server.openai().models.list()]
    assert ids[0] == server.model and f"mars-{server.model}" in ids
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    assert 'optivllm_requests_total{status="200",strategy="plain"}' in text
    assert 'optivllm_cached_prompt_tokens_total{strategy="plain"}' in text
    assert 'optivllm_request_duration_seconds_count{strategy="plain"}' in text
