#!/bin/sh
# Overlab up.sh for host spoke-2 of project "golden macvlan".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
mkdir -p "$RUN"
ol_wait_link() { i=0; while ! ip link show dev "$1" >/dev/null 2>&1; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: interface $1 did not appear" >&2; exit 1; fi; sleep 0.1; done; }
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || sysctl -n net.ipv4.ip_forward > "$RUN/net.ipv4.ip_forward.orig"
sysctl -qw net.ipv4.ip_forward=1
# n1: MACVLAN (bridge mode; hosts on one L2 segment), 198.19.0.3/31 on olmv0, MTU 1500
ip link show dev olmv0 >/dev/null 2>&1 || ip link add link eth0 name olmv0 type macvlan mode bridge
ip link set dev olmv0 mtu 1500
ip addr replace 198.19.0.3/31 dev olmv0
ip link set dev olmv0 up
# Routes to the other sites
ol_wait_link olmv0
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.2 dev olmv0
route replace 198.18.17.0/24 via 198.19.0.2 dev olmv0
OVERLAB_IP_BATCH
echo "overlab: up"
