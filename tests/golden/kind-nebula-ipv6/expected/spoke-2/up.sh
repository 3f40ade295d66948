#!/bin/sh
# Overlab up.sh for host spoke-2 of project "golden nebula over IPv6".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
[ -d "$RUN" ] || mkdir -p "$RUN"
case $0 in */*) BUNDLE=${0%/*} ;; *) BUNDLE=. ;; esac
case $BUNDLE in /*) ;; *) BUNDLE=$PWD/$BUNDLE ;; esac
ol_running() { [ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; }
ol_wait_link() { i=0; while ! ip link show dev "$1" >/dev/null 2>&1; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: interface $1 did not appear" >&2; exit 1; fi; sleep 0.1; done; }
ol_mkdir() { [ -z "$1" ] || [ -d "$1" ] && return 0; ol_mkdir "${1%/*}"; mkdir -m 0755 "$1"; echo "$1" >> "$RUN/created-dirs"; }
ol_install() { ol_mkdir "${2%/*}"; install -m "$1" "$BUNDLE/files$2" "$2"; }
# Files
ol_install 0644 /etc/nebula/overlab-n0/config.yml
ol_install 0644 /etc/nebula/overlab-n0/ca.crt
ol_install 0644 /etc/nebula/overlab-n0/host.crt
ol_install 0600 /etc/nebula/overlab-n0/host.key
ol_install 0644 /etc/overlab/mss.nft
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n0: Nebula, 198.19.0.3/29 on olneb0, MTU 1420
ol_running /run/overlab/nebula-overlab-n0.pid nebula || { nebula -config /etc/nebula/overlab-n0/config.yml >> /run/overlab/nebula-overlab-n0.log 2>&1 & echo $! > /run/overlab/nebula-overlab-n0.pid; }
ol_wait_link olneb0
printf '%s\n' 'link set dev olneb0 mtu 1420' 'addr replace 198.19.0.3/29 dev olneb0' 'link set dev olneb0 up' | ip -batch -
# Routes to the other sites
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.1 dev olneb0
route replace 198.18.17.0/24 via 198.19.0.1 dev olneb0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
