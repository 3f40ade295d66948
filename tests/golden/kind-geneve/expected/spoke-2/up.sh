#!/bin/sh
# Overlab up.sh for host spoke-2 of project "golden geneve".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
mkdir -p "$RUN"
BUNDLE=$(CDPATH="" cd -- "$(dirname -- "$0")" && pwd)
ol_wait_link() { i=0; while ! ip link show dev "$1" >/dev/null 2>&1; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: interface $1 did not appear" >&2; exit 1; fi; sleep 0.1; done; }
ol_mkdir() { [ -d "$1" ] && return 0; ol_mkdir "$(dirname "$1")"; mkdir -m 0755 "$1"; echo "$1" >> "$RUN/created-dirs"; }
ol_install() { ol_mkdir "$(dirname "$2")"; install -m "$1" "$BUNDLE/files$2" "$2"; }
# Files
ol_install 0644 /etc/overlab/mss.nft
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || sysctl -n net.ipv4.ip_forward > "$RUN/net.ipv4.ip_forward.orig"
sysctl -qw net.ipv4.ip_forward=1
# n1: GENEVE, 198.19.0.3/31 on olgnv0, MTU 1450
ip link show dev olgnv0 >/dev/null 2>&1 || ip link add olgnv0 type geneve id 101 remote 198.18.0.1 dstport 6081 df unset
ip link set dev olgnv0 mtu 1450
ip addr replace 198.19.0.3/31 dev olgnv0
ip link set dev olgnv0 up
# Routes to the other sites
ol_wait_link olgnv0
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.2 dev olgnv0
route replace 198.18.17.0/24 via 198.19.0.2 dev olgnv0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
