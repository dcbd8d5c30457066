"""A run's events as the lines a streamed answer shows in `delta.reasoning_content`.

One line per event, as it happens: the phases a strategy goes through with their requests,
tokens and prefix-cache hits, each candidate written and judged, and the answer chosen.
Events of a strategy's own (MARS's improvement iterations...) are shown by their fields.

Example:
    >>> from strategies.core.events import PhaseStarted
    >>> describe(PhaseStarted(strategy="mars", phase="exploration", requests=3))
    'mars: exploration: 3 requests sent\\n'
"""

from __future__ import annotations

from strategies.core.events import (
    CandidateProduced,
    CandidateVerified,
    Error,
    Event,
    PhaseFinished,
    PhaseStarted,
    RunFinished,
    RunStarted,
)


def describe(event: Event) -> str:
    """The progress line of `event`, newline included."""
    who = f"{event.strategy}: " if event.strategy else ""
    return who + _what(event) + "\n"


def _what(event: Event) -> str:
    if isinstance(event, RunStarted):
        return "started"
    if isinstance(event, PhaseStarted):
        return f"{event.phase}: {_count(event.requests, 'request')} sent"
    if isinstance(event, PhaseFinished):
        u = event.usage
        return (
            f"{event.phase}: done in {event.wall_s:.2f} s, {_count(u.completion_tokens, 'token')} generated, "
            f"{u.cached_tokens} of {u.prompt_tokens} prompt tokens from the prefix cache"
        )
    if isinstance(event, CandidateProduced):
        return f"{event.phase}: candidate {event.solution_id} by {event.agent_id}"
    if isinstance(event, CandidateVerified):
        verdict = "verified" if event.is_verified else "not verified"
        return f"candidate {event.solution_id} {verdict} (score {event.score:.2f})"
    if isinstance(event, RunFinished):
        return f"answer {event.answer!r} chosen by the {event.selection_rule!r} rule"
    if isinstance(event, Error):
        return f"failed in {event.phase or 'the run'}: {event.message}"
    fields = event.model_dump(exclude={"strategy", "type"})
    shown = ", ".join(f"{k}={v}" for k, v in fields.items())
    kind = str(getattr(event, "type", type(event).__name__))
    return f"{kind}: {shown}" if shown else kind


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
