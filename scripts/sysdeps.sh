#!/usr/bin/env bash
# Installs the Debian packages that the test suite needs, when missing and when we may (root + apt).
# chromium: browser tests (Playwright drives /usr/bin/chromium; `playwright install` cannot download here).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# axe-core (MPL-2.0) from the npm registry, for the accessibility check of the survey pages.
axe="$here/tests/e2e/.axe/node_modules/axe-core/axe.min.js"
if [ ! -f "$axe" ]; then
  if command -v npm >/dev/null; then
    npm install --silent --no-audit --no-fund --prefix "$here/tests/e2e/.axe" axe-core@4 >/dev/null
  else
    echo "npm is missing: install Node.js to run the accessibility check" >&2
    exit 1
  fi
fi
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${need[*]}" >&2
  # Another apt run may hold the lock; wait for it rather than fail.
  for _ in $(seq 1 60); do
    if ! fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1; then break; fi
    sleep 5
  done
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "missing Debian packages: ${need[*]} (install them: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
