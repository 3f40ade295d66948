#!/bin/sh
# Overlab up.sh for host spoke-2 of project "golden openvpn over IPv6".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
[ -d "$RUN" ] || mkdir -p "$RUN"
case $0 in */*) BUNDLE=${0%/*} ;; *) BUNDLE=. ;; esac
case $BUNDLE in /*) ;; *) BUNDLE=$PWD/$BUNDLE ;; esac
ol_running() { [ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; }
ol_started() {
  i=0; while ! ol_running "$1" "$2" && [ "$i" -lt 50 ] && read -r _ _ st _ < "/proc/$(cat "$1")/stat" 2>/dev/null && [ "$st" != Z ]; do sleep 0.1; i=$((i + 1)); done
  sleep 0.5
  ol_running "$1" "$2"
}
ol_mkdir() { [ -z "$1" ] || [ -d "$1" ] && return 0; ol_mkdir "${1%/*}"; mkdir -m 0755 "$1"; echo "$1" >> "$RUN/created-dirs"; }
ol_install() { ol_mkdir "${2%/*}"; install -m "$1" "$BUNDLE/files$2" "$2"; }
# Files
ol_install 0600 /etc/openvpn/client/olovpn0.conf
ol_install 0644 /etc/overlab/mss.nft
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n0: OpenVPN, 198.19.0.3/29 on olovpn0, MTU 1428
ip link show dev olovpn0 >/dev/null 2>&1 || ip tuntap add dev olovpn0 mode tun
printf '%s\n' 'link set dev olovpn0 mtu 1428' 'addr replace 198.19.0.3/29 dev olovpn0' 'link set dev olovpn0 up' | ip -batch -
ol_mkdir /var/log/overlab
ol_running /run/overlab/olovpn0.pid openvpn || { openvpn --config /etc/openvpn/client/olovpn0.conf </dev/null >/dev/null 2>&1 & echo $! > /run/overlab/olovpn0.pid; }
ol_started /run/overlab/olovpn0.pid openvpn || { echo 'overlab: openvpn for olovpn0 exited; see /var/log/overlab/openvpn-olovpn0.log' >&2; exit 1; }
# Routes to the other sites
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.1 dev olovpn0
route replace 198.18.17.0/24 via 198.19.0.1 dev olovpn0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
