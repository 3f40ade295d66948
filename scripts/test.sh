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

stage "tunnels on this kernel (every kind it carries: deploy over SSH, DF-ping MTU proof, TCP, teardown)"
if [ "$(id -u)" = 0 ]; then
  bash tests/tunnels/run-all.sh --no-vm
else
  echo "skipped: the embedded lab needs root"
fi

stage "Debian's full kernel in QEMU: the runner, then a kind this kernel lacks deployed end to end"
if [ "$(id -u)" = 0 ]; then
  # The runner itself (exit codes, literal arguments, timeout) and GRE/GENEVE/WireGuard between
  # namespaces in the guest; then GRE deployed over SSH to a lab inside the guest with the
  # DF-ping MTU proof (tests/tunnels/pair.sh). Every other kernel-only kind is proven by its own
  # live tests in the guest (`scripts/fullkernel/run.sh -- npx vitest run src/shared/tunnels`)
  # and by `tests/tunnels/run-all.sh`; under emulation those take longer than CI's budget.
  bash tests/fullkernel/smoke.sh
  bash scripts/fullkernel/run.sh --timeout 2400 --mem 3072 -- bash tests/tunnels/pair.sh gre
else
  echo "skipped: the full-kernel runner needs root"
fi
