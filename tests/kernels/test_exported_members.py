"""The kernels package exports exactly its modules' public names, sorted, and nothing HF-like."""

from __future__ import annotations

import importlib

import pytest

import kernels

MODULES = ["consensus", "extract", "grading", "latex", "normalize", "numeric", "stopping", "tokens"]
# Names Hugging Face's own `kernels` library exposes; transformers probes for them.
HF_KERNELS_NAMES = [
    "__version__",
    "get_kernel",
    "use_kernel_forward_from_hub",
    "LayerRepository",
    "register_kernel_mapping",
    "Mode",
    "kernelize",
]


def test_all_is_sorted() -> None:
    assert kernels.__all__ == sorted(kernels.__all__)


@pytest.mark.parametrize("module", MODULES)
def test_module_all_is_sorted(module: str) -> None:
    names = importlib.import_module(f"kernels.{module}").__all__
    assert names == sorted(names)


def test_package_exports_every_public_module_name() -> None:
    public = {name for module in MODULES for name in importlib.import_module(f"kernels.{module}").__all__}
    assert set(kernels.__all__) == public


def test_every_export_exists() -> None:
    for name in kernels.__all__:
        assert getattr(kernels, name) is not None


@pytest.mark.parametrize("name", HF_KERNELS_NAMES)
def test_no_hugging_face_kernels_api(name: str) -> None:
    assert not hasattr(kernels, name)
