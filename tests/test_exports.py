"""Each package's `__all__` is sorted and names exactly its public re-exports (httpx-style)."""

import importlib

import pytest


@pytest.mark.parametrize(
    "package",
    [
        "engine",
        "kernels",
        "strategies",
        "strategies.core",
        "strategies.blocks",
        "strategies.runner",
        "strategies.serve",
        "strategies.mars",
    ],
)
def test_all_is_sorted_and_complete(package: str):
    module = importlib.import_module(package)
    exported = module.__all__
    assert exported == sorted(exported), f"{package}.__all__ is not sorted"
    for name in exported:
        assert hasattr(module, name), f"{package}.{name} is listed but missing"
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not isinstance(v, type(module))}
    missing = public - set(exported) - {"annotations"}
    assert not missing, f"{package} exposes {sorted(missing)} without listing them in __all__"


def test_importing_the_packages_does_not_import_vllm():
    import subprocess
    import sys

    code = "import sys, engine, kernels, strategies; print('vllm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


def test_every_builtin_strategy_and_its_config_are_exported() -> None:
    import strategies

    for cls in strategies.BUILTIN:
        assert getattr(strategies, cls.__name__) is cls, cls
        assert getattr(strategies, cls.config_class.__name__) is cls.config_class, cls.config_class
