#!/bin/sh
# Overlab down.sh for host spoke-1 of project "golden geneve over IPv6".
# Generated from overlab.yaml: change the project, not this file.
set -u
RUN=/run/overlab
nft delete table inet overlab_mss 2>/dev/null
ip -force -batch - 2>/dev/null <<'OVERLAB_IP_BATCH'
route del 198.18.16.0/24 via 198.19.0.0 dev olgnv0
route del 198.18.18.0/24 via 198.19.0.0 dev olgnv0
OVERLAB_IP_BATCH
# n0: GENEVE
ip link del dev olgnv0 2>/dev/null
rm -f /etc/overlab/mss.nft
if [ -f "$RUN/net.ipv4.ip_forward.orig" ]; then read -r v < "$RUN/net.ipv4.ip_forward.orig" && echo "$v" > /proc/sys/net/ipv4/ip_forward; rm -f "$RUN/net.ipv4.ip_forward.orig"; fi
if [ -f "$RUN/created-dirs" ]; then sort -r "$RUN/created-dirs" | while read -r d; do rmdir "$d" 2>/dev/null; done; rm -f "$RUN/created-dirs"; fi
rmdir "$RUN" 2>/dev/null
echo "overlab: down"
exit 0
