"""optivllm's engine layer: the types strategies speak, the model clients, and the model registry.

`import engine` never imports vLLM; only starting a `VLLMClient` does.

Example:
    >>> from engine import Prompt, Sampling, ScriptedClient
    >>> client = ScriptedClient(lambda prompt, sampling: "4")
"""

from engine._environment import engine_environment
from engine.client import ModelClient
from engine.embedded import cache_dir, ensure_embedded_model
from engine.errors import (
    BudgetExhausted,
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
from engine.fanout import SettleCheck, StopCheck, StreamOutcome, stream_until
from engine.hardware import CpuInfo, DtypeChoice, cpu_info, resolve_dtype
from engine.registry import (
    ModelEntry,
    ModelRegistry,
    SamplingDefaults,
    load_registry,
    parse_registry,
    resolve_model_source,
)
from engine.reward import RewardClient, shared_reward_client
from engine.scripted import ScriptedCall, ScriptedClient, ScriptedReply
from engine.tracking import TrackedClient
from engine.types import (
    Completed,
    Completion,
    FinishReason,
    Message,
    Prompt,
    ResponseEvent,
    Role,
    Sampling,
    SamplingArg,
    TagArg,
    TextDelta,
    TokenLogprobs,
    TopLogprob,
    pair_requests,
)
from engine.usage import ClientStats, Usage, UsageLedger
from engine.vllm_client import VLLMClient

__all__ = [
    "BudgetExhausted",
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
    "RewardClient",
    "Role",
    "Sampling",
    "SamplingArg",
    "SamplingDefaults",
    "ScriptedCall",
    "ScriptedClient",
    "ScriptedReply",
    "SettleCheck",
    "StopCheck",
    "StrategyError",
    "StreamOutcome",
    "TagArg",
    "TextDelta",
    "TokenLogprobs",
    "TopLogprob",
    "TrackedClient",
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
    "shared_reward_client",
    "stream_until",
]
