#!/bin/sh
# Overlab up.sh for host spoke-2 of project "golden clean".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
mkdir -p "$RUN"
ol_wait_link() { i=0; while ! ip link show dev "$1" >/dev/null 2>&1; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: interface $1 did not appear" >&2; exit 1; fi; sleep 0.1; done; }
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || sysctl -n net.ipv4.ip_forward > "$RUN/net.ipv4.ip_forward.orig"
sysctl -qw net.ipv4.ip_forward=1
# n1: Clean IP (no tunnel), 198.18.0.3/32 on eth0, MTU 1500
# Routes to the other sites
ol_wait_link eth0
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.18.0.1 dev eth0
route replace 198.18.17.0/24 via 198.18.0.1 dev eth0
OVERLAB_IP_BATCH
echo "overlab: up"
