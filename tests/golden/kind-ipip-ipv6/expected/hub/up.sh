#!/bin/sh
# Overlab up.sh for host hub of project "golden ipip over IPv6".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
[ -d "$RUN" ] || mkdir -p "$RUN"
case $0 in */*) BUNDLE=${0%/*} ;; *) BUNDLE=. ;; esac
case $BUNDLE in /*) ;; *) BUNDLE=$PWD/$BUNDLE ;; esac
ol_mkdir() { [ -z "$1" ] || [ -d "$1" ] && return 0; ol_mkdir "${1%/*}"; mkdir -m 0755 "$1"; echo "$1" >> "$RUN/created-dirs"; }
ol_install() { ol_mkdir "${2%/*}"; install -m "$1" "$BUNDLE/files$2" "$2"; }
# Files
ol_install 0644 /etc/overlab/mss.nft
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n0: IPIP (IP in IP), 198.19.0.0/31 on olipip0, MTU 1460
ip link show dev olipip0 >/dev/null 2>&1 || ip link add olipip0 type ip6tnl mode ipip6 local fdf6:15da:557d::1 remote fdf6:15da:557d::2 encaplimit none
printf '%s\n' 'link set dev olipip0 mtu 1460' 'addr replace 198.19.0.0/31 dev olipip0' 'link set dev olipip0 up' | ip -batch -
# n1: IPIP (IP in IP), 198.19.0.2/31 on olipip1, MTU 1460
ip link show dev olipip1 >/dev/null 2>&1 || ip link add olipip1 type ip6tnl mode ipip6 local fdf6:15da:557d::1 remote fdf6:15da:557d::3 encaplimit none
printf '%s\n' 'link set dev olipip1 mtu 1460' 'addr replace 198.19.0.2/31 dev olipip1' 'link set dev olipip1 up' | ip -batch -
# Routes to the other sites
ip route replace 198.18.17.0/24 via 198.19.0.1 dev olipip0
ip route replace 198.18.18.0/24 via 198.19.0.3 dev olipip1
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
