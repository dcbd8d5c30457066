#!/usr/bin/env bash
# Quick start, part 2: set everything up, type-check, then run the whole test suite (engine tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "test: mypy (engine, kernels, strategies)"
.venv/bin/python -m mypy
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
