"""`/health`, `/metrics` and the `optivllm serve` command's checks before any engine starts."""

from __future__ import annotations

import json
import socket

import pytest

from strategies.cli import ExitCode, main
from tests.strategies.serve.serving import MODEL, REPLY, Served, chat, serving


def test_health_says_ok_with_the_model_and_the_runs_in_flight(served: Served) -> None:
    status, body, _ = served.get("/health")
    assert status == 200 and json.loads(body) == {"status": "ok", "model": MODEL, "in_flight": 0}


def test_metrics_count_requests_tokens_cache_hits_and_latency_per_strategy() -> None:
    with serving() as served:
        assert served.post("/v1/chat/completions", chat())[0] == 200
        assert served.post("/v1/chat/completions", chat(model=f"mars-{MODEL}"))[0] == 200
        assert served.post("/v1/chat/completions", chat(model="nope"))[0] == 400
        status, body, headers = served.get("/metrics")
    text = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/plain")
    for line in (
        'optivllm_requests_total{status="200",strategy="plain"} 1.0',
        'optivllm_requests_total{status="200",strategy="mars"} 1.0',
        'optivllm_requests_total{status="400",strategy=""} 1.0',
        'optivllm_engine_requests_total{strategy="plain"} 1.0',
        'optivllm_cached_prompt_tokens_total{strategy="mars"} 0.0',
        'optivllm_request_duration_seconds_count{strategy="mars"} 1.0',
        "optivllm_requests_in_flight 0.0",
    ):
        assert line in text, line
    assert f'optivllm_completion_tokens_total{{strategy="plain"}} {len(REPLY.split())}.0' in text


@pytest.fixture(autouse=True)
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an engine was started")

    monkeypatch.setattr("engine.VLLMClient", refuse)


def test_serve_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "65536"]) == ExitCode.USAGE
    assert capsys.readouterr().err == "optivllm serve: error: argument --port: must be <= 65535 (got 65536)\n"


def test_serve_refuses_a_port_in_use_before_starting_the_engine(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"optivllm serve: error: cannot listen on 127.0.0.1:{port}: ") and err.count("\n") == 1


def test_serve_refuses_an_unknown_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--model", "no-such-model"]) == ExitCode.USAGE
    assert "no-such-model" in capsys.readouterr().err
