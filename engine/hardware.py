"""What the machine offers the engine, and the engine settings chosen from it.

The same registry entry runs on a laptop CPU, a server CPU with AMX and an NVIDIA GPU, so
two settings are decided per machine rather than written into `models.toml`:

- **dtype** (`dtype = "auto"`). On CPU, bfloat16 only where the CPU computes it natively
  (`avx512_bf16` or `amx_bf16` on x86, `bf16` on ARM); elsewhere bf16 is emulated and
  float32 is several times faster (measured on an AVX2-only EPYC: prefill 32 tok/s in bf16
  against 424 tok/s in float32; `benchmarks/bench_engine.py` measures it on any machine).
  On GPU, "auto" is passed on and vLLM picks the model's own dtype.
- **CPU threads.** vLLM binds its worker's OpenMP threads to all cores but the ones it
  reserves for the front end (one on x86). On a small machine that reservation takes half
  the compute away from the model: with 2 cores, `VLLM_CPU_NUM_OF_RESERVED_CPU=0` ran
  MARS traffic 1.7x faster. Machines with more than `SMALL_MACHINE_CORES` cores keep vLLM's
  own reservation.

- **KV block size on CPU.** vLLM's CPU backend caches prefixes in 128-token blocks (16 on
  GPU), and a shared prefix is served in whole blocks only, so up to 127 tokens of every
  shared prefix are recomputed and a shared part under 128 tokens never hits. `CPU_BLOCK_SIZE`
  (32) is measured on MARS-shaped traffic (`bench_engine.py --block-sizes 32,64,128`): 17%
  less prefill computed and 16-18% less wall time than 128, in bf16 and float32 alike, with
  decode unchanged. GPUs keep vLLM's default.

An explicit dtype in the entry always wins; for threads, the user's own environment
variables win, then the entry's `cpu_reserved_cores` / `cpu_threads_bind`.

Example:
    >>> cpu = CpuInfo(model="AMD EPYC", arch="x86_64", cores=2, flags=frozenset({"avx2"}))
    >>> resolve_dtype("auto", on_cpu=True, cpu=cpu).dtype
    'float32'
    >>> cpu_thread_settings(cpu, reserved=None, bind=None)["VLLM_CPU_NUM_OF_RESERVED_CPU"]
    '0'
"""

from __future__ import annotations

import functools
import os
import platform
from dataclasses import dataclass
from pathlib import Path

CPU_BLOCK_SIZE = 32
"""KV-cache block size of CPU engines (vLLM's CPU default is 128; it wants a multiple of 32)."""

SMALL_MACHINE_CORES = 4
"""Up to this many usable cores, the worker gets every core (no core reserved)."""

_X86_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
_ARM_BF16_FLAGS = ("bf16", "svebf16")
THREAD_ENV = ("VLLM_CPU_NUM_OF_RESERVED_CPU", "VLLM_CPU_OMP_THREADS_BIND")

# The user's own settings, read before optivllm sets anything in this process.
_USER_ENV = {k: os.environ[k] for k in THREAD_ENV if k in os.environ}


@dataclass(frozen=True)
class CpuInfo:
    """The CPU as `/proc/cpuinfo` and the scheduler's affinity mask describe it."""

    model: str
    arch: str
    cores: int
    flags: frozenset[str]

    @property
    def native_bf16(self) -> bool:
        """Whether the CPU has bf16 arithmetic in hardware (else vLLM emulates it)."""
        wanted = _ARM_BF16_FLAGS if self.arch in ("aarch64", "arm64") else _X86_BF16_FLAGS
        return any(flag in self.flags for flag in wanted)

    @property
    def isa_flags(self) -> list[str]:
        """The flags that decide CPU kernel speed (vector width, bf16, AMX), sorted."""
        x86 = ("avx2", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile", "amx_int8", "avx_vnni")
        keep = {*x86, *_ARM_BF16_FLAGS, "sve", "sve2", "asimd"}
        return sorted(f for f in self.flags if f in keep)

    def describe(self) -> str:
        """One line for result files and logs: model, cores and the flags that matter."""
        return f"{self.model} ({self.arch}, {self.cores} cores; {' '.join(self.isa_flags) or 'no vector flags read'})"


@functools.cache
def cpu_info(cpuinfo: str | None = None) -> CpuInfo:
    """This machine's CPU (pass `/proc/cpuinfo`'s text to parse another machine's)."""
    text = cpuinfo if cpuinfo is not None else _read("/proc/cpuinfo")
    model, flags = "", ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "cpu model", "hardware") and not model:
            model = value.strip()
        elif key in ("flags", "features") and not flags:
            flags = value
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return CpuInfo(
        model=model or platform.processor() or "unknown CPU",
        arch=platform.machine(),
        cores=cores,
        flags=frozenset(flags.split()),
    )


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


@dataclass(frozen=True)
class DtypeChoice:
    """The dtype the engine runs with, and why."""

    dtype: str
    reason: str


def resolve_dtype(dtype: str, *, on_cpu: bool, cpu: CpuInfo | None = None) -> DtypeChoice:
    """The dtype for an entry's `dtype` on this device (see the module docstring)."""
    if dtype != "auto":
        return DtypeChoice(dtype, "set in models.toml")
    if not on_cpu:
        return DtypeChoice("auto", "GPU: vLLM picks the model's own dtype")
    cpu = cpu or cpu_info()
    if cpu.native_bf16:
        have = [f for f in cpu.flags if f in _X86_BF16_FLAGS + _ARM_BF16_FLAGS]
        return DtypeChoice("bfloat16", f"CPU has native bf16 ({', '.join(sorted(have))})")
    return DtypeChoice("float32", "CPU has no native bf16 (no avx512_bf16/amx_bf16): bf16 would be emulated")


def cpu_thread_settings(cpu: CpuInfo, *, reserved: int | None, bind: str | None) -> dict[str, str]:
    """vLLM's CPU thread variables: the user's environment, else the entry's, else the machine's."""
    chosen = {
        "VLLM_CPU_NUM_OF_RESERVED_CPU": None if reserved is None else str(reserved),
        "VLLM_CPU_OMP_THREADS_BIND": bind,
    }
    if chosen["VLLM_CPU_NUM_OF_RESERVED_CPU"] is None and cpu.cores <= SMALL_MACHINE_CORES:
        chosen["VLLM_CPU_NUM_OF_RESERVED_CPU"] = "0"
    chosen.update(_USER_ENV)
    return {k: v for k, v in chosen.items() if v is not None}


def on_cpu_device() -> bool:
    """Whether the engine will run on the CPU (no CUDA device visible to torch)."""
    import torch

    return not torch.cuda.is_available()
