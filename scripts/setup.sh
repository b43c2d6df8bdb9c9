#!/usr/bin/env bash
# Set up a fresh checkout (idempotent):
#   .venv         the tool and its dev tools
#   .studio-venv  Label Studio 1.23.2, in its own environment (it pins openai<2 and Django)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
quiet() { scripts/quiet-pip "$@"; }
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv"
  "$PYTHON" -m venv .venv
  quiet .venv/bin/python -m pip install -q --upgrade pip
fi
# Reinstall only when the project definition changed since the last install.
stamp=.venv/.annotate-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "installing annotate and its dev tools into .venv"
  quiet .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
if [ ! -x .studio-venv/bin/label-studio ]; then
  echo "installing Label Studio 1.23.2 into .studio-venv (its own environment)"
  "$PYTHON" -m venv .studio-venv
  quiet .studio-venv/bin/python -m pip install -q --upgrade pip
  quiet .studio-venv/bin/python -m pip install -q "label-studio==1.23.2"
fi
