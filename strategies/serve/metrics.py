"""The server's Prometheus metrics (`GET /metrics`), in a registry of the app's own.

    optivllm_requests_total{strategy,status}          requests answered, by HTTP status (499: the
                                                      client went away; strategy "": refused before
                                                      the strategy was known)
    optivllm_requests_in_flight                       runs going on now
    optivllm_prompt_tokens_total{strategy}            prompt tokens of every engine request
    optivllm_cached_prompt_tokens_total{strategy}     of those, served from the prefix cache (hits)
    optivllm_completion_tokens_total{strategy}        tokens generated
    optivllm_engine_requests_total{strategy}          engine requests (n samples count once)
    optivllm_request_duration_seconds{strategy}       latency of a whole run (histogram)
    optivllm_time_to_first_answer_token_seconds{strategy}  streamed: until the answer's first text

Example:
    >>> m = Metrics()
    >>> m.answered("plain", 200)
    >>> 'optivllm_requests_total{status="200",strategy="plain"} 1.0' in m.render().decode()
    True
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from engine import Usage

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
"""Seconds: a plain answer on a GPU up to a full MARS run on a CPU."""


class Metrics:
    """Counters of one app; `render()` is the text `GET /metrics` answers with."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("optivllm_requests", "Requests answered.", ["strategy", "status"], registry=r)
        self.in_flight = Gauge("optivllm_requests_in_flight", "Runs going on now.", registry=r)
        self.prompt_tokens = Counter("optivllm_prompt_tokens", "Prompt tokens.", ["strategy"], registry=r)
        self.cached_tokens = Counter(
            "optivllm_cached_prompt_tokens", "Prompt tokens served from the prefix cache.", ["strategy"], registry=r
        )
        self.completion_tokens = Counter("optivllm_completion_tokens", "Generated tokens.", ["strategy"], registry=r)
        self.engine_requests = Counter("optivllm_engine_requests", "Engine requests.", ["strategy"], registry=r)
        self.latency = Histogram(
            "optivllm_request_duration_seconds",
            "Wall time of a run.",
            ["strategy"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.first_token = Histogram(
            "optivllm_time_to_first_answer_token_seconds",
            "Streamed requests: seconds until the first text of the answer was sent.",
            ["strategy"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )

    def answered(self, strategy: str, status: int) -> None:
        self.requests.labels(strategy=strategy, status=str(status)).inc()

    def spent(self, strategy: str, usage: Usage, seconds: float) -> None:
        """A run's usage and latency (a failed or cancelled run's too: its engine work was done)."""
        self.prompt_tokens.labels(strategy=strategy).inc(usage.prompt_tokens)
        self.cached_tokens.labels(strategy=strategy).inc(usage.cached_tokens)
        self.completion_tokens.labels(strategy=strategy).inc(usage.completion_tokens)
        self.engine_requests.labels(strategy=strategy).inc(usage.requests)
        self.latency.labels(strategy=strategy).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
