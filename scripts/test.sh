#!/usr/bin/env bash
# The one test command (README: "npm test"; CI runs exactly this through .ci/run).
# On a fresh Debian 12 clone it installs what is missing, then builds, typechecks, lints
# and runs the test suites. Each stage prints its name; the first failure stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n==> %s\n' "$*"; }

stage "system packages"
bash scripts/install-system-deps.sh

stage "npm dependencies"
# The Electron binary is fetched on users' machines; tests run the engine under plain Node.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

stage "build (main, preload, renderer, cli)"
npm run --silent build

stage "typecheck (shared, node: main/preload/cli/tests, web: renderer)"
npm run --silent typecheck

stage "lint"
npm run --silent lint

stage "unit tests"
npx vitest run --project unit

stage "e2e tests (overlab serve in Chromium)"
npx vitest run --project e2e

stage "lab tests (real sshd in network namespaces; deploy, faults, teardown)"
if [ "$(id -u)" = 0 ]; then
  npx vitest run --project lab
else
  echo "skipped: the embedded lab needs root"
fi
