#!/usr/bin/env bash
# The test suite's wall time at an earlier revision and at the working tree, measured one after the other
# on this machine (issue 24: "make test time before and after, measured in one run").
#   bash scripts/suite_time.sh REV [BEFORE_DIR]
# REV is checked out into a temporary worktree with its own virtual environment (or BEFORE_DIR, a
# prepared checkout of REV with .venv, is used), and its `make test` runs; then this tree's `make test`.
# Prints both times in seconds, the ratio, and each run's pytest summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
rev="${1:?usage: suite_time.sh REV [BEFORE_DIR]}"
tmp="$(mktemp -d)"
before="${2:-}"
if [ -z "$before" ]; then
  before="$tmp/before"
  git worktree add -q "$before" "$rev"
  python3 -m venv "$before/.venv" && "$before/.venv/bin/pip" install -q -e "$before[test]" && touch "$before/.venv/.installed"
fi
t0=$(date +%s)
(cd "$before" && make test >"$tmp/before.log" 2>&1)
t1=$(date +%s)
make test >"$tmp/after.log" 2>&1
t2=$(date +%s)
b=$((t1 - t0)); a=$((t2 - t1))
echo "before ($rev): ${b} s — $(grep -E '(passed|failed)' "$tmp/before.log" | tail -1)"
echo "after ($(git rev-parse --short HEAD)): ${a} s — $(grep -E '(passed|failed)' "$tmp/after.log" | tail -1)"
python3 -c "import sys; print(f'ratio after/before: {int(sys.argv[1]) / int(sys.argv[2]):.2f}')" "$a" "$b"
echo "logs: $tmp"
[ -n "${2:-}" ] || git worktree remove --force "$before"
