#!/bin/sh
# Overlab up.sh for host spoke-1 of project "golden fou".
# Generated from overlab.yaml: change the project, not this file.
set -eu
RUN=/run/overlab
mkdir -p "$RUN"
BUNDLE=$(CDPATH="" cd -- "$(dirname -- "$0")" && pwd)
ol_wait_link() { i=0; while ! ip link show dev "$1" >/dev/null 2>&1; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: interface $1 did not appear" >&2; exit 1; fi; sleep 0.1; done; }
ol_mkdir() { [ -d "$1" ] && return 0; ol_mkdir "$(dirname "$1")"; mkdir -m 0755 "$1"; echo "$1" >> "$RUN/created-dirs"; }
ol_install() { ol_mkdir "$(dirname "$2")"; install -m "$1" "$BUNDLE/files$2" "$2"; }
# Files
ol_install 0644 /etc/overlab/mss.nft
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || sysctl -n net.ipv4.ip_forward > "$RUN/net.ipv4.ip_forward.orig"
sysctl -qw net.ipv4.ip_forward=1
# n0: IPIP over FOU, 198.19.0.1/31 on olfou0, MTU 1472
modprobe -q fou 2>/dev/null || true
ip fou show 2>/dev/null | grep -qx 'port 5555 ipproto 4' || ip fou add port 5555 ipproto 4
ip link show dev olfou0 >/dev/null 2>&1 || ip link add olfou0 type ipip mode ipip local 198.18.0.2 remote 198.18.0.1 encap fou encap-sport auto encap-dport 5555
ip link set dev olfou0 mtu 1472
ip addr replace 198.19.0.1/31 dev olfou0
ip link set dev olfou0 up
# Routes to the other sites
ol_wait_link olfou0
ip -batch - <<'OVERLAB_IP_BATCH'
route replace 198.18.16.0/24 via 198.19.0.0 dev olfou0
route replace 198.18.18.0/24 via 198.19.0.0 dev olfou0
OVERLAB_IP_BATCH
# TCP MSS clamping (nftables)
nft -f /etc/overlab/mss.nft
echo "overlab: up"
