"""`serve`: the app on one in-process `VLLMClient`, behind uvicorn, until the process is stopped.

The listening socket is bound before the engine starts, so a port in use fails at once (a
`ConfigError` naming the address) rather than after the engine's start-up. The server binds
127.0.0.1 unless told otherwise. Ctrl-C or SIGTERM stop it gracefully: no new connections,
`GRACEFUL_SHUTDOWN_S` for the runs in flight, then the engine is shut down.

Example (it starts an engine, so it is skipped here):
    >>> from engine import load_registry                                 # doctest: +SKIP
    >>> serve(load_registry().get(None), host="127.0.0.1", port=8000)   # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from engine import ConfigError, ModelEntry
from strategies.serve.app import ServeSettings, create_app

GRACEFUL_SHUTDOWN_S = 5.0


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port), not yet listening; port 0 picks a free port."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as err:
        raise ConfigError(f"--host {host!r}: not an address to listen on ({err})") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as err:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/v1"


def serve(
    entry: ModelEntry,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    sock: socket.socket | None = None,
    settings: ServeSettings | None = None,
    access_log: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Start the engine on `entry`, serve it until stopped, shut it down; `on_ready(url)` is
    called once requests are accepted. `sock` (from `bind`) stands for `host` and `port`."""
    sock = sock if sock is not None else bind(host, port)
    try:
        asyncio.run(_serve(entry, sock, settings or ServeSettings(), access_log, on_ready))
    finally:
        sock.close()


async def _serve(
    entry: ModelEntry,
    sock: socket.socket,
    settings: ServeSettings,
    access_log: bool,
    on_ready: Callable[[str], None] | None,
) -> None:
    import uvicorn

    from engine import VLLMClient

    with VLLMClient(entry) as client:  # bound to this event loop, as the server is
        app = create_app(client, model=entry.name, settings=settings)
        config = uvicorn.Config(
            app,
            log_config=None,  # uvicorn's records go to the root logger (the engine log)
            access_log=access_log,
            lifespan="off",
            timeout_graceful_shutdown=int(GRACEFUL_SHUTDOWN_S),
        )
        server = uvicorn.Server(config)
        ready = asyncio.ensure_future(_announce(server, url_of(sock), on_ready))
        try:
            await server.serve(sockets=[sock])
        finally:
            ready.cancel()
            await app.state.optivllm.stop()  # runs left after the grace period end before the engine


async def _announce(server: object, url: str, on_ready: Callable[[str], None] | None) -> None:
    while not getattr(server, "started", False):
        await asyncio.sleep(0.05)
    if on_ready is not None:
        on_ready(url)
