"""Every docstring example in kernels runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re

import pytest

import kernels

MODULES = ["kernels", *(f"kernels.{m.name}" for m in pkgutil.iter_modules(kernels.__path__))]
IMPORT_RE = re.compile(r"^\s*(?:import|from)\s+(\w+)", re.MULTILINE)


def missing_imports(test: doctest.DocTest) -> list[str]:
    """Top-level packages an example imports that are not installed (e.g. optional torch)."""
    names = {m.group(1) for example in test.examples for m in IMPORT_RE.finditer(example.source)}
    return sorted(name for name in names if importlib.util.find_spec(name) is None)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_pass(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(importlib.import_module(name)):
        if not missing_imports(test):
            runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize("name", MODULES)
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
