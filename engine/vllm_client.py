"""`VLLMClient`: a `ModelClient` backed by vLLM's `AsyncLLM`, in this process.

Three layers, each converting one thing:
- input: `Prompt` → token ids (the model's chat template, then the tokenizer), `Sampling` →
  `SamplingParams`; the context-length check happens here, before anything is submitted;
- engine: vLLM's `AsyncLLM`, which schedules every request in flight as one continuous batch
  with prefix caching on;
- output: `RequestOutput` → `Completion`s / `ResponseEvent`s, and the usage counters.

`generate` submits all of its requests at once (one task per request), so k agents at k
temperatures are one batched step for the engine, and many concurrent `generate` calls (many
queries of a batch run) share the same batch. The client is bound to the event loop that first
uses it: run everything that uses one client under one `asyncio.run`.

Example (a script; vLLM's CPU workers are spawned, hence the main guard):
    >>> async def main() -> None:                                   # doctest: +SKIP
    ...     async with VLLMClient() as client:                      # the registry's default model
    ...         outs = await client.generate(
    ...             [Prompt.user("What is 2 + 3?")] * 3,
    ...             [Sampling(temperature=t, max_tokens=32) for t in (0.3, 0.6, 1.0)],
    ...             tag="explore")
    ...         print([c.text for c in outs], client.stats["explore"].cached_tokens)
    >>> if __name__ == "__main__":                                  # doctest: +SKIP
    ...     asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import time
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from engine._environment import prepare_environment
from engine._reaper import Reaper
from engine.errors import (
    ClientError,
    ConfigError,
    ContextLengthError,
    EngineDeadError,
    EngineStartError,
    RequestAbortedError,
)
from engine.fanout import StreamsUntil
from engine.hardware import CPU_BLOCK_SIZE, cpu_info, resolve_dtype
from engine.registry import ModelEntry, ModelRegistry, load_registry, resolve_model_source
from engine.types import (
    Completed,
    Completion,
    Prompt,
    ResponseEvent,
    Sampling,
    SamplingArg,
    TagArg,
    TextDelta,
    TokenLogprobs,
    TopLogprob,
    pair_requests,
)
from engine.usage import ClientStats, Usage, UsageLedger

if TYPE_CHECKING:
    from vllm import RequestOutput, SamplingParams
    from vllm.v1.engine.async_llm import AsyncLLM

logger = logging.getLogger(__name__)

_request_ids = itertools.count()


class VLLMClient(StreamsUntil):
    """A `ModelClient` running a vLLM engine in this process.

    `model` is a registry entry name (None: the registry's default) or a `ModelEntry`.
    `engine_overrides` are extra `AsyncEngineArgs` fields, applied over the entry's `engine`
    table (e.g. `enable_prefix_caching=False`, `max_num_seqs=64`). Starting takes ~30 s on
    CPU with the default model, longer for large GPU models.
    """

    def __init__(
        self,
        model: str | ModelEntry | None = None,
        *,
        registry: ModelRegistry | None = None,
        **engine_overrides: Any,
    ) -> None:
        if isinstance(model, ModelEntry):
            self.entry = model
        else:
            self.entry = (registry or load_registry()).get(model)
        self._ledger = UsageLedger()
        self._closed = False
        self._engine: AsyncLLM
        self._engine, self._reaper = start_watched_engine(self.entry, engine_overrides)
        self._tokenizer = self._engine.get_tokenizer()
        self._max_model_len: int = self._engine.model_config.max_model_len
        self.default_sampling = self.entry.sampling.to_sampling()

    # -- ModelClient ---------------------------------------------------------------------------

    @property
    def max_model_len(self) -> int:
        return self._max_model_len

    @property
    def dtype(self) -> str:
        """The dtype the engine computes in (what `dtype = "auto"` resolved to)."""
        return str(self._engine.model_config.dtype).removeprefix("torch.")

    @property
    def block_size(self) -> int:
        """Tokens per KV-cache block: the granularity at which shared prefixes are served."""
        return int(self._engine.vllm_config.cache_config.block_size)

    @property
    def stats(self) -> ClientStats:
        return self._ledger.snapshot()

    def reset_stats(self) -> None:
        self._ledger.reset()

    def count_prompt_tokens(self, prompt: Prompt) -> int:
        return len(self._render(prompt))

    async def generate(
        self, prompts: Sequence[Prompt], samplings: SamplingArg = Sampling(), *, tag: TagArg = None
    ) -> list[Completion]:
        requests = pair_requests(prompts, samplings, tag)
        rendered = [self._checked_render(p, t) for p, _, t in requests]
        start = time.perf_counter()
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(self._run(ids, s, t)) for ids, (_, s, t) in zip(rendered, requests, strict=True)
                ]
        except BaseExceptionGroup as group_error:
            raise _first_error(group_error) from None
        completions = [c for task in tasks for c in task.result()]
        self._ledger.record(completions, wall_s=time.perf_counter() - start)
        return completions

    async def stream(
        self, prompt: Prompt, sampling: Sampling = Sampling(), *, tag: str | None = None
    ) -> AsyncIterator[ResponseEvent]:
        from vllm.sampling_params import RequestOutputKind

        ids = self._checked_render(prompt, tag)
        sampling = sampling.with_(n=1)
        params = self._params(sampling, len(ids), RequestOutputKind.DELTA)
        request_id = f"optivllm-{next(_request_ids)}"
        start = time.perf_counter()
        token_ids: list[int] = []
        logprobs: list[TokenLogprobs] = []
        pieces: list[str] = []
        cached = 0
        finished = False
        try:
            async for out in self._engine_stream(ids, params, request_id):
                seq = out.outputs[0]
                delta_lp = _logprobs(seq.token_ids, seq.logprobs)
                token_ids.extend(seq.token_ids)
                pieces.append(seq.text)
                if delta_lp is not None:
                    logprobs.extend(delta_lp)
                cached = out.num_cached_tokens or cached
                if seq.text or seq.token_ids:
                    yield TextDelta(seq.text, tuple(seq.token_ids), delta_lp)
                if out.finished:
                    finished = True
                    completion = Completion(
                        text="".join(pieces),
                        token_ids=tuple(token_ids),
                        finish_reason=_finish_reason(seq.finish_reason),
                        prompt_tokens=len(ids),
                        completion_tokens=len(token_ids),
                        cached_tokens=cached,
                        logprobs=tuple(logprobs) if sampling.logprobs is not None else None,
                        request_id=request_id,
                        tag=tag,
                        temperature=sampling.temperature,
                    )
                    self._ledger.record([completion], wall_s=time.perf_counter() - start)
                    yield Completed(completion)
        finally:
            if not finished:
                await self._engine.abort(request_id)
                self._ledger.add(
                    tag,
                    Usage(
                        requests=1,
                        prompt_tokens=len(ids),
                        cached_tokens=cached,
                        completion_tokens=len(token_ids),
                        aborted_requests=1,
                        wall_s=time.perf_counter() - start,
                    ),
                )

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def pending_requests(self) -> int:
        """Requests the engine holds that have not finished (0 once everything is done or aborted)."""
        return int(self._engine.get_num_unfinished_requests())

    async def reset_prefix_cache(self) -> None:
        """Drop every cached KV block (for measurements that must start cold)."""
        await self._engine.reset_prefix_cache()

    def close(self) -> None:
        """Shut the engine down; returns once none of its processes is left. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self._engine.shutdown()
            # AsyncLLM.__del__ shuts down again; let that happen now, not at interpreter teardown
            del self._engine
        finally:
            self._reaper.close()

    async def __aenter__(self) -> VLLMClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __enter__(self) -> VLLMClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- input: Prompt/Sampling -> engine request ----------------------------------------------

    def _render(self, prompt: Prompt) -> list[int]:
        messages: list[Any] = list(prompt.as_openai_messages())
        text = self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if not isinstance(text, str):
            raise TypeError(f"the chat template rendered {type(text).__name__}, not text")
        return list(self._tokenizer.encode(text + prompt.assistant_prefix, add_special_tokens=False))

    def _checked_render(self, prompt: Prompt, tag: str | None) -> list[int]:
        if self._closed:
            raise EngineDeadError("this VLLMClient is closed; create a new one")
        ids = self._render(prompt)
        if len(ids) >= self._max_model_len:
            raise ContextLengthError(len(ids), self._max_model_len, tag=tag)
        return ids

    def _params(self, s: Sampling, prompt_len: int, kind: Any) -> SamplingParams:
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        return SamplingParams(
            n=s.n,
            temperature=s.temperature,
            top_p=s.top_p,
            top_k=s.top_k,
            min_p=s.min_p,
            # the engine stops at the context's end anyway; clipping keeps its validator quiet
            max_tokens=min(s.max_tokens, self._max_model_len - prompt_len),
            min_tokens=min(s.min_tokens, self._max_model_len - prompt_len),
            seed=s.seed,
            stop=list(s.stop) or None,
            logprobs=s.logprobs,
            extra_args=dict(s.extra) or None,
            structured_outputs=None if s.choice is None else StructuredOutputsParams(choice=list(s.choice)),
            output_kind=kind,
            stream_interval=s.stream_interval if s.stream_interval > 1 else None,
        )

    # -- engine --------------------------------------------------------------------------------

    async def _engine_stream(
        self, ids: list[int], params: SamplingParams, request_id: str
    ) -> AsyncIterator[RequestOutput]:
        from vllm.exceptions import VLLMValidationError
        from vllm.v1.engine.exceptions import EngineDeadError as VLLMEngineDeadError

        try:
            async for out in self._engine.generate(_tokens_input(ids), params, request_id):
                yield out
        except VLLMEngineDeadError as err:
            raise EngineDeadError(f"the vLLM engine died: {err}") from err
        except VLLMValidationError as err:
            if "maximum model length" in str(err):
                raise ContextLengthError(len(ids), self._max_model_len) from err
            raise ClientError(f"the engine rejected request {request_id}: {err}") from err

    async def _run(self, ids: list[int], s: Sampling, tag: str | None) -> list[Completion]:
        from vllm.sampling_params import RequestOutputKind

        request_id = f"optivllm-{next(_request_ids)}"
        final: RequestOutput | None = None
        async for out in self._engine_stream(ids, self._params(s, len(ids), RequestOutputKind.FINAL_ONLY), request_id):
            final = out
        if final is None:
            raise RequestAbortedError(f"request {request_id} ended without output")
        return [_completion(final, seq, s, tag, len(ids)) for seq in final.outputs]


def _first_error(group: BaseExceptionGroup) -> BaseException:
    """The error a failed `generate` raises: a fatal engine error first, else the first leaf.

    One call fans out into a task per request; callers catch `ClientError`, not the group.
    """
    leaves: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        err = stack.pop(0)
        if isinstance(err, BaseExceptionGroup):
            stack[:0] = list(err.exceptions)
        else:
            leaves.append(err)
    fatal = [e for e in leaves if isinstance(e, ClientError) and not e.recoverable]
    return (fatal or leaves)[0]


def _tokens_input(ids: list[int]) -> Any:
    """Already-rendered token ids in the form the engine takes without re-rendering them."""
    try:
        from vllm.inputs.engine import tokens_input
    except ImportError:  # vLLM before the renderer refactor
        from vllm.inputs import TokensPrompt

        return TokensPrompt(prompt_token_ids=ids)
    return tokens_input(ids)


# -- output: RequestOutput -> Completion ------------------------------------------------------


def _finish_reason(reason: str | None) -> Any:
    return reason if reason in ("stop", "length", "abort") else ("stop" if reason is None else "error")


def _logprobs(token_ids: Sequence[int], positions: Any) -> tuple[TokenLogprobs, ...] | None:
    if positions is None:
        return None
    out = []
    for token_id, position in zip(token_ids, positions, strict=False):
        position = position or {}
        chosen = position.get(token_id)
        top = sorted(
            (TopLogprob(tid, lp.decoded_token or "", lp.logprob) for tid, lp in position.items()),
            key=lambda t: -t.logprob,
        )
        out.append(
            TokenLogprobs(
                token_id=token_id,
                token=(chosen.decoded_token or "") if chosen else "",
                logprob=chosen.logprob if chosen else float("-inf"),
                top=tuple(top),
            )
        )
    return tuple(out)


def _completion(out: RequestOutput, seq: Any, s: Sampling, tag: str | None, prompt_len: int) -> Completion:
    return Completion(
        text=seq.text,
        token_ids=tuple(seq.token_ids),
        finish_reason=_finish_reason(seq.finish_reason),
        prompt_tokens=prompt_len,
        completion_tokens=len(seq.token_ids),
        cached_tokens=out.num_cached_tokens or 0,
        logprobs=_logprobs(seq.token_ids, seq.logprobs),
        request_id=out.request_id,
        sample_index=seq.index,
        tag=tag,
        temperature=s.temperature,
    )


# -- engine start -----------------------------------------------------------------------------

LOGITS_PROCESSORS = ("engine.logits:EntropyDecodingLogitsProcessor",)
"""Custom logits processors every engine registers, by name so spawned workers import them.
Each acts only on requests that opt in through `Sampling.extra`; see `engine.logits`."""


def engine_kwargs(entry: ModelEntry, source: str, overrides: dict[str, Any], *, on_cpu: bool) -> dict[str, Any]:
    """The `AsyncEngineArgs` fields for an entry: entry fields, then its `engine` table, then overrides."""
    from vllm import AsyncEngineArgs

    kwargs: dict[str, Any] = {
        "model": source,
        "dtype": resolve_dtype(entry.dtype, on_cpu=on_cpu).dtype,
        "max_model_len": entry.max_model_len,
        "tensor_parallel_size": entry.tensor_parallel_size,
        "data_parallel_size": entry.data_parallel_size,
        "enable_prefix_caching": entry.enable_prefix_caching,
        "generation_config": "vllm",  # our Sampling sets every field; ignore the model's defaults
        "seed": 0,
        "logits_processors": list(LOGITS_PROCESSORS),
    }
    if on_cpu:
        kwargs["enforce_eager"] = True  # ~30 s start instead of ~160 s of compilation
        # A seeded request whose prompt is split across scheduler steps makes vLLM rewind its
        # torch generator (`set_offset`), which only CUDA generators support: on CPU the engine
        # dies ("CPU Generator does not use offset"). Whole-prompt prefill avoids the rewind.
        kwargs["enable_chunked_prefill"] = False
        # shared prefixes are cached in whole blocks: finer blocks serve more of them (hardware.py)
        kwargs["block_size"] = CPU_BLOCK_SIZE
    else:
        kwargs["gpu_memory_utilization"] = entry.gpu_memory_utilization
    kwargs.update(entry.engine)
    kwargs.update(overrides)
    known = {f.name for f in dataclasses.fields(AsyncEngineArgs)}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise ConfigError(
            f"model {entry.name!r}: unknown vLLM engine option(s) {unknown}; see vllm.AsyncEngineArgs for valid names"
        )
    return {k: v for k, v in kwargs.items() if v is not None}


def start_watched_engine(entry: ModelEntry, overrides: dict[str, Any]) -> tuple[AsyncLLM, Reaper]:
    """The engine of `entry` (its `AsyncEngineArgs` plus `overrides`; `runner="pooling"` for a
    reward model) and the watchdog that ends its processes with this one, whatever ends it
    (see `engine._reaper`)."""
    reaper = Reaper.start()
    try:
        engine = _start_engine(entry, overrides)
    except BaseException:
        reaper.close()
        raise
    reaper.engine_started()
    return engine, reaper


def _start_engine(entry: ModelEntry, overrides: dict[str, Any]) -> AsyncLLM:
    prepare_environment(entry)
    source = resolve_model_source(entry)
    from vllm import AsyncEngineArgs
    from vllm.platforms import current_platform
    from vllm.v1.engine.async_llm import AsyncLLM

    kwargs = engine_kwargs(entry, source, overrides, on_cpu=current_platform.is_cpu())
    logger.info(
        "starting vLLM %s (%s runner) for model %s (%s), dtype %s, on %s",
        _vllm_version(),
        kwargs.get("runner", "generate"),
        entry.name,
        source,
        kwargs["dtype"],
        "CPU " + cpu_info().describe() if current_platform.is_cpu() else "GPU",
    )
    try:
        return AsyncLLM.from_engine_args(AsyncEngineArgs(**kwargs))
    except Exception as err:
        raise EngineStartError(
            f"could not start vLLM for model {entry.name!r} ({source}): {type(err).__name__}: {err}"
        ) from err


def _vllm_version() -> str:
    import vllm

    return str(getattr(vllm, "__version__", "?"))
