#!/usr/bin/env bash
# `npm run demo`: the whole job headless on the embedded lab, from a fresh Debian 12 clone (as
# root): installs what is missing, builds, then `overlab demo` — a 4-host hub-spoke with
# WireGuard, VXLAN and OpenVPN, lab up, deploy, quick measurement, PDF report, teardown, lab
# down — and prints where the report is.
#
#   OVERLAB_DEMO_DIR  the project folder   (default: $HOME/overlab-demo-run; reused when it holds a project)
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n==> %s\n' "$*"; }
has_display() { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: the embedded lab needs root (network namespaces); run: sudo npm run demo" >&2
  exit 1
fi

stage "system packages"
bash scripts/install-system-deps.sh

stage "npm dependencies"
# Same rule as scripts/start.sh: without a display the desktop app's binary is not fetched.
if ! has_display; then export ELECTRON_SKIP_BINARY_DOWNLOAD=1; fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

stage "build"
npm run --silent build

exec node bin/overlab.mjs demo "${OVERLAB_DEMO_DIR:-$HOME/overlab-demo-run}" "$@"
