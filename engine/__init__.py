"""optivllm's engine layer: the types strategies speak, the model clients, and the model registry.

`import engine` never imports vLLM; only starting a `VLLMClient` does.

Example:
    >>> from engine import Prompt, Sampling, ScriptedClient
    >>> client = ScriptedClient(lambda prompt, sampling: "4")
"""

from engine._environment import engine_environment
from engine.client import ModelClient, pair_requests
from engine.embedded import cache_dir, ensure_embedded_model
from engine.errors import (
    ClientError,
    ConfigError,
    ContextLengthError,
    EngineDeadError,
    EngineStartError,
    InputError,
    ModelNotFoundError,
    OptivllmError,
    RequestAbortedError,
    StrategyError,
)
from engine.hardware import CpuInfo, DtypeChoice, cpu_info, resolve_dtype
from engine.registry import (
    ModelEntry,
    ModelRegistry,
    SamplingDefaults,
    load_registry,
    parse_registry,
    resolve_model_source,
)
from engine.scripted import ScriptedCall, ScriptedClient, ScriptedReply
from engine.types import (
    Completed,
    Completion,
    FinishReason,
    Message,
    Prompt,
    ResponseEvent,
    Role,
    Sampling,
    TextDelta,
    TokenLogprobs,
    TopLogprob,
)
from engine.usage import ClientStats, Usage, UsageLedger
from engine.vllm_client import VLLMClient

__all__ = [
    "ClientError",
    "ClientStats",
    "Completed",
    "Completion",
    "ConfigError",
    "ContextLengthError",
    "CpuInfo",
    "DtypeChoice",
    "EngineDeadError",
    "EngineStartError",
    "FinishReason",
    "InputError",
    "Message",
    "ModelClient",
    "ModelEntry",
    "ModelNotFoundError",
    "ModelRegistry",
    "OptivllmError",
    "Prompt",
    "RequestAbortedError",
    "ResponseEvent",
    "Role",
    "Sampling",
    "SamplingDefaults",
    "ScriptedCall",
    "ScriptedClient",
    "ScriptedReply",
    "StrategyError",
    "TextDelta",
    "TokenLogprobs",
    "TopLogprob",
    "Usage",
    "UsageLedger",
    "VLLMClient",
    "cache_dir",
    "cpu_info",
    "engine_environment",
    "ensure_embedded_model",
    "load_registry",
    "pair_requests",
    "parse_registry",
    "resolve_dtype",
    "resolve_model_source",
]
