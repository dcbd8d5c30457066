"""`RewardClient`: a reward model in a second vLLM engine in this process, in pooling mode.

A models.toml entry with `kind = "reward"` names it; its `[reward]` table (`RewardSettings`)
says how a (question, partial solution) pair is read. Three layers, each converting one thing:
- input: the pair → token ids (the model's chat template: system, the question as the user's
  turn, the steps so far as the assistant's turn, an optional verdict question last, so the
  pairs of one trajectory share their prefix);
- engine: vLLM's `AsyncLLM` with `runner="pooling"` (and the entry's `convert`, e.g. a chat
  model turned into a yes/no classifier), every pair of a call one `encode` request, all at once;
- output: the pooled tensor → one score in [0, 1] (`read_reward`), and the call's `Usage`.

One engine per entry serves the whole process (`shared_reward_client`): it starts on first use
and is shut down at exit (its processes end with this one anyway, see `engine._reaper`).

Example:
    >>> read_reward([[0.9, 0.1], [0.3, 0.7]], label=-1)
    0.7
    >>> pair_messages("2+2?", ["2+2 = 4.", "Answer: 4"], RewardSettings(step_tag="<s>"))[-1]["content"]
    '2+2 = 4.<s>Answer: 4<s>'
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.errors import ClientError, ConfigError, ContextLengthError, EngineDeadError
from engine.registry import ModelEntry, ModelRegistry, RewardSettings, load_registry
from engine.usage import Usage
from engine.vllm_client import _first_error, _tokens_input, start_watched_engine

if TYPE_CHECKING:
    from vllm.v1.engine.async_llm import AsyncLLM

logger = logging.getLogger(__name__)

_request_ids = itertools.count()


@dataclass(frozen=True, slots=True)
class RewardBatch:
    """The scores of one `RewardClient.score` call, in order, and what the call cost."""

    scores: tuple[float, ...]
    usage: Usage


def pair_messages(question: str, steps: Sequence[str], settings: RewardSettings) -> list[dict[str, str]]:
    """The chat messages of a (question, steps so far) pair, shared part first."""
    if settings.step_tag:
        solution = "".join(step.strip() + settings.step_tag for step in steps if step.strip())
    else:
        solution = "".join(steps).strip()
    messages = [{"role": "system", "content": settings.system}] if settings.system is not None else []
    messages += [{"role": "user", "content": question}, {"role": "assistant", "content": solution}]
    if settings.question is not None:
        messages.append({"role": "user", "content": settings.question})
    return messages


def read_reward(data: Any, *, label: int, tag_positions: Sequence[int] = (), prompt_len: int = 0) -> float:
    """The score in a pooled output: a vector of class probabilities (classify) or one row per
    token or step (token_classify: the row of the last step tag when rows are per token, else the
    last row); the value is column `label` (a one-column output: its only value).

    >>> read_reward([0.25], label=-1), read_reward([[0.1], [0.2], [0.6]], label=-1, tag_positions=[1], prompt_len=3)
    (0.25, 0.2)
    """
    rows = data.tolist() if hasattr(data, "tolist") else data
    if rows and isinstance(rows[0], list):
        at = tag_positions[-1] if tag_positions and len(rows) == prompt_len else -1
        rows = rows[at]
    values = [float(v) for v in rows]
    value = values[0] if len(values) == 1 else values[label]
    if not 0.0 <= value <= 1.0:
        raise ClientError(
            f"the reward model returned {value}, not a probability; give its entry "
            "engine.pooler_config = { use_activation = true } so the engine applies its activation"
        )
    return value


class RewardClient:
    """A reward model (`kind = "reward"`) running in a vLLM engine in this process.

    `model` is a registry entry name or a `ModelEntry`; `engine_overrides` are extra
    `AsyncEngineArgs` fields over the entry's `engine` table. Bound to the event loop that
    first uses it, like `VLLMClient`.
    """

    def __init__(self, model: str | ModelEntry, *, registry: ModelRegistry | None = None, **engine_overrides: Any):
        self.entry = model if isinstance(model, ModelEntry) else (registry or load_registry()).reward_model(model)
        if self.entry.kind != "reward" or self.entry.reward is None:
            raise ConfigError(f'model {self.entry.name!r} is not a reward model (kind = "reward")')
        self.settings: RewardSettings = self.entry.reward
        self._closed = False
        # the generating engine's settings, without its sampling-only parts (logits processors)
        pooling = {"runner": "pooling", "logits_processors": None, **engine_overrides}
        self._engine: AsyncLLM
        self._engine, self._reaper = start_watched_engine(self.entry, pooling)
        self._tokenizer = self._engine.get_tokenizer()
        self._max_model_len: int = self._engine.model_config.max_model_len
        tag = self.settings.step_tag
        self._tag_id: int | None = self._tokenizer.convert_tokens_to_ids(tag) if tag else None

    @property
    def name(self) -> str:
        return self.entry.name

    async def score(self, questions: Sequence[str], steps: Sequence[Sequence[str]]) -> RewardBatch:
        """One score in [0, 1] per (question, steps so far) pair, every pair in flight at once."""
        if len(questions) != len(steps):
            raise ClientError(f"score got {len(questions)} questions but {len(steps)} solutions")
        rendered = [self._render(q, s) for q, s in zip(questions, steps, strict=True)]
        start = time.perf_counter()
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._encode(ids)) for ids in rendered]
        except BaseExceptionGroup as group_error:
            raise _first_error(group_error) from None
        results = [t.result() for t in tasks]
        usage = Usage(
            requests=len(rendered),
            prompt_tokens=sum(len(ids) for ids in rendered),
            cached_tokens=sum(cached for _, cached in results),
            wall_s=time.perf_counter() - start,
        )
        return RewardBatch(tuple(score for score, _ in results), usage)

    def close(self) -> None:
        """Shut the engine down; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self._engine.shutdown()
            del self._engine
        finally:
            self._reaper.close()

    # -- input: pair -> token ids ------------------------------------------------------------------

    def _render(self, question: str, steps: Sequence[str]) -> list[int]:
        if self._closed:
            raise EngineDeadError(f"the reward model {self.name!r} is closed")
        messages: list[Any] = pair_messages(question, steps, self.settings)
        text = self._tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=self.settings.question is not None
        )
        if not isinstance(text, str):
            raise TypeError(f"the chat template rendered {type(text).__name__}, not text")
        ids = list(self._tokenizer.encode(text, add_special_tokens=False))
        if len(ids) >= self._max_model_len:
            raise ContextLengthError(len(ids), self._max_model_len, tag="reward")
        return ids

    # -- engine and output: one pooling request -> (score, cached tokens) -----------------------

    async def _encode(self, ids: list[int]) -> tuple[float, int]:
        from vllm import PoolingParams
        from vllm.v1.engine.exceptions import EngineDeadError as VLLMEngineDeadError

        request_id = f"optivllm-reward-{next(_request_ids)}"
        final = None
        try:
            async for out in self._engine.encode(
                _tokens_input(ids), PoolingParams(task=self.settings.task), request_id
            ):
                final = out
        except VLLMEngineDeadError as err:
            raise EngineDeadError(f"the reward engine died: {err}") from err
        if final is None:
            raise ClientError(f"reward request {request_id} ended without output")
        tags = [i for i, t in enumerate(ids) if t == self._tag_id] if self._tag_id is not None else []
        score = read_reward(final.outputs.data, label=self.settings.label, tag_positions=tags, prompt_len=len(ids))
        return score, int(final.num_cached_tokens or 0)


_SHARED: dict[str, RewardClient] = {}


def shared_reward_client(name: str, *, registry: ModelRegistry | None = None) -> RewardClient:
    """The process's engine for reward model `name`, started on first use (a ~20 s start on CPU
    that blocks the event loop once)."""
    client = _SHARED.get(name)
    if client is None:
        client = _SHARED[name] = RewardClient(name, registry=registry)
    return client


def close_shared_reward_clients() -> None:
    """Shut down every shared reward engine (also done at interpreter exit)."""
    while _SHARED:
        _, client = _SHARED.popitem()
        client.close()


atexit.register(close_shared_reward_clients)
