#!/usr/bin/env bash
# The main job: start the local Label Studio, pre-annotate the seed articles, compare
# their facts across outlets (exports/compare/report.html), push them, and print where an
# annotator can start. Extra arguments go to `annotate preannotate`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export ANNOTATE_DB=${ANNOTATE_DB:-annotate.db}
.venv/bin/annotate studio start
.venv/bin/annotate ingest seeds
.venv/bin/annotate preannotate "$@"
mkdir -p exports
.venv/bin/annotate tasks --out exports/seed-tasks.json --config-out exports/labeling-config.xml
.venv/bin/annotate runs
.venv/bin/annotate compare --out exports/compare
.venv/bin/annotate push   # last: it prints the URL where an annotator starts
