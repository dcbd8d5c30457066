"""Many clients, one batch: concurrent requests share the engine calls; a client that leaves
has its run cancelled, and a slot is never lost."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from engine import ScriptedClient
from strategies.serve import ServeSettings
from tests.strategies.serve.serving import MODEL, REPLY, GatedClient, SlowStreamClient, chat, extension, serving

QUESTION: list[Any] = [{"role": "user", "content": "What is 6 * 7?"}]


async def test_64_concurrent_requests_all_finish_in_fewer_engine_calls_than_requests() -> None:
    client = ScriptedClient(lambda prompt, sampling: REPLY)
    with serving(client, settings=ServeSettings(batch_window_s=0.05)) as served:
        api = served.async_openai()
        models = [MODEL, f"mars-{MODEL}", f"self_consistency-{MODEL}", MODEL]
        extra = {"optivllm": {"config": {"preset": "lightweight"}}}
        responses = await asyncio.wait_for(
            asyncio.gather(
                *(
                    api.chat.completions.create(
                        model=models[i % 4],
                        messages=[{"role": "user", "content": f"What is 6 * {i}?"}],  # type: ignore[list-item]
                        extra_body=extra if i % 4 == 1 else None,
                    )
                    for i in range(64)
                )
            ),
            timeout=60,
        )
        await api.close()
        served.wait_idle()
    assert len(responses) == 64 and all(extension(r)["answer"] == "42" for r in responses)
    runs_calls = sum(extension(r)["engine_calls"] for r in responses)
    assert len(client.calls) < 64 <= runs_calls  # the runs' calls were merged into fewer engine calls
    strategies = {extension(r)["strategy"] for r in responses}
    assert strategies == {"plain", "mars", "self_consistency"}


def test_a_client_that_leaves_mid_stream_has_its_run_cancelled() -> None:
    client = GatedClient()
    with serving(client) as served:
        conn = served.http()
        conn.request("POST", "/v1/chat/completions", body=json.dumps(chat(model=f"mars-{MODEL}", stream=True)))
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("content-type", "").startswith("text/event-stream")
        first = response.readline()
        assert first.startswith(b"data: ") and b'"role":"assistant"' in first
        assert client.entered.wait(10)  # the run is in its first phase, waiting on the engine
        conn.sock.close()  # type: ignore[union-attr]
        conn.close()
        assert client.cancelled.wait(10)
        served.wait_idle()
        status, body, _ = served.get("/metrics")
        assert b'optivllm_requests_total{status="499",strategy="mars"} 1.0' in body


def test_a_client_that_leaves_before_a_whole_answer_has_its_run_cancelled() -> None:
    client = GatedClient()
    with serving(client) as served:
        conn = served.http()
        conn.request("POST", "/v1/chat/completions", body=json.dumps(chat()))
        assert client.entered.wait(10)
        conn.close()
        assert client.cancelled.wait(10)
        served.wait_idle()


def test_a_plain_stream_left_early_is_aborted_in_the_engine() -> None:
    words = " ".join(f"w{i}" for i in range(200))
    client = SlowStreamClient(words, delay=0.02)
    with serving(client) as served:
        conn = served.http()
        conn.request("POST", "/v1/chat/completions", body=json.dumps(chat(stream=True)))
        response = conn.getresponse()
        lines = [response.readline() for _ in range(6)]  # role, blank, two words
        assert b'"content":"w0"' in b"".join(lines)
        conn.sock.close()  # type: ignore[union-attr]
        conn.close()
        served.wait_idle()
        deadline = time.monotonic() + 5
        while client.stats["generate"].aborted_requests == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        usage = client.stats["generate"]
    assert usage.aborted_requests == 1 and usage.completion_tokens < 200
