#!/bin/sh
# Overlab up.sh for host spoke-1 of project "golden clean".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
[ -d "$RUN" ] || mkdir -p "$RUN"
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n0: Clean IP (no tunnel), 198.18.0.2/32 on eth0, MTU 1500
# Routes to the other sites
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.18.0.1 dev eth0
route replace 198.18.18.0/24 via 198.18.0.1 dev eth0
OVERLAB_IP_BATCH
echo "overlab: up"
