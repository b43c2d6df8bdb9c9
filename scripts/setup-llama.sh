#!/usr/bin/env bash
# Set up .llama-venv (idempotent): llama-cpp-python's OpenAI-compatible server and the gguf
# writer, in their own environment, for the tests that run a real llama.cpp server
# (tests/test_llama_server.py). llama-cpp-python ships as source only: pip compiles llama.cpp
# for the CPU (about 10 minutes on two cores, once per machine).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
LLAMA_CPP_PYTHON=${LLAMA_CPP_PYTHON:-llama-cpp-python[server]==0.3.36}
GGUF=${GGUF:-gguf==0.19.0}
quiet() { scripts/quiet-pip "$@"; }
stamp=.llama-venv/.installed
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$LLAMA_CPP_PYTHON $GGUF" ]; then
  exit 0
fi
echo "installing $LLAMA_CPP_PYTHON and $GGUF into .llama-venv (compiles llama.cpp: minutes)"
[ -x .llama-venv/bin/python ] || "$PYTHON" -m venv .llama-venv
quiet .llama-venv/bin/python -m pip install -q --upgrade pip
# CPU only, portable (no -march=native: the build may move to another machine of the kind),
# no tools, tests or examples: only the library the server loads.
CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF -DLLAVA_BUILD=OFF}" \
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
  quiet nice -n 19 .llama-venv/bin/python -m pip install -q "$LLAMA_CPP_PYTHON" "$GGUF"
echo "$LLAMA_CPP_PYTHON $GGUF" >"$stamp"
