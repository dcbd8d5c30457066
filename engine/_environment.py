"""Process environment the engine needs, set once before vLLM is imported.

- No model hub at run time: `HF_HUB_OFFLINE=1`, `TRANSFORMERS_OFFLINE=1`.
- On CPU, a modest KV cache (`VLLM_CPU_KVCACHE_SPACE`, GiB) unless the user set one, and
  vLLM's thread variables chosen for the machine (`engine.hardware.cpu_thread_settings`).
- vLLM's own INFO logging is turned down to WARNING unless `VLLM_LOGGING_LEVEL` is set.
- Two installation faults are caught with a message that says how to fix them: CUDA builds of
  torchvision/torchaudio/torchcodec next to a CPU torch (they break `import transformers`), and
  our `kernels` package being mistaken for Hugging Face's `kernels` library by transformers.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import EngineStartError
from engine.hardware import cpu_info, cpu_thread_settings

if TYPE_CHECKING:
    from engine.registry import ModelEntry

_CUDA_ONLY_COMPANIONS = ("torchvision", "torchaudio", "torchcodec")


def engine_environment(entry: ModelEntry) -> dict[str, str]:
    """The environment variables an engine for `entry` runs with (a user's own win).

    A vLLM server started for a comparison gets the same ones, so both run alike.
    """
    env = {
        "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
        "TRANSFORMERS_OFFLINE": os.environ.get("TRANSFORMERS_OFFLINE", "1"),
        "TOKENIZERS_PARALLELISM": os.environ.get("TOKENIZERS_PARALLELISM", "false"),
        "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", f"{entry.cpu_kvcache_space_gib:g}"),
    }
    env.update(cpu_thread_settings(cpu_info(), reserved=entry.cpu_reserved_cores, bind=entry.cpu_threads_bind))
    return env


def prepare_environment(entry: ModelEntry) -> None:
    """Set the engine's environment variables for `entry` before vLLM starts."""
    os.environ.update(engine_environment(entry))
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    check_torch_companions()
    check_kernels_not_shadowing()


def check_torch_companions() -> None:
    """Fail clearly when a CPU torch sits beside CUDA builds of its companion packages."""
    import torch

    if torch.version.cuda is not None:
        return
    present = [m for m in _CUDA_ONLY_COMPANIONS if importlib.util.find_spec(m) is not None]
    if present:
        raise EngineStartError(
            f"{', '.join(present)} installed next to the CPU build of torch {torch.__version__}: their "
            "CUDA builds break `import transformers`. Text models need none of them; run "
            f"`pip uninstall -y {' '.join(present)}` (scripts/setup.sh does this)."
        )


def check_kernels_not_shadowing() -> None:
    """Make sure transformers does not take our `kernels` package for Hugging Face's `kernels`.

    transformers asks `is_kernels_available()` and, if true, imports `kernels.get_kernel`;
    our package would then break model loading. The check resolves through the distribution
    that owns the import name `kernels` (ours) and its version range, so it stays false.
    """
    spec = importlib.util.find_spec("kernels")
    if spec is None or spec.origin is None:
        return
    ours = Path(__file__).resolve().parent.parent / "kernels"
    if Path(spec.origin).resolve().parent != ours:
        return  # Hugging Face's kernels library itself is installed and first on the path
    from transformers.utils import import_utils

    if import_utils.is_kernels_available():
        raise EngineStartError(
            "transformers believes Hugging Face's `kernels` library is installed, but `kernels` is "
            "optivllm's own package; reinstall optivllm (`pip install -e .`) so its metadata "
            "is current, or report this with your transformers version"
        )
