#!/usr/bin/env bash
# Security checks (CI and `make security`):
#   1. bandit: static analysis of wellbeing/; fails on any finding of medium or high severity that is not
#      justified inline with `# nosec <TEST-ID>` and a reason on the same or the line above.
#   2. pip-audit: known vulnerabilities of the installed dependencies. Needs its vulnerability service
#      (PyPI's JSON API); when that cannot be reached the script says so plainly and does not pretend the
#      check passed. SKIP_PIP_AUDIT=1 skips it on purpose (also said plainly).
# Exit status: 0 when bandit is clean and pip-audit either found nothing or could not run; 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
status=0

echo "== bandit (medium and high severity, wellbeing/)"
if "$BIN/bandit" -q -r wellbeing --severity-level medium --confidence-level low -f txt; then
    echo "bandit: no unjustified medium or high findings"
else
    echo "bandit: FAILED (fix the finding, or justify it inline with '# nosec <ID>' and a reason)"
    status=1
fi

echo "== pip-audit (known vulnerabilities of installed packages)"
if [ "${SKIP_PIP_AUDIT:-0}" = "1" ]; then
    echo "pip-audit: NOT CHECKED (SKIP_PIP_AUDIT=1)"
elif [ ! -x "$BIN/pip-audit" ]; then
    echo "pip-audit: NOT CHECKED (pip-audit is not installed in $BIN)"
else
    out="$(mktemp)"; err="$(mktemp)"
    "$BIN/pip-audit" --progress-spinner off --skip-editable >"$out" 2>"$err"
    rc=$?
    cat "$out"
    if [ $rc -eq 0 ]; then
        echo "pip-audit: no known vulnerabilities"
    elif grep -qiE "connection|resolve|timed? ?out|network|unreachable|max retries|ssl|proxy|temporary failure" "$err"; then
        echo "pip-audit: NOT CHECKED: the vulnerability service could not be reached:"
        grep -iE "connection|resolve|timed? ?out|network|unreachable|max retries|ssl|proxy|temporary failure" "$err" | head -3
    else
        cat "$err"
        echo "pip-audit: FAILED (known vulnerabilities above, or an error)"
        status=1
    fi
    rm -f "$out" "$err"
fi
exit $status
