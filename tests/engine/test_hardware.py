"""The engine's dtype and CPU threads are chosen from the machine; explicit settings win."""

import pytest

from engine import CpuInfo, ModelEntry, hardware, resolve_dtype
from engine.hardware import cpu_info, cpu_thread_settings

AVX2_EPYC = """processor\t: 0
model name\t: AMD EPYC 7B13
flags\t\t: fpu sse sse2 avx avx2 fma bmi2
"""
SAPPHIRE_RAPIDS = """processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8481C
flags\t\t: avx avx2 avx512f avx512_bf16 amx_bf16 amx_tile
"""
GRAVITON3 = """processor\t: 0
Features\t: fp asimd sve bf16 svebf16
CPU implementer\t: 0x41
"""


def test_auto_dtype_on_a_cpu_without_native_bf16_is_float32():
    choice = resolve_dtype("auto", on_cpu=True, cpu=cpu_info(AVX2_EPYC))
    assert choice.dtype == "float32" and "emulated" in choice.reason


def test_auto_dtype_on_a_cpu_with_native_bf16_is_bfloat16():
    choice = resolve_dtype("auto", on_cpu=True, cpu=cpu_info(SAPPHIRE_RAPIDS))
    assert choice.dtype == "bfloat16" and "amx_bf16" in choice.reason


def test_arm_bf16_feature_counts_as_native():
    cpu = CpuInfo(model="Graviton3", arch="aarch64", cores=2, flags=cpu_info(GRAVITON3).flags)
    assert resolve_dtype("auto", on_cpu=True, cpu=cpu).dtype == "bfloat16"


def test_explicit_dtype_wins_and_gpu_leaves_auto_to_vllm():
    assert resolve_dtype("bfloat16", on_cpu=True, cpu=cpu_info(AVX2_EPYC)).dtype == "bfloat16"
    assert resolve_dtype("auto", on_cpu=False).dtype == "auto"


def test_engine_kwargs_carry_the_resolved_dtype(monkeypatch: pytest.MonkeyPatch):
    from engine import vllm_client

    monkeypatch.setattr(
        vllm_client, "resolve_dtype", lambda d, on_cpu: resolve_dtype(d, on_cpu=on_cpu, cpu=cpu_info(AVX2_EPYC))
    )
    assert vllm_client.engine_kwargs(ModelEntry(name="m", source="x"), "x", {}, on_cpu=True)["dtype"] == "float32"
    entry = ModelEntry(name="m", source="x", dtype="float16")
    assert vllm_client.engine_kwargs(entry, "x", {}, on_cpu=True)["dtype"] == "float16"


def _cpu(cores: int) -> CpuInfo:
    return CpuInfo(model="x", arch="x86_64", cores=cores, flags=frozenset())


def test_small_machines_give_the_worker_every_core(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(hardware, "_USER_ENV", {})
    assert cpu_thread_settings(_cpu(2), reserved=None, bind=None) == {"VLLM_CPU_NUM_OF_RESERVED_CPU": "0"}
    assert cpu_thread_settings(_cpu(32), reserved=None, bind=None) == {}  # vLLM's own reservation


def test_entry_thread_settings_override_the_machine_and_the_user_env_overrides_both(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(hardware, "_USER_ENV", {})
    assert cpu_thread_settings(_cpu(2), reserved=1, bind="nobind") == {
        "VLLM_CPU_NUM_OF_RESERVED_CPU": "1",
        "VLLM_CPU_OMP_THREADS_BIND": "nobind",
    }
    monkeypatch.setattr(hardware, "_USER_ENV", {"VLLM_CPU_NUM_OF_RESERVED_CPU": "2"})
    assert cpu_thread_settings(_cpu(2), reserved=1, bind=None) == {"VLLM_CPU_NUM_OF_RESERVED_CPU": "2"}


def test_this_machine_is_described_with_its_vector_flags():
    cpu = cpu_info()
    assert cpu.cores >= 1 and cpu.describe().startswith(cpu.model)


def test_an_entrys_data_parallel_size_reaches_the_engine_beside_its_tensor_parallel_size():
    from engine import vllm_client

    entry = ModelEntry(name="m", source="x", dtype="bfloat16", tensor_parallel_size=2, data_parallel_size=4)
    kwargs = vllm_client.engine_kwargs(entry, "x", {}, on_cpu=False)
    assert (kwargs["tensor_parallel_size"], kwargs["data_parallel_size"]) == (2, 4)
    with pytest.raises(ValueError, match="data_parallel_size"):
        ModelEntry(name="m", source="x", data_parallel_size=0)
