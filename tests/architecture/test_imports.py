"""The import graph: no circle anywhere, layers import only downwards, every module imports alone."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "kernels", "strategies")

LAYERS = {
    "kernels": set(),
    "engine": {"kernels"},
    "strategies.core": {"engine", "kernels"},
    "strategies.blocks": {"engine", "kernels", "strategies.core"},
}
"""What each layer may import (besides itself); algorithms, the catalog, the runner and the CLI sit above."""


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every project module `path` imports, at any depth of the file (function bodies included)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                yield name


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imported(path, known)) - {name} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                component.append(w)
            component.append(v)
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_there_is_no_import_circle() -> None:
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    allowed = LAYERS[layer] | {layer}
    wrong = {
        f"{module} imports {target}"
        for module, targets in graph().items()
        if module == layer or module.startswith(layer + ".")
        for target in targets
        if not any(target == a or target.startswith(a + ".") for a in allowed)
    }
    assert sorted(wrong) == []


def test_each_strategy_module_imports_alone_in_a_fresh_interpreter() -> None:
    from strategies.catalog import BUILTIN

    names = sorted({cls.__module__ for cls in BUILTIN} | {"strategies.catalog", "strategies.core.strategy"})
    check = "import importlib, sys; importlib.import_module(sys.argv[1])"

    def run(name: str) -> tuple[str, int, str]:
        done = subprocess.run([sys.executable, "-c", check, name], cwd=ROOT, capture_output=True, text=True)
        return name, done.returncode, done.stderr[-500:]

    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = [(n, err) for n, rc, err in pool.map(run, names) if rc != 0]
    assert failed == []


def test_importing_every_strategy_registers_nothing() -> None:
    code = (
        "import strategies, strategies.catalog\n"
        "from strategies.core.registry import registered\n"
        "assert registered() == {}, registered()\n"
        "assert len(strategies.catalog.BUILTIN) == len(strategies.strategy_names())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
