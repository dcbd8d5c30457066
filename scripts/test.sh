#!/usr/bin/env bash
# Quick start, part 2: set everything up, then run the whole test suite (engine tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
