"""`leap` (Zhang et al., 2024): learn principles from mistakes on the query's own examples.

1) extract: the query's solved few-shot examples. Examples written as `Q:`/`A:`,
   `Question:`/`Answer:` or `Input:`/`Output:` pairs are read without the model; otherwise
   (with `extract_with_model`, as optillm always does) one request asks the model to copy
   them out in that form. At most `max_examples` are kept;
2) attempt: the model answers every example's question (one call, temperature 0.7);
   attempts whose answer does not match the example's are its mistakes;
3) low-level principles: one request per mistake (one call): what went wrong, as a general
   principle. With `learn_from_correct`, correct attempts also give one (the principle that
   made them work), which fixes the request count at one per example;
4) high-level principles: one request condenses them into at most `max_principles`;
5) answer: the query, answered with the principles in mind.

With no examples, or no mistakes to learn from, the query is answered directly (step 5 alone)
and the fallback is noted. The principles (both levels) are in `metadata.details`.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> leap = get_strategy("leap", max_examples=3)
    >>> solution = asyncio.run(leap.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'leap')
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from pydantic import Field

from engine import Prompt, Sampling
from kernels import is_correct
from strategies.blocks.parsing import parse_list, parse_tagged
from strategies.blocks.prompts import followup_prompt, numbered_list, render, solve_prompt
from strategies.blocks.sampling import seeded
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution
from strategies.core.strategy import Strategy

EXTRACT_PROMPT = (
    "Query:\n{query}\n\n"
    "---\n"
    "Does this query contain solved examples (questions shown with their answers)? If it "
    "does, copy every solved example as two lines:\n"
    "Question: <the example's question>\nAnswer: <the example's answer>\n"
    "If it has none, reply NONE."
)

LOW_LEVEL_PROMPT = (
    "Question:\n{question}\n\n"
    "Generated reasoning:\n{reasoning}\n\n"
    "Generated answer: {answer}\nCorrect answer: {reference}\n\n"
    "---\n"
    "Compare the generated answer with the correct answer, and the generated reasoning with "
    "the reasoning that reaches it. Find the discrepancies, misunderstandings or errors (if "
    "the generated answer is correct, what made it work). State the general principle that "
    "would lead to correct answers in the future, not one about this question. Put only the "
    "principle inside <principle></principle> tags."
)

HIGH_LEVEL_PROMPT = (
    "Low-level principles:\n{principles}\n\n"
    "---\n"
    "Create a numbered list of at most {count} unique and insightful principles for answering "
    "such questions, based on the principles above. Remove redundancy; keep each principle "
    "clear and concise and keep specific details. Put the list inside <principles></principles> "
    "tags."
)

APPLY_PROMPT = (
    "{query}\n\n"
    "---\n"
    "Keep in mind these principles, learned from mistakes on examples like the ones above:\n"
    "{principles}"
)

_EXAMPLE_RE = re.compile(
    r"^[ \t]*(?:Q|Question|Input)[ \t]*:[ \t]*(?P<question>\S.*?)\n"
    r"[ \t]*(?:A|Answer|Output)[ \t]*:[ \t]*(?P<answer>[^\n]*)",
    re.IGNORECASE | re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Example:
    """A solved few-shot example: its question and its reference answer."""

    question: str
    answer: str


def find_examples(text: str) -> list[Example]:
    """The solved `Q:`/`A:`, `Question:`/`Answer:` or `Input:`/`Output:` pairs of `text`;
    a question left unanswered (the one being asked) is not an example.

    >>> find_examples("Q: 2 @ 3?\\nA: 7\\nQ: 5 @ 2?\\nA:")
    [Example(question='2 @ 3?', answer='7')]
    """
    found = (Example(m["question"].strip(), m["answer"].strip()) for m in _EXAMPLE_RE.finditer(text))
    return [e for e in found if e.answer]


class LeapConfig(StrategyConfig):
    """How examples are found, and how principles are learned from them."""

    max_examples: int = Field(4, ge=1, le=32, description="Examples attempted at most.")
    extract_with_model: bool = Field(
        True,
        description="When the query has no Q:/A: style examples, ask the model to list them "
        "(one request; optillm always asks the model).",
    )
    learn_from_correct: bool = Field(
        False,
        description="Also derive a low-level principle from correct attempts (LEAP uses only "
        "mistakes); makes the request count one per example.",
    )
    max_principles: int = Field(8, ge=1, le=32, description="High-level principles kept (optillm: 8).")
    attempt_temperature: float = Field(
        0.7,
        ge=0.0,
        le=2.0,
        description="Temperature of the attempts on the examples (optillm: 0.7).",
    )
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Temperature of extraction, principles and the answer.")
    seed: int | None = Field(None, description="Sampling seed (None: unseeded).")


class Leap(Strategy[LeapConfig]):
    name = "leap"
    description = (
        "LEAP: attempt the query's few-shot examples, learn low- and high-level "
        "principles from the mistakes, answer with the principles."
    )
    calls = (
        "extract 0-1 call (0 when examples are Q:/A: pairs), attempt 1 call (E requests), "
        "low-level 1 call (M mistakes; E with learn_from_correct), high-level 1 call (1), answer 1 "
        "call (1): 4-5 calls, 2E + 2 requests when every attempt is learned from; no examples or "
        "no mistakes: the answer call alone after extraction"
    )
    config_class = LeapConfig

    async def solve(self, run: Run[LeapConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        sampling = cfg.sampling()
        # 1) extract the solved examples
        examples = await self._examples(run, query, system, sampling)
        run.details["examples"] = [asdict(e) for e in examples]
        principles: list[str] = []
        if not examples:
            run.fallback("no few-shot examples in the query; answered without principles")
        else:
            principles = await self._principles(run, examples, system, sampling)
        run.details["principles"] = principles
        # 5) answer with the principles in mind
        if principles:
            prompt = followup_prompt(query, APPLY_PROMPT, system=system, principles=numbered_list(principles))
        else:
            prompt = solve_prompt(query, system=system)
        [solution] = await run.solutions("answer", [prompt], sampling)
        return solution, "principles" if principles else "direct"

    async def _examples(self, run: Run, query: str, system: str | None, sampling: Sampling) -> list[Example]:
        examples = find_examples(query)
        if not examples and self.config.extract_with_model:
            extract = Prompt.user(render(EXTRACT_PROMPT, query=query), system=system)
            [listed] = await run.texts("extract", [extract], sampling)
            examples = find_examples(listed)
        return examples[: self.config.max_examples]

    async def _principles(self, run: Run, examples: list[Example], system: str | None, sampling: Sampling) -> list[str]:
        cfg = self.config
        # 2) attempt every example; wrong answers are the mistakes
        attempt = cfg.sampling(cfg.attempt_temperature)
        prompts = [solve_prompt(e.question, system=system) for e in examples]
        attempts = await run.solutions("attempt", prompts, seeded(attempt, len(examples)))
        correct = [is_correct(a.answer, e.answer) for a, e in zip(attempts, examples, strict=True)]
        run.details["attempts"] = [{"answer": a.answer, "correct": c} for a, c in zip(attempts, correct, strict=True)]
        learn = [i for i, c in enumerate(correct) if cfg.learn_from_correct or not c]
        if not learn:
            run.fallback("the model made no mistakes on the examples; answered without principles")
            return []
        # 3) low-level principles: one per mistake, in one call
        analyze = [
            Prompt.user(render(LOW_LEVEL_PROMPT, **mistake_fields(examples[i], attempts[i])), system=system)
            for i in learn
        ]
        analyses = await run.texts("low_level", analyze, sampling)
        low_level = [tagged_or_whole(run, text, "principle") for text in analyses]
        run.details["low_level_principles"] = low_level
        # 4) high-level principles: the low-level ones condensed
        condense = Prompt.user(
            render(HIGH_LEVEL_PROMPT, principles=numbered_list(low_level), count=cfg.max_principles),
            system=system,
        )
        [summary] = await run.texts("high_level", [condense], sampling)
        principles = parse_list(tagged_or_whole(run, summary, "principles"), cfg.max_principles)
        if not principles:
            run.fallback("no high-level principles written; used the low-level ones")
            principles = [p for p in low_level if p][: cfg.max_principles]
        return principles


def mistake_fields(example: Example, attempt: Solution) -> dict[str, str]:
    """The fields of `LOW_LEVEL_PROMPT` for one attempt on one example."""
    return {
        "question": example.question,
        "reasoning": attempt.reasoning,
        "answer": attempt.answer or "(none)",
        "reference": example.answer,
    }


def tagged_or_whole(run: Run, text: str, tag: str) -> str:
    """The `<tag>` section of `text`, or (noted as a fallback) the whole stripped text."""
    section = parse_tagged(text, tag)
    if section is None:
        run.fallback(f"no <{tag}> tags in a response; used its whole text")
        return text.strip()
    return section
