"""`deep_thinking`: thinking-budget control for models that think in `<think>` sections.

The answer starts inside a thinking section (`Prompt.assistant_prefix` = "<think>\\n") and
each sequence is driven in rounds, every round one batched call for all sequences:

1) think: generate with stop = "</think>" and max_tokens = the thinking budget left;
2) too short: if the model closed its thinking (or ended) before `min_thinking_tokens`,
   append a continuation cue ("Wait,") to the answer prefix and think on; the sequence so
   far is the prompt of the continuation, so its full KV blocks come from the prefix cache;
3) too long: if it used up `max_thinking_tokens`, close the thinking ("\\n</think>\\n")
   ourselves (a forced close);
4) answer: continue once more after the closed thinking section for the final answer.

With `samples` > 1, several sequences run side by side and the answer is a majority vote.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> thinker = get_strategy("deep_thinking", min_thinking_tokens=64)
    >>> solution = asyncio.run(thinker.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'deep_thinking')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from engine import Completion, Prompt, Sampling
from strategies.blocks.prompts import solve_prompt
from strategies.blocks.voting import majority
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution, solution_from
from strategies.core.strategy import Strategy

State = Literal["thinking", "answering", "done"]


class DeepThinkingConfig(StrategyConfig):
    """Thinking budgets, the continuation cue, and the thinking markers."""

    min_thinking_tokens: int = Field(
        default=128, ge=0, description="Thinking shorter than this is continued with the cue."
    )
    max_thinking_tokens: int = Field(
        default=512,
        ge=1,
        description="Thinking is closed by force once it reaches this many tokens.",
    )
    max_continuations: int = Field(
        default=3, ge=0, le=32, description="Most times one sequence is continued with the cue."
    )
    continuation_cue: str = Field(
        default="\nWait,",
        min_length=1,
        description="Appended to a thinking section that ended too early.",
    )
    think_open: str = Field(default="<think>\n", min_length=1, description="Opens a thinking section.")
    think_close: str = Field(default="</think>", min_length=1, description="Closes a thinking section.")
    samples: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Sequences run side by side; >1 ends in a majority vote.",
    )
    temperature: float = Field(default=0.6, ge=0.0, le=2.0, description="Sampling temperature.")
    seed: int | None = Field(default=None, description="Seed of sequence 0; sequence i uses seed + i.")

    @model_validator(mode="after")
    def _budgets(self) -> DeepThinkingConfig:
        if self.min_thinking_tokens > self.max_thinking_tokens:
            raise ValueError(
                f"min_thinking_tokens ({self.min_thinking_tokens}) must be <= "
                f"max_thinking_tokens ({self.max_thinking_tokens})"
            )
        if self.samples > 1 and self.temperature == 0.0:
            raise ValueError("samples > 1 needs temperature > 0 (greedy sequences are identical)")
        return self


@dataclass
class Thought:
    """One sequence under budget control (mutable: it advances round by round)."""

    index: int
    thinking: str = ""
    tokens: int = 0
    rounds: int = 0
    continuations: int = 0
    forced_close: bool = False
    state: State = "thinking"
    answer: Completion | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "thinking_tokens": self.tokens,
            "continuations": self.continuations,
            "forced_close": self.forced_close,
            "answer_tokens": self.answer.completion_tokens if self.answer else 0,
        }


class DeepThinking(Strategy[DeepThinkingConfig]):
    name = "deep_thinking"
    description = (
        "Thinking-budget control: continue thinking that ends too early with a cue, "
        "close thinking that runs over budget, then answer."
    )
    calls = "2 to max_continuations + 2 calls, `samples` requests each"
    config_class = DeepThinkingConfig

    async def solve(self, run: Run[DeepThinkingConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        base = solve_prompt(query, system=system)
        thoughts = [Thought(i) for i in range(cfg.samples)]
        while active := [t for t in thoughts if t.state != "done"]:
            prompts, samplings, tags = zip(*(self._request(base, t) for t in active), strict=True)
            # one round: the phase is the round's request tags ("think", "continue+answer", ...)
            phase = "+".join(dict.fromkeys(tags))
            completions = await run.generate(phase, prompts, samplings, tags=tags)
            for thought, completion in zip(active, completions, strict=True):
                self._advance(thought, completion)
        solutions = [self._solution(t) for t in thoughts]
        await run.produced(solutions)
        pick = majority(solutions)
        run.details.update(
            {
                "thinking_tokens": sum(t.tokens for t in thoughts),
                "continuations": sum(t.continuations for t in thoughts),
                "forced_closes": sum(t.forced_close for t in thoughts),
                "sequences": [t.summary() for t in thoughts],
            }
        )
        return solutions[max(pick.index, 0)], "only" if cfg.samples == 1 else "majority"

    def _closed(self, thought: Thought) -> str:
        """The answer prefix of a sequence whose thinking is over."""
        cfg = self.config
        sep = "" if thought.thinking.endswith("\n") else "\n"
        return cfg.think_open + thought.thinking + sep + cfg.think_close + "\n"

    def _request(self, base: Prompt, thought: Thought) -> tuple[Prompt, Sampling, str]:
        cfg = self.config
        seed = None if cfg.seed is None else cfg.seed + thought.index
        sampling = cfg.sampling(seed=seed)
        if thought.state == "answering":
            return base.continued(self._closed(thought)), sampling, "answer"
        # 1) think, with the budget that is left; the closing marker stops it
        budget = sampling.with_(max_tokens=cfg.max_thinking_tokens - thought.tokens, stop=(cfg.think_close,))
        tag = "think" if thought.rounds == 0 else "continue"
        return base.continued(cfg.think_open + thought.thinking), budget, tag

    def _advance(self, thought: Thought, completion: Completion) -> None:
        cfg = self.config
        if thought.state == "answering":
            # 4) the answer after the closed thinking section
            thought.answer, thought.state = completion, "done"
            return
        thought.rounds += 1
        thought.thinking += completion.text
        thought.tokens += completion.completion_tokens
        if completion.finish_reason == "length" or thought.tokens >= cfg.max_thinking_tokens:
            # 3) over budget: close the thinking by force
            thought.forced_close, thought.state = True, "answering"
        elif thought.tokens < cfg.min_thinking_tokens and thought.continuations < cfg.max_continuations:
            # 2) ended too early: the cue keeps it thinking
            thought.thinking += cfg.continuation_cue
            thought.continuations += 1
        else:
            thought.state = "answering"

    def _solution(self, thought: Thought) -> Solution:
        assert thought.answer is not None
        full = self._closed(thought) + thought.answer.text
        completion = Completion(
            text=full,
            token_ids=(),
            finish_reason=thought.answer.finish_reason,
            prompt_tokens=thought.answer.prompt_tokens,
            completion_tokens=thought.tokens + thought.answer.completion_tokens,
            temperature=thought.answer.temperature,
        )
        return solution_from(completion, agent_id=f"sequence-{thought.index}", phase="answer", method="deep-thinking")
