#!/bin/sh
# Overlab down.sh for host hub of project "golden ipsec-transport over IPv6".
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
# n1: IPsec transport mode (Libreswan, host to host)
ipsec whack --ctlsocket /run/overlab/pluto/pluto.ctl --delete --name overlab-n1 >/dev/null 2>&1
rm -f /run/overlab/pluto/overlab-n1.loaded
ol_stop /run/overlab/pluto.pid pluto
rm -rf /run/overlab/pluto /etc/overlab/ipsec/nss
for t in 135 136; do for d in out fwd in; do ip xfrm policy delete dir "$d" src ::/0 dst ::/0 proto ipv6-icmp type "$t" 2>/dev/null; done; done
i=0; while ip xfrm state list src fdf6:15da:557d::1 dst fdf6:15da:557d::3 2>/dev/null | grep -q 'spi 0x00000000' && [ "$i" -lt 310 ]; do sleep 0.1; i=$((i + 1)); done
ip xfrm policy deleteall src fdf6:15da:557d::1/128 dst fdf6:15da:557d::3/128 dir out priority 4294967295 action block 2>/dev/null
ip xfrm policy deleteall src fdf6:15da:557d::3/128 dst fdf6:15da:557d::1/128 dir in priority 4294967295 action block 2>/dev/null
# n0: IPsec transport mode (Libreswan, host to host)
ipsec whack --ctlsocket /run/overlab/pluto/pluto.ctl --delete --name overlab-n0 >/dev/null 2>&1
rm -f /run/overlab/pluto/overlab-n0.loaded
ol_stop /run/overlab/pluto.pid pluto
rm -rf /run/overlab/pluto /etc/overlab/ipsec/nss
for t in 135 136; do for d in out fwd in; do ip xfrm policy delete dir "$d" src ::/0 dst ::/0 proto ipv6-icmp type "$t" 2>/dev/null; done; done
i=0; while ip xfrm state list src fdf6:15da:557d::1 dst fdf6:15da:557d::2 2>/dev/null | grep -q 'spi 0x00000000' && [ "$i" -lt 310 ]; do sleep 0.1; i=$((i + 1)); done
ip xfrm policy deleteall src fdf6:15da:557d::1/128 dst fdf6:15da:557d::2/128 dir out priority 4294967295 action block 2>/dev/null
ip xfrm policy deleteall src fdf6:15da:557d::2/128 dst fdf6:15da:557d::1/128 dir in priority 4294967295 action block 2>/dev/null
rm -f /etc/overlab/ipsec/ipsec.conf
rm -f /etc/overlab/ipsec/ipsec.secrets
rm -f /etc/ipsec.d/overlab-n0.conf
rm -f /etc/ipsec.d/overlab-n0.secrets
rm -f /etc/overlab/ipsec/ipsec.conf
rm -f /etc/overlab/ipsec/ipsec.secrets
rm -f /etc/ipsec.d/overlab-n1.conf
rm -f /etc/ipsec.d/overlab-n1.secrets
if [ -f "$RUN/net.ipv4.ip_forward.orig" ]; then read -r v < "$RUN/net.ipv4.ip_forward.orig" && echo "$v" > /proc/sys/net/ipv4/ip_forward; rm -f "$RUN/net.ipv4.ip_forward.orig"; fi
if [ -f "$RUN/created-dirs" ]; then sort -r "$RUN/created-dirs" | while read -r d; do rmdir "$d" 2>/dev/null; done; rm -f "$RUN/created-dirs"; fi
rmdir "$RUN" 2>/dev/null
echo "overlab: down"
exit 0
