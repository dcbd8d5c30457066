"""Every docstring example in engine, kernels and strategies runs and prints what it shows.

Examples that need the real engine are marked `+SKIP` (the integration tests run that path);
every other example runs here. kernels also shows an example for every public function.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re

import pytest

import engine
import kernels
import strategies

KERNELS = ["kernels", *(f"kernels.{m.name}" for m in pkgutil.iter_modules(kernels.__path__))]
MODULES = sorted(
    {
        *KERNELS,
        *(
            m.name
            for package in (engine, strategies)
            for m in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + ".")
            if not m.name.endswith("__main__")
        ),
        "engine",
        "strategies",
    }
)
IMPORT_RE = re.compile(r"^\s*(?:import|from)\s+(\w+)", re.MULTILINE)


def missing_imports(test: doctest.DocTest) -> list[str]:
    """Top-level packages an example imports that are not installed (e.g. optional torch)."""
    names = {m.group(1) for example in test.examples for m in IMPORT_RE.finditer(example.source)}
    return sorted(name for name in names if importlib.util.find_spec(name) is None)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    for test in doctest.DocTestFinder().find(importlib.import_module(name)):
        if not missing_imports(test):
            runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


@pytest.mark.parametrize("name", KERNELS)
def test_every_public_function_shows_an_example(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(recurse=True)
    with_examples = {test.name.rsplit(".", 1)[-1] for test in finder.find(module) if test.examples}
    public = [
        n
        for n in getattr(module, "__all__", [])
        if callable(getattr(module, n)) and getattr(getattr(module, n), "__module__", None) == name
    ]
    assert sorted(set(public) - with_examples) == []
