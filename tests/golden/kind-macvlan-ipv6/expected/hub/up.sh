#!/bin/sh
# Overlab up.sh for host hub of project "golden macvlan over IPv6".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
[ -d "$RUN" ] || mkdir -p "$RUN"
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n0: MACVLAN (bridge mode; hosts on one L2 segment), 198.19.0.0/31 on olmv0, MTU 1500
ip link show dev olmv0 >/dev/null 2>&1 || ip link add link eth0 name olmv0 type macvlan mode bridge
printf '%s\n' 'link set dev olmv0 mtu 1500' 'addr replace 198.19.0.0/31 dev olmv0' 'link set dev olmv0 up' | ip -batch -
# n1: MACVLAN (bridge mode; hosts on one L2 segment), 198.19.0.2/31 on olmv1, MTU 1500
ip link show dev olmv1 >/dev/null 2>&1 || ip link add link eth0 name olmv1 type macvlan mode bridge
printf '%s\n' 'link set dev olmv1 mtu 1500' 'addr replace 198.19.0.2/31 dev olmv1' 'link set dev olmv1 up' | ip -batch -
# Routes to the other sites
ip route replace 198.18.17.0/24 via 198.19.0.1 dev olmv0
ip route replace 198.18.18.0/24 via 198.19.0.3 dev olmv1
echo "overlab: up"
