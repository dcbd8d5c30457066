"""A real uvicorn server on a free 127.0.0.1 port, serving any `ModelClient`, for the serve tests.

`serving(client)` starts `create_app(client)` in a thread of its own (its own event loop), so a
test talks to it exactly as a user would: with the `openai` client or raw HTTP. The clients
here stand in for an engine that is slow, stuck, dying or streaming slowly.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import aclosing, contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from openai import AsyncOpenAI, OpenAI

from engine import (
    Completion,
    EngineDeadError,
    ModelClient,
    Prompt,
    ResponseEvent,
    Sampling,
    SamplingArg,
    ScriptedClient,
    TagArg,
)
from strategies.serve import ServeSettings, create_app

MODEL = "tiny"
REPLY = "6 * 7 = 42.\nVERDICT: CORRECT\nSCORE: 0.9\nAnswer: 42"
"""A reply every strategy can read: a solution, a verdict, a score and an answer."""


def scripted(max_model_len: int = 4096) -> ScriptedClient:
    return ScriptedClient(lambda prompt, sampling: REPLY, max_model_len=max_model_len)


@dataclass
class Served:
    """A running server: its base URL, the client it serves, and the app's state."""

    base_url: str
    host: str
    port: int
    client: ModelClient
    state: Any

    def openai(self, api_key: str = "unused", **kwargs: Any) -> OpenAI:
        return OpenAI(base_url=self.base_url, api_key=api_key, max_retries=0, timeout=30, **kwargs)

    def async_openai(self, api_key: str = "unused") -> AsyncOpenAI:
        return AsyncOpenAI(base_url=self.base_url, api_key=api_key, max_retries=0, timeout=60)

    def http(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def post(self, path: str, body: bytes | dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """A raw POST: (status, parsed JSON body)."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        conn = self.http()
        try:
            conn.request("POST", path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            conn.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        conn = self.http()
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read(), dict(response.getheaders())
        finally:
            conn.close()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Until no run is in flight (a cancelled run ends a moment after its client left)."""
        deadline = time.monotonic() + timeout
        while self.state.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.state.in_flight == 0, f"{self.state.in_flight} runs still in flight"


@contextmanager
def serving(client: ModelClient | None = None, *, settings: ServeSettings | None = None) -> Iterator[Served]:
    """Serve `client` (a scripted model by default) on a free port until the block ends."""
    client = client if client is not None else scripted()
    app = create_app(client, model=MODEL, settings=settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.01)
    errors = _Errors()
    for name in ("uvicorn.error", "strategies.serve"):
        logging.getLogger(name).addHandler(errors)
    try:
        yield Served(f"http://127.0.0.1:{port}/v1", "127.0.0.1", port, client, app.state.optivllm)
    finally:
        server.should_exit = True
        thread.join(10)
        for name in ("uvicorn.error", "strategies.serve"):
            logging.getLogger(name).removeHandler(errors)
    assert not errors.records, "the server logged errors:\n" + "\n".join(errors.records)


class _Errors(logging.Handler):
    """The error records the server logs (an exception in a handler, a run that failed oddly)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def extension(obj: Any) -> dict[str, Any]:
    """The `optivllm` object of an `openai` response or chunk (an extra field to the client)."""
    extra = obj.model_extra or {}
    value: dict[str, Any] = extra["optivllm"]
    return value


def chat(text: str = "What is 6 * 7?", **fields: Any) -> dict[str, Any]:
    """A raw chat request body."""
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **fields}


# -- clients that stand in for an engine in trouble ---------------------------------------------


class GatedClient(ScriptedClient):
    """A scripted model whose `generate` waits until `release` is set; it notes being entered and
    being cancelled (both `threading.Event`s: the server runs in another thread)."""

    def __init__(self) -> None:
        super().__init__(lambda prompt, sampling: REPLY)
        self.entered = threading.Event()
        self.release = threading.Event()
        self.cancelled = threading.Event()

    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        self.entered.set()
        try:
            while not self.release.is_set():
                await asyncio.sleep(0.005)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return await super().generate(prompts, samplings, tag=tag)


class DeadClient(ScriptedClient):
    """An engine that died: every request fails with `EngineDeadError`."""

    def __init__(self) -> None:
        super().__init__(lambda prompt, sampling: REPLY)

    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        raise EngineDeadError("the vLLM engine died: test")


class SlowStreamClient(ScriptedClient):
    """A scripted model whose stream sends one word every `delay` seconds."""

    def __init__(self, text: str, delay: float = 0.05) -> None:
        super().__init__(lambda prompt, sampling: text)
        self.delay = delay

    async def stream(
        self, prompt: Prompt, sampling: Sampling = Sampling(), *, tag: str | None = None
    ) -> AsyncIterator[ResponseEvent]:
        async with aclosing(super().stream(prompt, sampling, tag=tag)) as events:  # type: ignore[type-var]
            async for event in events:
                yield event
                await asyncio.sleep(self.delay)
