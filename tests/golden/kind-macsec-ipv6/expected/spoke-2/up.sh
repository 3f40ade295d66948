#!/bin/sh
# Overlab up.sh for host spoke-2 of project "golden macsec over IPv6".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
[ -d "$RUN" ] || mkdir -p "$RUN"
case $0 in */*) BUNDLE=${0%/*} ;; *) BUNDLE=. ;; esac
case $BUNDLE in /*) ;; *) BUNDLE=$PWD/$BUNDLE ;; esac
ol_mkdir() { [ -z "$1" ] || [ -d "$1" ] && return 0; ol_mkdir "${1%/*}"; mkdir -m 0755 "$1"; echo "$1" >> "$RUN/created-dirs"; }
ol_install() { ol_mkdir "${2%/*}"; install -m "$1" "$BUNDLE/files$2" "$2"; }
# Files
ol_install 0600 /etc/overlab/macsec/olms0.batch
ol_install 0644 /etc/overlab/mss.nft
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n1: MACsec (static keys, GCM-AES-128; hosts on one L2 segment), 198.19.0.3/31 on olms0, MTU 1468
if ! ip link show dev olms0 >/dev/null 2>&1; then ip link add link eth0 name olms0 address 02:6f:00:00:01:02 type macsec port 1 encrypt on cipher gcm-aes-128; ip -batch /etc/overlab/macsec/olms0.batch || { ip link del dev olms0 2>/dev/null; exit 1; }; fi
printf '%s\n' 'link set dev olms0 mtu 1468' 'addr replace 198.19.0.3/31 dev olms0' 'link set dev olms0 up' | ip -batch -
# Routes to the other sites
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.2 dev olms0
route replace 198.18.17.0/24 via 198.19.0.2 dev olms0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
