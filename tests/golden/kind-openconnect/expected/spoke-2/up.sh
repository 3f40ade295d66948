#!/bin/sh
# Overlab up.sh for host spoke-2 of project "golden openconnect".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
mkdir -p "$RUN"
BUNDLE=$(CDPATH="" cd -- "$(dirname -- "$0")" && pwd)
ol_running() { [ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; }
ol_wait_link() { i=0; while ! ip link show dev "$1" >/dev/null 2>&1; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: interface $1 did not appear" >&2; exit 1; fi; sleep 0.1; done; }
ol_mkdir() { [ -d "$1" ] && return 0; ol_mkdir "$(dirname "$1")"; mkdir -m 0755 "$1"; echo "$1" >> "$RUN/created-dirs"; }
ol_install() { ol_mkdir "$(dirname "$2")"; install -m "$1" "$BUNDLE/files$2" "$2"; }
# Files
ol_install 0600 /etc/openconnect/oloc0/password
ol_install 0644 /etc/openconnect/oloc0/ca.crt
ol_install 0644 /etc/openconnect/oloc0/openconnect.conf
ol_install 0644 /etc/overlab/mss.nft
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || sysctl -n net.ipv4.ip_forward > "$RUN/net.ipv4.ip_forward.orig"
sysctl -qw net.ipv4.ip_forward=1
# n0: OpenConnect (ocserv), 198.19.0.3/29 on oloc0, MTU 1434
ip link show dev oloc0 >/dev/null 2>&1 || ip tuntap add dev oloc0 mode tun
ip link set dev oloc0 mtu 1434
ip addr replace 198.19.0.3/29 dev oloc0
ip link set dev oloc0 up
ol_mkdir /var/log/overlab
i=0; until ip -o link show dev oloc0 | grep -q LOWER_UP; do
  ol_running /run/overlab/oloc0.pid openconnect || { openconnect --config /etc/openconnect/oloc0/openconnect.conf https://198.18.0.1:443/ </etc/openconnect/oloc0/password >>/var/log/overlab/openconnect-oloc0.log 2>&1 & echo $! > /run/overlab/oloc0.pid; }
  i=$((i + 1)); if [ "$i" -gt 30 ]; then echo 'overlab: openconnect for oloc0 did not connect to hub in 30 s; see /var/log/overlab/openconnect-oloc0.log' >&2; exit 1; fi; sleep 1
done
# Routes to the other sites
ol_wait_link oloc0
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.1 dev oloc0
route replace 198.18.17.0/24 via 198.19.0.1 dev oloc0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
