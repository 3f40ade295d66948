#!/bin/sh
# Overlab up.sh for host spoke-2 of project "golden fou over IPv6".
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
# n1: IPIP over FOU, 198.19.0.3/31 on olfou0, MTU 1452
modprobe -q -a fou fou6 2>/dev/null || true
ip fou show 2>/dev/null | grep -qx 'port 5555 ipproto 4 -6' || ip fou add port 5555 ipproto 4 -6
ip link show dev olfou0 >/dev/null 2>&1 || ip link add olfou0 type ip6tnl mode ipip6 local fdf6:15da:557d::3 remote fdf6:15da:557d::1 encaplimit none encap fou encap-sport auto encap-dport 5555
printf '%s\n' 'link set dev olfou0 mtu 1452' 'addr replace 198.19.0.3/31 dev olfou0' 'link set dev olfou0 up' | ip -batch -
# Routes to the other sites
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.2 dev olfou0
route replace 198.18.17.0/24 via 198.19.0.2 dev olfou0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
