#!/bin/sh
# Overlab up.sh for host spoke-1 of project "golden openvpn".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
mkdir -p "$RUN"
BUNDLE=$(CDPATH="" cd -- "$(dirname -- "$0")" && pwd)
ol_running() { [ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; }
ol_wait_link() { i=0; while ! ip link show dev "$1" >/dev/null 2>&1; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: interface $1 did not appear" >&2; exit 1; fi; sleep 0.1; done; }
ol_started() {
  i=0; while ! ol_running "$1" "$2" && [ "$i" -lt 50 ] && read -r _ _ st _ < "/proc/$(cat "$1")/stat" 2>/dev/null && [ "$st" != Z ]; do sleep 0.1; i=$((i + 1)); done
  sleep 0.5
  ol_running "$1" "$2"
}
ol_mkdir() { [ -d "$1" ] && return 0; ol_mkdir "$(dirname "$1")"; mkdir -m 0755 "$1"; echo "$1" >> "$RUN/created-dirs"; }
ol_install() { ol_mkdir "$(dirname "$2")"; install -m "$1" "$BUNDLE/files$2" "$2"; }
# Files
ol_install 0600 /etc/openvpn/client/olovpn0.conf
ol_install 0644 /etc/overlab/mss.nft
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || sysctl -n net.ipv4.ip_forward > "$RUN/net.ipv4.ip_forward.orig"
sysctl -qw net.ipv4.ip_forward=1
# n0: OpenVPN, 198.19.0.2/29 on olovpn0, MTU 1448
ip link show dev olovpn0 >/dev/null 2>&1 || ip tuntap add dev olovpn0 mode tun
ip link set dev olovpn0 mtu 1448
ip addr replace 198.19.0.2/29 dev olovpn0
ip link set dev olovpn0 up
ol_mkdir /var/log/overlab
ol_running /run/overlab/olovpn0.pid openvpn || { openvpn --config /etc/openvpn/client/olovpn0.conf </dev/null >/dev/null 2>&1 & echo $! > /run/overlab/olovpn0.pid; }
ol_started /run/overlab/olovpn0.pid openvpn || { echo 'overlab: openvpn for olovpn0 exited; see /var/log/overlab/openvpn-olovpn0.log' >&2; exit 1; }
# Routes to the other sites
ol_wait_link olovpn0
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.1 dev olovpn0
route replace 198.18.18.0/24 via 198.19.0.1 dev olovpn0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
