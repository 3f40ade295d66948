#!/usr/bin/env bash
# The one test command (README: "npm test"; CI runs exactly this through .ci/run).
# On a fresh Debian 12 clone it installs what is missing, then builds, typechecks, lints
# and runs the test suites. Each stage prints its name; the first failure stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage's wall time is printed when the next one starts, and all of them at the end (also
# when a stage fails), so that every CI log shows where the time went.
STAGE_NAMES=() STAGE_SECS=()
stage_name="" stage_t0=$SECONDS run_t0=$SECONDS
end_stage() {
  if [ -n "$stage_name" ]; then
    STAGE_NAMES+=("$stage_name"); STAGE_SECS+=($((SECONDS - stage_t0)))
    printf '    (%s: %d s)\n' "$stage_name" $((SECONDS - stage_t0))
  fi
  stage_name=""
}
stage() { end_stage; stage_name=$1; stage_t0=$SECONDS; printf '\n==> %s\n' "$*"; }
summary() {
  local rc=$?
  end_stage
  printf '\n==> stage wall times (%s)\n' "$([ "$rc" = 0 ] && echo passed || echo "FAILED, exit $rc")"
  local i
  for i in "${!STAGE_NAMES[@]}"; do printf '  %6d s  %s\n' "${STAGE_SECS[$i]}" "${STAGE_NAMES[$i]}"; done
  printf '  %6d s  in all (%d min)\n' $((SECONDS - run_t0)) $(((SECONDS - run_t0) / 60))
}
trap summary EXIT

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

stage "lint (eslint; Electronegativity on the built Electron app: HIGH/MEDIUM findings fail unless scripts/electronegativity-allow.txt justifies them)"
npm run --silent lint
# After the build: it reads out/main, out/preload and out/renderer. Prints its own time.
node scripts/run-ts.mjs scripts/electronegativity.ts

stage "unit tests"
npx vitest run --project unit

stage "e2e tests (overlab serve in Chromium)"
npx vitest run --project e2e

stage "render benchmark (plan + render of 100-host projects of every kind; figures only, no assertion; bench/ runs 200)"
node scripts/run-ts.mjs bench/render.bench.ts --runs 1 --hosts 100

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

stage "tunnels in Debian's full kernel (every kind this kernel lacks, same proofs, a short GRE/IPsec measurement campaign, and the link-conditions proof of VXLAN and WireGuard — delay, loss, rate — one VM boot)"
if [ "$(id -u)" = 0 ]; then
  bash tests/tunnels/run-all.sh --vm-only --vm-campaign gre,ipsec-tunnel --vm-conditions vxlan,wireguard
else
  echo "skipped: the full-kernel runner needs root"
fi
