#!/bin/sh
# Overlab up.sh for host spoke-1 of project "golden geneve over IPv6".
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
# n0: GENEVE, 198.19.0.1/31 on olgnv0, MTU 1430
ip link show dev olgnv0 >/dev/null 2>&1 || ip link add olgnv0 type geneve id 100 remote fdf6:15da:557d::1 dstport 6081 df unset
printf '%s\n' 'link set dev olgnv0 mtu 1430' 'addr replace 198.19.0.1/31 dev olgnv0' 'link set dev olgnv0 up' | ip -batch -
# Routes to the other sites
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.0 dev olgnv0
route replace 198.18.18.0/24 via 198.19.0.0 dev olgnv0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
