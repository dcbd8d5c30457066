"""`cot_reflection`: think, reflect on the thinking, then answer, in one tagged response.

1) generate: one request whose system prompt asks for `<thinking>`, `<reflection>` and
   `<output>` sections;
2) parse: the solution is the `<output>` section only (an unclosed one runs to the end of
   the response). A missing section is a fallback, noted in `metadata.fallbacks`: without
   `<output>`, the text after the last closed `</reflection>` or `</thinking>`; without any
   section, the whole response. The thinking and reflection go to `metadata.details`.

Example:
    >>> import asyncio
    >>> from engine import ScriptedClient
    >>> from strategies import get_strategy
    >>> client = ScriptedClient(lambda prompt, sampling: "6 * 7 = 42.\\nVERDICT: CORRECT\\nSCORE: 0.9\\nRATING: 8\\nAnswer: 42")  # a model that says 42
    >>> cot = get_strategy("cot_reflection", temperature=0.6)
    >>> solution = asyncio.run(cot.optimize("What is 6 * 7?", client))
    >>> solution.answer, solution.metadata.strategy
    ('42', 'cot_reflection')
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pydantic import Field

from strategies.blocks.parsing import parse_tagged
from strategies.blocks.prompts import join_system, solve_prompt
from strategies.core.config import StrategyConfig
from strategies.core.run import Run
from strategies.core.solution import Solution, solution_from
from strategies.core.strategy import Strategy

COT_REFLECTION_SYSTEM = (
    "You answer with a chain of thought and a reflection on it. Follow these steps:\n"
    "1. Think through the problem step by step inside <thinking> tags.\n"
    "2. Check that thinking for errors and improvements inside <reflection> tags.\n"
    "3. Make any adjustments the reflection calls for.\n"
    "4. Give your final, concise answer inside <output> tags; end it with: Answer: <answer>\n\n"
    "Only the <output> section is shown to the user. Use this format:\n"
    "<thinking>\n[your step-by-step reasoning]\n</thinking>\n"
    "<reflection>\n[your check of the reasoning]\n</reflection>\n"
    "<output>\n[your final answer]\n</output>"
)

SECTION_ENDS = ("</reflection>", "</thinking>")
"""Closing tags after which the answer may follow when the `<output>` tag is missing."""


class CotReflectionConfig(StrategyConfig):
    """Sampling of the one tagged response."""

    temperature: float = Field(0.6, ge=0.0, le=2.0, description="Sampling temperature (optillm: 0.6).")
    seed: int | None = Field(None, description="Sampling seed (None: unseeded).")


@dataclass(frozen=True, slots=True)
class Sections:
    """A response split into its sections; `fallback` says how `output` was found if not tagged."""

    thinking: str
    reflection: str
    output: str
    fallback: str | None = None


def split_sections(text: str) -> Sections:
    """The thinking, reflection and output of a tagged response, tolerating missing sections.

    >>> split_sections("<thinking>3*4</thinking>The product is 12.").fallback
    'no <output> section; used the text after </thinking>'
    """
    thinking = parse_tagged(text, "thinking") or ""
    reflection = parse_tagged(text, "reflection") or ""
    output = parse_tagged(text, "output")
    if output is not None:
        return Sections(thinking, reflection, output)
    lowered = text.lower()
    for tag in SECTION_ENDS:
        end = lowered.rfind(tag)
        if end >= 0 and text[end + len(tag) :].strip():
            note = f"no <output> section; used the text after {tag}"
            return Sections(thinking, reflection, text[end + len(tag) :].strip(), note)
    note = "empty response" if not text.strip() else "no <output> section; used the whole response"
    return Sections(thinking, reflection, text.strip(), note)


class CotReflection(Strategy[CotReflectionConfig]):
    name = "cot_reflection"
    description = (
        "Chain of thought with reflection: <thinking>, <reflection> and <output> "
        "sections in one response; only the output is the answer."
    )
    calls = "1 call, 1 request"
    config_class = CotReflectionConfig

    async def solve(self, run: Run[CotReflectionConfig]) -> tuple[Solution, str]:
        query, system = run.query, run.system
        cfg = self.config
        sampling = cfg.sampling()
        # 1) generate the tagged response
        prompt = solve_prompt(query, system=join_system(system, COT_REFLECTION_SYSTEM))
        [completion] = await run.generate("generate", [prompt], sampling)
        # 2) keep only the output section
        sections = split_sections(completion.text)
        if sections.fallback:
            run.fallback(sections.fallback)
        run.details.update(thinking=sections.thinking, reflection=sections.reflection)
        output = dataclasses.replace(completion, text=sections.output)
        solution = solution_from(output, agent_id="cot-reflection", phase="generate")
        return solution, "output" if sections.fallback is None else "fallback"
