"""`create_app`: the OpenAI-compatible ASGI app over any `ModelClient`.

    POST /v1/chat/completions   a strategy's answer, whole or streamed (server-sent events)
    GET  /v1/models             the model alone (plain) and `<strategy>-<model>` for every strategy
    GET  /health                200 while the engine serves, 503 once it died
    GET  /metrics               Prometheus text (`strategies.serve.metrics`)

A request is checked in this order, each failure answered in OpenAI's error schema: the API
key (401; only the /v1 routes need one), the body's size (413) and form (400), the strategy,
its config and the question (400, `strategies.serve.request`), the engine (503), the prompt's
length (400 with both lengths), then a free slot (429 with Retry-After once `max_in_flight`
runs are going on). Then the run starts as its own task on the shared client
(`strategies.serve.batching` where the client batches per call), so every request's strategy
lands in the same engine batches.

A streamed answer starts at once with the assistant's role; each event of the run follows as
a `delta.reasoning_content` line as it is emitted (with the event itself in the chunk's
`optivllm.event`); the answer's text comes when the run chooses it (for `plain` as the engine
writes it, every `stream_interval` tokens; pieces that piled up while the event loop was busy
go out as one chunk), then a last chunk with the finish reason and the `optivllm` record, the usage chunk
if `stream_options.include_usage`, and `[DONE]`. A comment line keeps a quiet stream open.
A client that goes away (streamed or not) has its run cancelled, which aborts its requests in
the engine.

Example:
    >>> from engine import ScriptedClient
    >>> app = create_app(ScriptedClient(lambda p, s: "Answer: 4"), model="tiny")
    >>> sorted(r.path for r in app.routes)
    ['/health', '/metrics', '/v1/chat/completions', '/v1/models']
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine import ContextLengthError, ModelClient, OptivllmError, TextDelta, TrackedClient
from strategies.blocks.prompts import solve_prompt
from strategies.catalog import strategy_class
from strategies.core.events import Event
from strategies.serve.batching import SharedBatch
from strategies.serve.errors import APIError, api_error, engine_error
from strategies.serve.metrics import CONTENT_TYPE, Metrics
from strategies.serve.progress import describe
from strategies.serve.request import Plan, one_line, plan_request, served_models
from strategies.serve.runs import Answered, answer
from strategies.serve.schema import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    CompletionUsage,
    Delta,
    ModelCard,
    ModelList,
    OptivllmInfo,
    ProgressInfo,
)

logger = logging.getLogger(__name__)

CLIENT_GONE = 499
"""The status a run is counted under when its client went away (nginx's convention)."""


@dataclass(frozen=True)
class ServeSettings:
    """How the server admits and answers requests."""

    api_keys: tuple[str, ...] = ()
    """Accepted `Authorization: Bearer` keys; none: no key needed."""
    max_in_flight: int = 64
    """Runs going on at once; one more is answered 429 with Retry-After."""
    max_body_bytes: int = 1 << 20
    """Largest request body accepted (413 above it)."""
    default_max_tokens: int | None = None
    """`max_tokens` of a request that sets none (the model entry's default); None: the strategy's."""
    retry_after_s: int = 1
    heartbeat_s: float = 15.0
    """Seconds of silence after which a stream gets a comment line (keeps proxies from closing it)."""
    stream_interval: int = 1
    """Tokens gathered per streamed piece of an answer (`vllm serve --stream-interval`): 1 sends
    every token as it comes; more cost the host less per token under many streams."""
    share_batches: bool = True
    """Send the `generate` calls of concurrent runs as one call (`SharedBatch`): for clients that
    batch within a call only. vLLM batches concurrent calls itself (`optivllm serve` turns it off)."""
    batch_window_s: float = 0.0
    """How long a shared batch waits for more calls after its first (0: one event-loop turn)."""

    def __post_init__(self) -> None:
        if self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {self.max_in_flight}")
        if self.stream_interval < 1:
            raise ValueError(f"stream_interval must be >= 1, got {self.stream_interval}")


class _Server:
    """The app's state: the shared client, the slots, the metrics, whether the engine lives."""

    def __init__(self, client: ModelClient, model: str, settings: ServeSettings) -> None:
        self.client: ModelClient = (
            SharedBatch(client, window_s=settings.batch_window_s) if settings.share_batches else client
        )
        self.model = model
        self.settings = settings
        self.metrics = Metrics()
        self.in_flight = 0
        self.dead: str | None = None
        self.created = int(time.time())
        self.runs: set[asyncio.Task[Answered]] = set()

    # -- admission ------------------------------------------------------------------------------

    def authorize(self, request: Request) -> None:
        keys = self.settings.api_keys
        if not keys:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        challenge = {"WWW-Authenticate": "Bearer"}
        if scheme.lower() != "bearer" or not token.strip():
            raise APIError(
                401,
                "missing API key: send it as 'Authorization: Bearer <key>'",
                code="missing_api_key",
                headers=challenge,
            )
        given = token.strip().encode()
        matched = False
        for key in keys:  # every key compared, in constant time each
            matched |= hmac.compare_digest(given, key.encode())
        if not matched:
            raise APIError(401, "invalid API key", code="invalid_api_key", headers=challenge)

    def check_alive(self) -> None:
        if self.dead is not None:
            raise APIError(503, f"the engine is not available: {self.dead}", code="engine_dead")

    def check_fits(self, plan: Plan) -> None:
        """400 when the question alone does not fit the model's context (both lengths named)."""
        tokens = self.client.count_prompt_tokens(solve_prompt(plan.query, system=plan.system))
        if tokens >= self.client.max_model_len:
            raise APIError(
                400,
                str(ContextLengthError(tokens, self.client.max_model_len)),
                param="messages",
                code="context_length_exceeded",
            )

    def check_slot(self) -> None:
        limit = self.settings.max_in_flight
        if self.in_flight >= limit:
            wait = self.settings.retry_after_s
            raise APIError(
                429,
                f"the server is running its limit of {limit} requests at once (--max-in-flight); retry in {wait} s",
                code="too_many_requests",
                headers={"Retry-After": str(wait)},
            )

    # -- runs -----------------------------------------------------------------------------------

    def start(self, plan: Plan, on_item: Any = None) -> asyncio.Task[Answered]:
        """The run of `plan` as a task holding one slot until it ends, however it ends."""
        tracked = TrackedClient(self.client)  # this request's usage, even if it fails or is cancelled
        self.in_flight += 1
        self.metrics.in_flight.inc()
        start = time.perf_counter()
        task = asyncio.ensure_future(answer(plan, tracked, on_item, stream_interval=self.settings.stream_interval))
        self.runs.add(task)

        def ended(t: asyncio.Task[Answered]) -> None:
            self.runs.discard(t)
            self.in_flight -= 1
            self.metrics.in_flight.dec()
            self.metrics.spent(plan.strategy, tracked.stats.total, time.perf_counter() - start)
            if t.cancelled():
                self.metrics.answered(plan.strategy, CLIENT_GONE)
                return
            err = t.exception()
            self.metrics.answered(plan.strategy, 200 if err is None else api_error(err).status)
            cause = engine_error(err) if err is not None else None
            if cause is not None and not cause.recoverable:
                self.dead = self.dead or str(cause)
            if err is not None and not isinstance(err, OptivllmError):
                logger.error("%s run failed unexpectedly", plan.strategy, exc_info=err)

        task.add_done_callback(ended)
        return task

    async def stop(self) -> None:
        """Cancel every run still going on and wait for them (before the engine shuts down)."""
        runs = list(self.runs)
        for task in runs:
            task.cancel()
        await asyncio.gather(*runs, return_exceptions=True)


def create_app(client: ModelClient, *, model: str, settings: ServeSettings | None = None) -> FastAPI:
    """The app serving `client` as `model` (and `<strategy>-<model>`); any `ModelClient` will do."""
    server = _Server(client, model, settings or ServeSettings())
    app = FastAPI(title="optivllm", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.optivllm = server

    @app.exception_handler(APIError)
    async def on_api_error(request: Request, err: APIError) -> Response:
        server.metrics.answered(getattr(request.state, "strategy", ""), err.status)
        return _error(err)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, err: StarletteHTTPException) -> Response:
        return _error(APIError(err.status_code, f"{request.method} {request.url.path}: {err.detail}"))

    @app.get("/health")
    async def health() -> Response:
        if server.dead is not None:
            return _error(APIError(503, f"the engine is not available: {server.dead}", code="engine_dead"))
        return _json({"status": "ok", "model": server.model, "in_flight": server.in_flight})

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(server.metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        server.authorize(request)
        cards = [
            ModelCard(
                id=name,
                created=server.created,
                root=server.model,
                strategy=strategy,
                description=strategy_class(strategy).description,
            )
            for name, strategy in served_models(server.model)
        ]
        return _json(ModelList(data=cards))

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        server.authorize(request)
        chat = _parse(await _body(request, server.settings.max_body_bytes))
        plan = plan_request(chat, served=server.model, default_max_tokens=server.settings.default_max_tokens)
        request.state.strategy = plan.strategy
        server.check_alive()
        server.check_fits(plan)
        server.check_slot()
        reply = _Reply(chat.model, plan)
        if plan.stream:
            return _stream(server, plan, reply)
        task = server.start(plan)
        try:
            await _until_done_or_gone(task, request)
        finally:
            gone = not task.done()
            if gone:
                task.cancel()  # the client went away (or the server is stopping)
        if gone or task.cancelled():
            return Response(status_code=CLIENT_GONE)
        err = task.exception()
        if err is not None:
            return _error(api_error(err))
        return _json(reply.completion(task.result()))

    return app


# -- requests -----------------------------------------------------------------------------------


async def _body(request: Request, limit: int) -> bytes:
    too_large = APIError(413, f"the request body is larger than {limit} bytes", code="request_too_large")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> ChatCompletionRequest:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise APIError(400, f"the request body is not valid JSON: {err}") from None
    try:
        return ChatCompletionRequest.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = ".".join(str(p) for p in e["loc"]) or "(body)"
            problems.append(f"{loc}: {e['msg']}")
        first = err.errors()[0]["loc"] if err.errors() else ()
        raise APIError(
            400, one_line("invalid request:\n" + "\n".join(problems)), param=".".join(str(p) for p in first) or None
        ) from None


async def _until_done_or_gone(task: asyncio.Task[Answered], request: Request) -> None:
    """Wait for the run, or until the client disconnects, whichever comes first."""

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()


# -- responses ----------------------------------------------------------------------------------


class _Reply:
    """The pieces of one request's response, with its id, creation time and model name."""

    def __init__(self, model: str, plan: Plan) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.model = model
        self.plan = plan
        self._text_head: bytes | None = None

    def completion(self, done: Answered) -> ChatCompletion:
        solution = done.solution
        return ChatCompletion(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[Choice(message=AssistantMessage(content=_content(done)), finish_reason=done.finish_reason)],
            usage=CompletionUsage.of(solution.metadata.usage),
            optivllm=OptivllmInfo.of(solution, done.candidates),
        )

    def text_chunk(self, text: str) -> bytes:
        """`self.chunk(Delta(content=text))`, the same JSON, without building the models: the
        one chunk a streamed answer sends per piece of text."""
        if self._text_head is None:
            empty = self.chunk(Delta(content=""))
            tail = b'"content":""}}]}\n\n'
            if not empty.endswith(tail):  # the schema changed its layout: take the slow way
                return self.chunk(Delta(content=text))
            self._text_head = empty[: -len(tail)] + b'"content":'
        return self._text_head + json.dumps(text, ensure_ascii=False).encode() + b"}}]}\n\n"

    def chunk(self, delta: Delta | None = None, **fields: Any) -> bytes:
        choices = [] if delta is None else [ChunkChoice(delta=delta, finish_reason=fields.pop("finish_reason", None))]
        chunk = ChatCompletionChunk(id=self.id, created=self.created, model=self.model, choices=choices, **fields)
        return _sse(chunk.model_dump_json(exclude_none=True))


def _content(done: Answered) -> str:
    """The answer's text: the chosen solution's whole response (its extracted answer if empty)."""
    return done.solution.reasoning or done.solution.answer


def _stream(server: _Server, plan: Plan, reply: _Reply) -> Response:
    pending = _Pending()  # unbounded: the run never waits for the client
    task = server.start(plan, on_item=pending.put)
    task.add_done_callback(lambda _: pending.put(_END))
    started = time.perf_counter()

    def first_text_now() -> None:
        server.metrics.first_token.labels(strategy=plan.strategy).observe(time.perf_counter() - started)

    async def events() -> AsyncIterator[bytes]:
        try:
            yield reply.chunk(Delta(role="assistant", content=""))
            first_text = True
            ended = False
            while not ended:
                items = await pending.take(server.settings.heartbeat_s)
                if items is None:
                    yield b": keep-alive\n\n"
                    continue
                out: list[bytes] = []
                for item in _joined(items):
                    if item is _END:
                        ended = True
                    elif isinstance(item, str):
                        if first_text:
                            first_text = False
                            first_text_now()
                        out.append(reply.text_chunk(item))
                    elif isinstance(item, Event):
                        progress = ProgressInfo(event=item.model_dump(mode="json"))
                        out.append(reply.chunk(Delta(reasoning_content=describe(item)), optivllm=progress))
                if out:
                    yield b"".join(out)
            if task.cancelled():
                return
            err = task.exception()
            if err is not None:
                yield _sse(json.dumps(api_error(err).body()))
                yield _sse("[DONE]")
                return
            done = task.result()
            if not done.streamed:
                first_text_now()
                yield reply.chunk(Delta(content=_content(done)))
            info = OptivllmInfo.of(done.solution, done.candidates)
            yield reply.chunk(Delta(), finish_reason=done.finish_reason, optivllm=info)
            if plan.include_usage:
                yield reply.chunk(usage=CompletionUsage.of(done.solution.metadata.usage))
            yield _sse("[DONE]")
        finally:
            task.cancel()  # a client that went away: its run stops, its engine requests are aborted

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    # the background task runs even when the client left before the stream was started
    return StreamingResponse(
        events(), media_type="text/event-stream", headers=headers, background=BackgroundTask(task.cancel)
    )


_END = object()


class _Pending:
    """What a run has produced for its stream and the stream has not sent yet.

    The stream takes everything waiting at once, so when the engine writes faster than the
    client reads (many streams on one event loop) the pieces that piled up go out together.
    """

    def __init__(self) -> None:
        self._items: deque[Any] = deque()
        self._ready = asyncio.Event()

    def put(self, item: Any) -> None:
        self._items.append(item)
        self._ready.set()

    async def take(self, heartbeat_s: float) -> list[Any] | None:
        """Every item waiting, after waiting for one if there is none; None after `heartbeat_s`
        of silence."""
        if not self._items:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), heartbeat_s)
            except TimeoutError:
                return None
        items = list(self._items)
        self._items.clear()
        return items


def _joined(items: list[Any]) -> list[Any]:
    """`items` with each run of consecutive `TextDelta`s as the one string they spell."""
    out: list[Any] = []
    texts: list[str] = []
    for item in items:
        if isinstance(item, TextDelta):
            texts.append(item.text)
            continue
        if texts:
            out.append("".join(texts))
            texts = []
        out.append(item)
    if texts:
        out.append("".join(texts))
    return out


def _sse(data: str) -> bytes:
    return f"data: {data}\n\n".encode()


def _json(body: BaseModel | dict[str, Any], status: int = 200) -> Response:
    content = body.model_dump(mode="json", exclude_none=True) if isinstance(body, BaseModel) else body
    return JSONResponse(content, status_code=status)


def _error(err: APIError) -> Response:
    return JSONResponse(err.body(), status_code=err.status, headers=err.headers)
