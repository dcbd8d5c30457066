"""`rto`, round-trip optimization for code: write, describe, rewrite from the description,
compare, and merge the two programs when they differ.

1) code: C1, a program for the query;
2) describe: the model turns C1 into an instruction Q2 from which it could write C1 again
   (a follow-up turn after C1; an empty description falls back to the query);
3) regenerate: C2, a program written from Q2 alone;
4) compare: the first fenced code block of C1 and of C2 (the whole text when a response has
   none, noted as a fallback), each normalized by the answer kernels' code key (indentation,
   trailing spaces and blank lines do not count). Equal programs survived the round trip:
   C1 is the answer;
5) synthesize: otherwise C3, one program written from the query, C1 and C2.

Every step depends on the one before, so each is one call of one request. Temperatures
follow optillm (0.1 everywhere).

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "def is_prime(n): ...")  # a scripted model
    >>> rto = get_strategy("rto", max_tokens=1024)
    >>> solution = asyncio.run(rto.optimize("Write is_prime(n) in Python.", client))
    >>> solution.metadata.selection_rule, solution.metadata.engine_calls
    ('round-trip', 3)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine import Message, Prompt
from kernels import answer_key
from strategies.blocks.parsing import first_code_block
from strategies.blocks.prompts import render
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy

CODE_SYSTEM = "You are an expert programmer. Answer with one complete, correct program in a single markdown code block."

DESCRIBE_PROMPT = (
    "Summarize or describe the code you just wrote. Write the summary as an instruction such "
    "that, given only the instruction, you could write the same code again."
)

SYNTHESIZE_PROMPT = (
    "Initial query:\n{query}\n\n"
    "First generated code (C1):\n```\n{c1}\n```\n\n"
    "Second generated code (C2):\n```\n{c2}\n```\n\n"
    "---\n"
    "Based on the initial query and these two different implementations, write a final, "
    "optimized version of the code. Respond only with the final code in one code block."
)

CODE_FENCE = "```\n{code}\n```"


class RtoConfig(StrategyConfig):
    """Sampling of the four steps, and when the synthesis step runs."""

    temperature: float = Field(0.1, ge=0.0, le=2.0, description="Temperature of every step (optillm: 0.1).")
    seed: int | None = Field(None, description="Sampling seed (None: unseeded).")
    synthesize: Literal["on_mismatch", "always"] = Field(
        "on_mismatch",
        description="'on_mismatch' (optillm): write C3 only when C1 and C2 differ; 'always': "
        "write C3 every time (a fixed 4 calls per query).",
    )


def code_of(text: str) -> tuple[str, bool]:
    """The first fenced code block of `text` (True), or the whole text when it has none (False)."""
    block = first_code_block(text)
    return (text, False) if block is None else (block, True)


def code_key(code: str) -> str:
    """The kernels' canonical key of a program (fenced so that `answer_key` reads it as code)."""
    return answer_key(render(CODE_FENCE, code=code), kind="code")


class RoundTrip(Strategy[RtoConfig]):
    name = "rto"
    description = (
        "Round-trip optimization for code: C1, a description of it, C2 from the "
        "description; C1 if they agree, else a C3 merged from both."
    )
    calls = (
        "3 calls, 3 requests when C1 and C2 agree; 4 calls, 4 requests otherwise "
        "(synthesize='always': always 4 calls, 4 requests)"
    )
    config_class = RtoConfig

    async def solve(self, run: Run[RtoConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        sampling = cfg.sampling()
        system = system if system is not None else CODE_SYSTEM
        # 1) C1 from the query
        first = Prompt.user(query, system=system)
        [c1] = await run.solutions("code", [first], sampling, kind="code")
        # 2) Q2: C1 described as an instruction
        describe = Prompt.chat(
            [*first.messages, Message("assistant", c1.reasoning), Message("user", DESCRIBE_PROMPT)],
            system=system,
        )
        [q2] = await run.texts("describe", [describe], sampling)
        if not q2.strip():
            run.fallback("empty description; C2 written from the query")
            q2 = query
        # 3) C2 from Q2 alone
        [c2] = await run.solutions("regenerate", [Prompt.user(q2, system=system)], sampling, kind="code")
        # 4) compare the normalized programs
        (code1, fenced1), (code2, fenced2) = code_of(c1.reasoning), code_of(c2.reasoning)
        for name, fenced in (("C1", fenced1), ("C2", fenced2)):
            if not fenced:
                run.fallback(f"{name} has no code block; compared its whole text")
        agree = code_key(code1) == code_key(code2)
        run.details.update(description=q2, programs_agree=agree)
        if agree and cfg.synthesize == "on_mismatch":
            return c1, "round-trip"
        # 5) C3 merged from the query, C1 and C2
        merge = Prompt.user(render(SYNTHESIZE_PROMPT, query=query, c1=code1, c2=code2), system=system)
        [c3] = await run.solutions("synthesize", [merge], sampling, kind="code", method="merge")
        return c3, "synthesis"
