#!/usr/bin/env bash
# The main job: pre-annotate the seed articles and write a Label Studio import file.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export ANNOTATE_DB=${ANNOTATE_DB:-annotate.db}
.venv/bin/annotate ingest seeds
.venv/bin/annotate preannotate "$@"
mkdir -p exports
.venv/bin/annotate tasks --out exports/seed-tasks.json --config-out exports/labeling-config.xml
.venv/bin/annotate runs
