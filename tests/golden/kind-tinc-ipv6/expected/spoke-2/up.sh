#!/bin/sh
# Overlab up.sh for host spoke-2 of project "golden tinc over IPv6".
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
ol_install 0644 /etc/tinc/overlab-n0/tinc.conf
ol_install 0600 /etc/tinc/overlab-n0/rsa_key.priv
ol_install 0644 /etc/tinc/overlab-n0/hosts/spoke_2
ol_install 0644 /etc/tinc/overlab-n0/hosts/hub
ol_install 0644 /etc/overlab/mss.nft
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n0: tinc 1.0, 198.19.0.3/29 on oltinc0, MTU 1421
ol_running /run/overlab/tinc-overlab-n0.pid tincd || { tincd -n overlab-n0 -D --pidfile=/run/overlab/tinc-overlab-n0.pid --logfile=/run/overlab/tinc-overlab-n0.log >/dev/null 2>&1 & echo $! > /run/overlab/tinc-overlab-n0.pid; }
ol_wait_link oltinc0
printf '%s\n' 'link set dev oltinc0 mtu 1421' 'addr replace 198.19.0.3/29 dev oltinc0' 'link set dev oltinc0 up' | ip -batch -
# Routes to the other sites
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.1 dev oltinc0
route replace 198.18.17.0/24 via 198.19.0.1 dev oltinc0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
