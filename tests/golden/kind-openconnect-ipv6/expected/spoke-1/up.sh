#!/bin/sh
# Overlab up.sh for host spoke-1 of project "golden openconnect over IPv6".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
[ -d "$RUN" ] || mkdir -p "$RUN"
case $0 in */*) BUNDLE=${0%/*} ;; *) BUNDLE=. ;; esac
case $BUNDLE in /*) ;; *) BUNDLE=$PWD/$BUNDLE ;; esac
ol_running() { [ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; }
ol_mkdir() { [ -z "$1" ] || [ -d "$1" ] && return 0; ol_mkdir "${1%/*}"; mkdir -m 0755 "$1"; echo "$1" >> "$RUN/created-dirs"; }
ol_install() { ol_mkdir "${2%/*}"; install -m "$1" "$BUNDLE/files$2" "$2"; }
# Files
ol_install 0600 /etc/openconnect/oloc0/password
ol_install 0644 /etc/openconnect/oloc0/ca.crt
ol_install 0644 /etc/openconnect/oloc0/openconnect.conf
ol_install 0644 /etc/overlab/mss.nft
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n0: OpenConnect (ocserv), 198.19.0.2/29 on oloc0, MTU 1414
ip link show dev oloc0 >/dev/null 2>&1 || ip tuntap add dev oloc0 mode tun
printf '%s\n' 'link set dev oloc0 mtu 1414' 'addr replace 198.19.0.2/29 dev oloc0' 'link set dev oloc0 up' | ip -batch -
ol_mkdir /var/log/overlab
i=0; until ip -o link show dev oloc0 | grep -q LOWER_UP; do
  ol_running /run/overlab/oloc0.pid openconnect || { openconnect --config /etc/openconnect/oloc0/openconnect.conf 'https://[fdf6:15da:557d::1]:443/' </etc/openconnect/oloc0/password >>/var/log/overlab/openconnect-oloc0.log 2>&1 & echo $! > /run/overlab/oloc0.pid; }
  i=$((i + 1)); if [ "$i" -gt 30 ]; then echo 'overlab: openconnect for oloc0 did not connect to hub in 30 s; see /var/log/overlab/openconnect-oloc0.log' >&2; exit 1; fi; sleep 1
done
# Routes to the other sites
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.1 dev oloc0
route replace 198.18.18.0/24 via 198.19.0.1 dev oloc0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
