#!/bin/sh
# Overlab up.sh for host hub of project "golden ipsec-transport over IPv6".
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
ol_install 0644 /etc/overlab/ipsec/ipsec.conf
ol_install 0600 /etc/overlab/ipsec/ipsec.secrets
ol_install 0644 /etc/ipsec.d/overlab-n0.conf
ol_install 0600 /etc/ipsec.d/overlab-n0.secrets
ol_install 0644 /etc/overlab/ipsec/ipsec.conf
ol_install 0600 /etc/overlab/ipsec/ipsec.secrets
ol_install 0644 /etc/ipsec.d/overlab-n1.conf
ol_install 0600 /etc/ipsec.d/overlab-n1.secrets
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n0: IPsec transport mode (Libreswan, host to host), fdf6:15da:557d::1/128 on eth0, MTU 1466
# Without its SA, nothing the SA will carry passes in clear (see libreswan.ts)
ip xfrm policy update src fdf6:15da:557d::1/128 dst fdf6:15da:557d::2/128 dir out mark 0 mask 1 priority 4294967295 action block
ip xfrm policy update src fdf6:15da:557d::2/128 dst fdf6:15da:557d::1/128 dir in mark 0 mask 1 priority 4294967295 action block
# Libreswan: this host's pluto, shared by its IPsec networks (started once)
if ! ol_running /run/overlab/pluto.pid pluto; then
  if [ -S /run/pluto/pluto.ctl ] && ipsec whack --ctlsocket /run/pluto/pluto.ctl --status >/dev/null 2>&1; then echo "overlab: the system's Libreswan (pluto, /run/pluto/pluto.ctl) is running; stop it (systemctl stop ipsec): Overlab runs its own pluto" >&2; exit 1; fi
  rm -rf /run/overlab/pluto
  mkdir -p /run/overlab/pluto
  [ -f /etc/overlab/ipsec/nss/cert9.db ] || { ol_mkdir /etc/overlab/ipsec/nss; ipsec initnss --nssdir /etc/overlab/ipsec/nss >/dev/null; }
  ipsec pluto --nofork --config /etc/overlab/ipsec/ipsec.conf --rundir /run/overlab/pluto --nssdir /etc/overlab/ipsec/nss --secretsfile /etc/overlab/ipsec/ipsec.secrets --logfile /run/overlab/pluto/pluto.log </dev/null >/dev/null 2>&1 &
  echo $! > /run/overlab/pluto.pid
fi
i=0; while [ ! -S /run/overlab/pluto/pluto.ctl ]; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: pluto did not start:" >&2; tail -n 20 /run/overlab/pluto/pluto.log >&2; exit 1; fi; sleep 0.1; done
ipsec_out=$(ipsec whack --ctlsocket /run/overlab/pluto/pluto.ctl --listen 2>&1) || { printf '%s\n' "$ipsec_out" >&2; echo "overlab: ipsec whack --listen failed; pluto's log: /run/overlab/pluto/pluto.log" >&2; exit 1; }
# IPsec connections of n0: overlab-n0
loaded=$(cat /etc/ipsec.d/overlab-n0.conf /etc/ipsec.d/overlab-n0.secrets | sha256sum)
if [ "$(cat /run/overlab/pluto/overlab-n0.loaded 2>/dev/null)" != "$loaded" ]; then
  ipsec_out=$(ipsec whack --ctlsocket /run/overlab/pluto/pluto.ctl --rereadsecrets 2>&1) || { printf '%s\n' "$ipsec_out" >&2; echo "overlab: ipsec whack --rereadsecrets failed; pluto's log: /run/overlab/pluto/pluto.log" >&2; exit 1; }
  ipsec_out=$(ipsec addconn --ctlsocket /run/overlab/pluto/pluto.ctl --config /etc/ipsec.d/overlab-n0.conf overlab-n0 2>&1) || { printf '%s\n' "$ipsec_out" >&2; echo "overlab: ipsec addconn overlab-n0 failed; pluto's log: /run/overlab/pluto/pluto.log" >&2; exit 1; }
  ipsec_out=$(ipsec whack --ctlsocket /run/overlab/pluto/pluto.ctl --initiate --asynchronous --name overlab-n0 2>&1) || { printf '%s\n' "$ipsec_out" >&2; echo "overlab: ipsec whack --initiate --asynchronous --name overlab-n0 failed; pluto's log: /run/overlab/pluto/pluto.log" >&2; exit 1; }
  echo "$loaded" > /run/overlab/pluto/overlab-n0.loaded
fi
# n1: IPsec transport mode (Libreswan, host to host), fdf6:15da:557d::1/128 on eth0, MTU 1466
# Without its SA, nothing the SA will carry passes in clear (see libreswan.ts)
ip xfrm policy update src fdf6:15da:557d::1/128 dst fdf6:15da:557d::3/128 dir out mark 0 mask 1 priority 4294967295 action block
ip xfrm policy update src fdf6:15da:557d::3/128 dst fdf6:15da:557d::1/128 dir in mark 0 mask 1 priority 4294967295 action block
# Libreswan: this host's pluto, shared by its IPsec networks (started once)
if ! ol_running /run/overlab/pluto.pid pluto; then
  if [ -S /run/pluto/pluto.ctl ] && ipsec whack --ctlsocket /run/pluto/pluto.ctl --status >/dev/null 2>&1; then echo "overlab: the system's Libreswan (pluto, /run/pluto/pluto.ctl) is running; stop it (systemctl stop ipsec): Overlab runs its own pluto" >&2; exit 1; fi
  rm -rf /run/overlab/pluto
  mkdir -p /run/overlab/pluto
  [ -f /etc/overlab/ipsec/nss/cert9.db ] || { ol_mkdir /etc/overlab/ipsec/nss; ipsec initnss --nssdir /etc/overlab/ipsec/nss >/dev/null; }
  ipsec pluto --nofork --config /etc/overlab/ipsec/ipsec.conf --rundir /run/overlab/pluto --nssdir /etc/overlab/ipsec/nss --secretsfile /etc/overlab/ipsec/ipsec.secrets --logfile /run/overlab/pluto/pluto.log </dev/null >/dev/null 2>&1 &
  echo $! > /run/overlab/pluto.pid
fi
i=0; while [ ! -S /run/overlab/pluto/pluto.ctl ]; do i=$((i + 1)); if [ "$i" -gt 100 ]; then echo "overlab: pluto did not start:" >&2; tail -n 20 /run/overlab/pluto/pluto.log >&2; exit 1; fi; sleep 0.1; done
ipsec_out=$(ipsec whack --ctlsocket /run/overlab/pluto/pluto.ctl --listen 2>&1) || { printf '%s\n' "$ipsec_out" >&2; echo "overlab: ipsec whack --listen failed; pluto's log: /run/overlab/pluto/pluto.log" >&2; exit 1; }
# IPsec connections of n1: overlab-n1
loaded=$(cat /etc/ipsec.d/overlab-n1.conf /etc/ipsec.d/overlab-n1.secrets | sha256sum)
if [ "$(cat /run/overlab/pluto/overlab-n1.loaded 2>/dev/null)" != "$loaded" ]; then
  ipsec_out=$(ipsec whack --ctlsocket /run/overlab/pluto/pluto.ctl --rereadsecrets 2>&1) || { printf '%s\n' "$ipsec_out" >&2; echo "overlab: ipsec whack --rereadsecrets failed; pluto's log: /run/overlab/pluto/pluto.log" >&2; exit 1; }
  ipsec_out=$(ipsec addconn --ctlsocket /run/overlab/pluto/pluto.ctl --config /etc/ipsec.d/overlab-n1.conf overlab-n1 2>&1) || { printf '%s\n' "$ipsec_out" >&2; echo "overlab: ipsec addconn overlab-n1 failed; pluto's log: /run/overlab/pluto/pluto.log" >&2; exit 1; }
  ipsec_out=$(ipsec whack --ctlsocket /run/overlab/pluto/pluto.ctl --initiate --asynchronous --name overlab-n1 2>&1) || { printf '%s\n' "$ipsec_out" >&2; echo "overlab: ipsec whack --initiate --asynchronous --name overlab-n1 failed; pluto's log: /run/overlab/pluto/pluto.log" >&2; exit 1; }
  echo "$loaded" > /run/overlab/pluto/overlab-n1.loaded
fi
echo "overlab: up"
