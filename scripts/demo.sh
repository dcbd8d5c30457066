#!/usr/bin/env bash
# Quick start, part 1: set everything up, then run MARS over the sample questions on the
# embedded default model and print the summary. Re-running resumes (finished ids are skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p runs
exec .venv/bin/optivllm run --strategy mars --set preset=lightweight --set max_tokens=256 \
  --input strategies/data/sample_questions.jsonl --output runs/sample-mars.jsonl "$@"
