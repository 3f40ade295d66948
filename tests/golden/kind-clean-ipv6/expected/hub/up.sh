#!/bin/sh
# Overlab up.sh for host hub of project "golden clean over IPv6".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
[ -d "$RUN" ] || mkdir -p "$RUN"
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n0: Clean IP (no tunnel), fdf6:15da:557d::1/128 on eth0, MTU 1500
# n1: Clean IP (no tunnel), fdf6:15da:557d::1/128 on eth0, MTU 1500
# Routes to the other sites
ip route replace 198.18.17.0/24 via inet6 fdf6:15da:557d::2 dev eth0
ip route replace 198.18.18.0/24 via inet6 fdf6:15da:557d::3 dev eth0
echo "overlab: up"
