#!/usr/bin/env bash
# Installs the Debian packages Overlab's tests and embedded lab need, only those missing.
# Idempotent; needs root (or passwordless sudo) when something is missing.
# Usage: scripts/install-system-deps.sh [--check]   (--check: list what is missing, exit 1 if any)
set -euo pipefail

# Why each package is here:
#   (the linter) shellcheck          - every generated up.sh/down.sh must pass it
#   iputils-ping                     - RTT series and the do-not-fragment MTU proofs
#   iproute2 nftables iptables kmod  - namespaces, links, MSS clamping, module probing
#   openssh-server                   - one sshd per embedded-lab host
#   sudo                             - deploy's logins that are not root (tests: sudo with a password)
#   iperf3 iperf netperf             - the measurement suite (netperf 2.7.0, the paper's, is in Debian's
#                                      non-free component: enabled below for that one package)
#   chromium                         - Playwright drives it for e2e tests and PDF reports
#   qemu-system-x86 busybox-static   - the full-kernel runner for tunnels this kernel lacks
#   wireguard-tools wireguard-go openvpn tinc libreswan ocserv openconnect nebula
#                                    - the daemons of the tunnel catalogue (and their config checks)
#   ansible-core ansible-lint        - `overlab export ansible`: its test runs the exported playbooks against
#                                      the lab and lints them (Debian's packages, not pip)
PACKAGES=(
  shellcheck iproute2 nftables iptables kmod procps psmisc iputils-ping
  openssh-server openssh-client sudo
  iperf3 iperf netperf
  chromium fonts-dejavu-core poppler-utils
  qemu-system-x86 busybox-static cpio
  wireguard-tools wireguard-go openvpn tinc libreswan ocserv openconnect nebula
  ansible-core ansible-lint
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "system packages: all ${#PACKAGES[@]} present"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "system packages missing: ${missing[*]}"
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "install-system-deps: missing ${missing[*]}; run this script as root (or with passwordless sudo)" >&2
    exit 1
  fi
fi

echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start daemons on the machine: the lab starts its own instances.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 0755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
# netperf is in Debian's non-free component, which a fresh machine does not list. Add that
# component from the same archive, signed by the same archive key, and pin it so that apt takes
# netperf from it and nothing else.
need_non_free() { case " ${missing[*]} " in *" netperf "*) return 0 ;; esac; return 1; }
# shellcheck source=/dev/null # (the machine's own release file)
if need_non_free && [ -r /etc/os-release ] && . /etc/os-release && [ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ]; then
  if ! grep -rqsE '^Components:.*non-free( |$)|^deb .* non-free( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$VERSION_CODENAME" \
      | $SUDO tee /etc/apt/sources.list.d/overlab-non-free.sources >/dev/null
    printf 'Package: *\nPin: release c=non-free\nPin-Priority: -1\n\nPackage: netperf\nPin: release c=non-free\nPin-Priority: 500\n' \
      | $SUDO tee /etc/apt/preferences.d/overlab-non-free >/dev/null
    echo "system packages: enabled Debian's non-free component for netperf only (/etc/apt/sources.list.d/overlab-non-free.sources)"
  fi
fi
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${#missing[@]}"
