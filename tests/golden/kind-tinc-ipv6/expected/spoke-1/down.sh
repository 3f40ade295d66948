#!/bin/sh
# Overlab down.sh for host spoke-1 of project "golden tinc over IPv6".
# Generated from overlab.yaml: change the project, not this file.
set -u
RUN=/run/overlab
ol_stop() {
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; then
    kill "$pid" 2>/dev/null
    # Waits while it runs: an exited daemon can stay a zombie until its parent reaps it, and
    # kill -0 says yes to zombies (5 s lost per daemon); the state is /proc/PID/stat's third field.
    i=0; while [ "$i" -lt 50 ] && read -r _ _ st _ < "/proc/$pid/stat" 2>/dev/null && [ "$st" != Z ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$1"
}
nft delete table inet overlab_mss 2>/dev/null
ip -force -batch - 2>/dev/null <<'OVERLAB_IP_BATCH'
route del 198.18.16.0/24 via 198.19.0.1 dev oltinc0
route del 198.18.18.0/24 via 198.19.0.1 dev oltinc0
OVERLAB_IP_BATCH
# n0: tinc 1.0
ol_stop /run/overlab/tinc-overlab-n0.pid tincd
ip link del dev oltinc0 2>/dev/null
rm -f /run/overlab/tinc-overlab-n0.log
rm -f /etc/tinc/overlab-n0/tinc.conf
rm -f /etc/tinc/overlab-n0/rsa_key.priv
rm -f /etc/tinc/overlab-n0/hosts/spoke_1
rm -f /etc/tinc/overlab-n0/hosts/hub
rm -f /etc/overlab/mss.nft
if [ -f "$RUN/net.ipv4.ip_forward.orig" ]; then read -r v < "$RUN/net.ipv4.ip_forward.orig" && echo "$v" > /proc/sys/net/ipv4/ip_forward; rm -f "$RUN/net.ipv4.ip_forward.orig"; fi
if [ -f "$RUN/created-dirs" ]; then sort -r "$RUN/created-dirs" | while read -r d; do rmdir "$d" 2>/dev/null; done; rm -f "$RUN/created-dirs"; fi
rmdir "$RUN" 2>/dev/null
echo "overlab: down"
exit 0
