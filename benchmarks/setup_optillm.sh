#!/usr/bin/env bash
# Install optillm 0.4.0 into optivllm's virtual environment, for benchmarks/bench_vs_optillm.py only.
#
# optillm declares ~35 dependencies (torch, transformers<5.13, gradio, spacy, litellm, ...), most of
# them for features the benchmark never touches. It is installed with --no-deps, plus exactly what
# `import optillm` imports (its __init__ imports optillm.server, which imports every approach):
# openai, flask, cerebras_cloud_sdk, networkx, z3-solver (optillm caps it at 4.15.4.0), sympy,
# aiohttp, PyYAML and math-verify. The packages already installed are pinned to their versions
# (a constraints file from `pip freeze`), so optivllm's own environment does not change.
# optillm is not one of optivllm's dependencies and pyproject.toml does not name it.
#
# Idempotent and quiet: a no-op when optillm 0.4.0 already imports; pip's output goes to the log.
# Usage: benchmarks/setup_optillm.sh        (OPTIVLLM_VENV=path to use another environment)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${OPTIVLLM_VENV:-.venv}
PY="$VENV/bin/python"
OPTILLM_VERSION=0.4.0
log="$VENV/optillm-setup.log"

if [ ! -x "$PY" ]; then
  echo "setup_optillm: no Python at $PY; run scripts/setup.sh first" >&2
  exit 1
fi

imports_ok() {
  "$PY" - "$OPTILLM_VERSION" <<'EOF' >/dev/null 2>&1
import logging, sys
logging.disable(logging.CRITICAL)  # optillm.server calls logging.basicConfig at import
import optillm
sys.exit(0 if optillm.__version__ == sys.argv[1] else 1)
EOF
}

if imports_ok; then
  exit 0
fi

pip() {
  "$PY" -m pip --disable-pip-version-check "$@" >>"$log" 2>&1 && return 0
  echo "setup_optillm: pip $* failed; the end of $log:" >&2
  tail -n 30 "$log" >&2
  return 1
}

: >"$log"
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
# What is installed stays as it is (editable installs and direct URLs cannot be constraints).
"$PY" -m pip --disable-pip-version-check freeze --exclude-editable 2>>"$log" | grep -v -e '^-e ' -e ' @ ' >"$constraints" || true

pip install --no-deps "optillm==$OPTILLM_VERSION"
pip install -c "$constraints" \
  openai flask cerebras_cloud_sdk networkx "z3-solver<=4.15.4.0" sympy aiohttp PyYAML math-verify

if ! imports_ok; then
  echo "setup_optillm: optillm $OPTILLM_VERSION is installed but does not import; the error:" >&2
  "$PY" -c "import optillm" 2>&1 | tail -n 5 >&2
  exit 1
fi
echo "setup_optillm: optillm $OPTILLM_VERSION installed into $VENV (log: $log)"
