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

stage "typecheck (shared, node: engine/main/preload/cli/tests, web: renderer)"
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

stage "Debian's full kernel in QEMU: the runner's own contract"
if [ "$(id -u)" = 0 ]; then
  # Exit codes, literal arguments, timeout, and GRE/GENEVE/WireGuard between namespaces in one boot.
  bash tests/fullkernel/smoke.sh
else
  echo "skipped: the full-kernel runner needs root"
fi

stage "tunnels in Debian's full kernel (every kind this kernel lacks, same proofs, one VM boot)"
if [ "$(id -u)" = 0 ]; then
  # About a minute and a half per site-to-site case under CPU emulation (2 cores).
  bash tests/tunnels/run-all.sh --vm-only
else
  echo "skipped: the full-kernel runner needs root"
fi
