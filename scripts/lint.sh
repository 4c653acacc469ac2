#!/usr/bin/env bash
# Lint and type checks (CI and `make lint`), configured in pyproject.toml:
#   1. ruff check: pyflakes, pycodestyle, import order, pyupgrade and bugbear on the package, the tests,
#      the benchmarks and the scripts;
#   2. mypy on wellbeing/core (the pure domain code: plain values and DataFrames in and out).
# Exit status: 0 when both are clean, 1 otherwise (each tool's findings are printed).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
status=0
echo "== ruff check"
"$BIN/ruff" check wellbeing tests benchmarks scripts || status=1
echo "== mypy (wellbeing/core)"
"$BIN/mypy" || status=1
exit $status
