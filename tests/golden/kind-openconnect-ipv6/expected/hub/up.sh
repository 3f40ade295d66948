#!/bin/sh
# Overlab up.sh for host hub of project "golden openconnect over IPv6".
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
ol_install 0644 /etc/ocserv/oloc0/ocserv.conf
ol_install 0644 /etc/ocserv/oloc0/server.crt
ol_install 0600 /etc/ocserv/oloc0/server.key
ol_install 0600 /etc/ocserv/oloc0/passwd
ol_install 0644 /etc/ocserv/oloc0/users/spoke-1
ol_install 0644 /etc/ocserv/oloc0/users/spoke-2
# This host forwards between its LAN and the tunnels.
[ -f "$RUN/net.ipv4.ip_forward.orig" ] || { read -r v < /proc/sys/net/ipv4/ip_forward && echo "$v" > "$RUN/net.ipv4.ip_forward.orig"; }
echo 1 > /proc/sys/net/ipv4/ip_forward
# n0: OpenConnect (ocserv), 198.19.0.1/29 on oloc0, MTU 1414
ol_mkdir /var/log/overlab
ol_running /run/overlab/oloc0.pid ocserv-main || { ocserv --foreground --config /etc/ocserv/oloc0/ocserv.conf </dev/null >/var/log/overlab/ocserv-oloc0.log 2>&1 & echo $! > /run/overlab/oloc0.pid; }
ol_started /run/overlab/oloc0.pid ocserv-main || { echo 'overlab: ocserv for oloc0 exited; see /var/log/overlab/ocserv-oloc0.log' >&2; exit 1; }
echo "overlab: up"
