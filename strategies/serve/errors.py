"""`APIError`: an HTTP error in OpenAI's error schema, and the one mapping from optivllm's errors.

Every error the server answers has the body OpenAI's clients parse:

    {"error": {"message": "...", "type": "invalid_request_error", "param": "temperature", "code": null}}

`api_error(err)` maps optivllm's exception tree (`engine.errors`) onto HTTP statuses once:

    ConfigError, InputError          400 invalid_request_error (the message names the field)
    ContextLengthError               400 invalid_request_error, code context_length_exceeded
    EngineDeadError, EngineStartError 503 server_error (the engine is gone; /health fails too)
    any other OptivllmError          500 server_error

A strategy's error caused by an engine error (MARS's phase errors chain theirs) counts as it.

Example:
    >>> from engine import ContextLengthError
    >>> err = api_error(ContextLengthError(3000, 2048))
    >>> err.status, err.code, err.body()["error"]["type"]
    (400, 'context_length_exceeded', 'invalid_request_error')
"""

from __future__ import annotations

from typing import Any

from engine import ClientError, ContextLengthError, OptivllmError

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "server_error",
}


class APIError(Exception):
    """An error answered as HTTP `status` with an OpenAI error body; `headers` go with it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}

    @property
    def type(self) -> str:
        return ERROR_TYPES.get(self.status, "server_error" if self.status >= 500 else "invalid_request_error")

    def body(self) -> dict[str, Any]:
        """The error in OpenAI's schema."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def api_error(err: BaseException) -> APIError:
    """The HTTP error a failure of a request's run is answered with (a strategy's error that
    wraps an engine error, as MARS's phase errors do, is answered as the engine error)."""
    if isinstance(err, APIError):
        return err
    cause = engine_error(err)
    if isinstance(cause, ContextLengthError):
        return APIError(400, str(err), param="messages", code="context_length_exceeded")
    if cause is not None and not cause.recoverable:  # EngineDeadError, EngineStartError
        return APIError(503, f"the engine is not available: {err}", code="engine_dead")
    if isinstance(err, OptivllmError) and isinstance(err, ValueError):  # ConfigError, InputError
        return APIError(400, str(err))
    if isinstance(err, OptivllmError):
        return APIError(500, f"{type(err).__name__}: {err}")
    return APIError(500, "internal server error (see the server's log)")


def engine_error(err: BaseException) -> ClientError | None:
    """The engine error `err` is or was caused by (`raise ... from`), if any."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, ClientError):
            return seen
        seen = seen.__cause__
    return None
