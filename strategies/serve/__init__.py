"""`optivllm serve`: an OpenAI-compatible endpoint where every client's strategy shares one engine.

One process, one model client, one ASGI app (`create_app`, FastAPI under uvicorn). Each chat
request names a strategy (`mars-<model>`, `extra_body={"optivllm": {"strategy": ...}}` or
optillm's `optillm_approach`; a plain model name is `plain`) and runs it as a task on the one
client, so the phases of every request in flight land in the same engine batches.

- `app`: `create_app(client, model=..., settings=ServeSettings(...))` and the endpoints;
- `request`: an OpenAI request to a `Plan` (strategy, validated config, system, query);
- `runs`: a plan's run, with its events (and `plain`'s tokens) as they happen;
- `batching`: `SharedBatch`, the concurrent runs' `generate` calls as one engine call;
- `progress`: the events as the `reasoning_content` lines of a streamed answer;
- `schema`, `errors`, `metrics`: the wire format, OpenAI's error schema, Prometheus metrics;
- `server`: `serve(entry, host=..., port=...)`, the real engine behind uvicorn.

Example:
    >>> from engine import ScriptedClient
    >>> app = create_app(ScriptedClient(lambda p, s: "Answer: 4"), model="tiny", settings=ServeSettings(max_in_flight=8))
    >>> app.state.optivllm.settings.max_in_flight
    8
"""

from strategies.serve.app import ServeSettings, create_app
from strategies.serve.batching import SharedBatch
from strategies.serve.errors import APIError
from strategies.serve.request import Plan, plan_request, served_models
from strategies.serve.server import serve

__all__ = ["APIError", "Plan", "ServeSettings", "SharedBatch", "create_app", "plan_request", "serve", "served_models"]
