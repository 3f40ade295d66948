#!/bin/sh
# Overlab down.sh for host hub of project "golden clean over IPv6".
# Generated from overlab.yaml: change the project, not this file.
set -u
RUN=/run/overlab
ip route del 198.18.17.0/24 via inet6 fdf6:15da:557d::2 dev eth0 2>/dev/null
ip route del 198.18.18.0/24 via inet6 fdf6:15da:557d::3 dev eth0 2>/dev/null
# n1: Clean IP (no tunnel)
# n0: Clean IP (no tunnel)
if [ -f "$RUN/net.ipv4.ip_forward.orig" ]; then read -r v < "$RUN/net.ipv4.ip_forward.orig" && echo "$v" > /proc/sys/net/ipv4/ip_forward; rm -f "$RUN/net.ipv4.ip_forward.orig"; fi
if [ -f "$RUN/created-dirs" ]; then sort -r "$RUN/created-dirs" | while read -r d; do rmdir "$d" 2>/dev/null; done; rm -f "$RUN/created-dirs"; fi
rmdir "$RUN" 2>/dev/null
echo "overlab: down"
exit 0
