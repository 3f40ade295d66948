#!/usr/bin/env bash
# `npm start`: Overlab on the embedded lab, from a fresh Debian 12 clone (as root).
# Installs what is missing, builds, creates an example project if there is none, brings its
# lab up and serves the UI on loopback, printing the URL to open (with its session token).
#
#   OVERLAB_DEMO  the example project folder            (default: $HOME/overlab-demo)
#   OVERLAB_PORT  the port for `overlab serve`           (default: any free port)
#   OVERLAB_UI    browser | electron                     (default: electron when it can run here)
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n==> %s\n' "$*"; }
overlab() { node bin/overlab.mjs "$@"; }

DEMO="${OVERLAB_DEMO:-$HOME/overlab-demo}"
has_display() { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }

stage "system packages"
bash scripts/install-system-deps.sh

stage "npm dependencies"
# Same rule as scripts/test.sh. Without a display the desktop app cannot open, so its
# ~100 MB binary is not fetched; the UI is served to a browser instead.
if ! has_display; then export ELECTRON_SKIP_BINARY_DOWNLOAD=1; fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

stage "build"
npm run --silent build

stage "example project: $DEMO"
if [ -f "$DEMO/overlab.yaml" ]; then
  echo "using the existing project in $DEMO"
else
  # resources/examples/demo: a hub and 3 spokes over VXLAN, in every stock kernel, so the lab
  # can carry it here (see `overlab kinds`).
  overlab new "$DEMO" --example demo
fi
# A project that does not validate is still served: the UI lists its problems.
overlab validate "$DEMO" || echo "start: $DEMO has problems (above); the UI lists them too" >&2

stage "embedded lab"
if [ "$(id -u)" -eq 0 ]; then
  if overlab lab up "$DEMO"; then
    echo "(the lab stays up after Overlab stops; remove it with: node bin/overlab.mjs lab down $DEMO)"
  else
    echo "start: the lab did not come up (above); serving the project anyway" >&2
  fi
else
  echo "not root: the lab is skipped (it needs root); the UI still opens the project" >&2
fi

# The desktop app, when it can run: an Electron binary, a display, and not root — Chromium's
# sandbox refuses to run as root, and turning the sandbox off is not an option for a window
# that drives root commands on hosts.
electron_bin() { node -e 'process.stdout.write(require("electron"))' 2>/dev/null || true; }
ui="${OVERLAB_UI:-}"
if [ -z "$ui" ]; then
  ui=browser
  bin="$(electron_bin)"
  if has_display && [ -n "$bin" ] && [ -x "$bin" ] && [ "$(id -u)" -ne 0 ]; then ui=electron; fi
fi

if [ "$ui" = electron ]; then
  bin="$(electron_bin)"
  if ! has_display || [ -z "$bin" ] || [ ! -x "$bin" ] || [ "$(id -u)" -eq 0 ]; then
    echo "start: OVERLAB_UI=electron needs a display, the Electron binary (npm ci with a display fetches it) and a non-root user" >&2
    exit 1
  fi
  stage "desktop app"
  echo "open the project folder $DEMO in the window"
  exec "$bin" .
fi

stage "overlab serve"
exec node bin/overlab.mjs serve "$DEMO" ${OVERLAB_PORT:+--port "$OVERLAB_PORT"}
