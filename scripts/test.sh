#!/usr/bin/env bash
# Set up if needed, then run the whole test suite, ruff and mypy.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/setup-llama.sh  # llama-cpp-python for tests/test_llama_server.py (compiles once)
.venv/bin/ruff check annotate schemas prompts tests bench scripts
.venv/bin/mypy
set +e
.venv/bin/pytest -q "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure, not a pass" >&2
  exit 1
fi
exit "$status"
