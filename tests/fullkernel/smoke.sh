#!/usr/bin/env bash
# Smoke test of the full-kernel runner (scripts/fullkernel/run.sh).
#
# On the host: exit-status propagation (false => 1, exit 7 => 7), literal arguments (spaces,
# $(...), backquotes, globs, empty) and byte-exact output streaming, the timeout (=> 124).
# In one guest boot (this script re-run with --guest): the job's argv/cwd/env arrive intact;
# the tunnel modules load; two network namespaces joined by veth carry a GRE, a GENEVE and a
# WireGuard tunnel (modules auto-loaded by `ip link add`), ping crosses each, iperf3 crosses
# GRE; node, iperf3 and sshd (the host's binaries) run; results come back through --share.
# Addresses: 198.18.0.0/15 only, and only inside namespaces created in the guest.
#
# Usage: tests/fullkernel/smoke.sh        Last line: "N passed, M failed"; exit 1 on failure.
# Takes about 30-60 s (5 boots under software emulation), plus any wait for other VMs (lock).
set -uo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../.." && pwd)
RUN=$ROOT/scripts/fullkernel/run.sh
SELF=$HERE/$(basename -- "${BASH_SOURCE[0]}")

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { # description command...
  local d=$1; shift
  local out
  if out=$("$@" 2>&1); then ok "$d"; else nok "$d"; printf '%s\n' "$out" | tail -n 15 | sed 's/^/    /'; fi
}

# The arguments the guest must receive literally (unexpanded on purpose).
ARG1='two  words'
# shellcheck disable=SC2016
ARG2='$(touch /tmp/overlab-smoke-pwned) `id` $HOME'
ARG3='*'
ARG4=''
ARG5="it's \"quoted\"; echo no"
# shellcheck disable=SC2016
ENVVAL='x $(y) "z"'

# =============================================================================================
# Guest side: runs inside the VM, started by the host side below.
# =============================================================================================
guest() {
  local share=$1; shift
  local A=ovlsmk-a B=ovlsmk-b

  # --- the runner's contract -----------------------------------------------------------------
  if [ "$#" -eq 5 ] && [ "$1" = "$ARG1" ] && [ "$2" = "$ARG2" ] && [ "$3" = "$ARG3" ] \
    && [ "$4" = "$ARG4" ] && [ "$5" = "$ARG5" ]; then
    ok "guest: $# arguments arrived literally"
  else
    nok "guest: arguments mangled: $# args: $(printf '[%s] ' "$@")"
  fi
  if [ ! -e /tmp/overlab-smoke-pwned ]; then ok "guest: no \$(...) was executed"; else nok "guest: \$(...) was executed"; fi
  if [ "$PWD" = "$share" ]; then ok "guest: cwd is $share"; else nok "guest: cwd is $PWD, wanted $share"; fi
  if [ "${OVL_SMOKE_ENV-}" = "$ENVVAL" ]; then ok "guest: --env value intact"; else nok "guest: --env gave '${OVL_SMOKE_ENV-}'"; fi
  if [ "$HOME" = /root ] && [[ ":$PATH:" == *:/usr/sbin:* ]]; then ok "guest: HOME and PATH"; else nok "guest: HOME=$HOME PATH=$PATH"; fi
  if [ "$(cat <(echo procsub))" = procsub ]; then ok "guest: /dev/fd (process substitution)"; else nok "guest: /dev/fd"; fi
  # shellcheck disable=SC2016
  check "guest: kernel is Debian's $(uname -r)" bash -c '[[ "$(uname -r)" == *-amd64 ]]'

  # --- modules and tools ---------------------------------------------------------------------
  check "guest: modprobe -a ip_gre geneve fou wireguard macsec esp4 xfrm_interface ip_vti sch_netem" \
    modprobe -a ip_gre geneve fou wireguard macsec esp4 xfrm_interface ip_vti sch_netem
  check "guest: node runs" node -e 'process.exit(require("os").release().endsWith("-amd64") ? 0 : 1)'
  check "guest: iperf3 runs" iperf3 --version
  local key=/tmp/ovlsmk-hostkey
  check "guest: sshd config test" bash -c "ssh-keygen -q -t ed25519 -N '' -f $key && /usr/sbin/sshd -t -f /dev/null -h $key"

  # --- two namespaces joined by veth ---------------------------------------------------------
  check "guest: ip netns add" bash -c "ip netns add $A && ip netns add $B"
  check "guest: veth underlay 198.18.0.1 <-> 198.18.0.2" bash -c "
    ip link add ua netns $A type veth peer name ub netns $B &&
    ip -n $A addr add 198.18.0.1/24 dev ua && ip -n $B addr add 198.18.0.2/24 dev ub &&
    ip -n $A link set ua up && ip -n $B link set ub up &&
    ip -n $A link set lo up && ip -n $B link set lo up &&
    ip netns exec $A ping -c 1 -W 5 198.18.0.2"

  # --- GRE (ip_gre auto-loaded by ip link add) ------------------------------------------------
  check "guest: GRE tunnel up" bash -c "
    ip -n $A link add gre1 type gre local 198.18.0.1 remote 198.18.0.2 ttl 64 &&
    ip -n $B link add gre1 type gre local 198.18.0.2 remote 198.18.0.1 ttl 64 &&
    ip -n $A addr add 198.19.1.1/30 dev gre1 && ip -n $B addr add 198.19.1.2/30 dev gre1 &&
    ip -n $A link set gre1 up && ip -n $B link set gre1 up"
  check "guest: ping across GRE" ip netns exec $A ping -c 2 -W 5 198.19.1.2

  # --- GENEVE ---------------------------------------------------------------------------------
  check "guest: GENEVE tunnel up" bash -c "
    ip -n $A link add gnv1 type geneve id 42 remote 198.18.0.2 &&
    ip -n $B link add gnv1 type geneve id 42 remote 198.18.0.1 &&
    ip -n $A addr add 198.19.2.1/24 dev gnv1 && ip -n $B addr add 198.19.2.2/24 dev gnv1 &&
    ip -n $A link set gnv1 up && ip -n $B link set gnv1 up"
  check "guest: ping across GENEVE" ip netns exec $A ping -c 2 -W 5 198.19.2.2

  # --- WireGuard (kernel module) ------------------------------------------------------------------
  local ka=/tmp/ovlsmk-wg-a kb=/tmp/ovlsmk-wg-b
  check "guest: WireGuard tunnel up" bash -c "
    umask 077 && wg genkey >$ka && wg genkey >$kb &&
    ip -n $A link add wg1 type wireguard && ip -n $B link add wg1 type wireguard &&
    ip netns exec $A wg set wg1 private-key $ka listen-port 51820 \
      peer \$(wg pubkey <$kb) allowed-ips 198.19.3.2/32 endpoint 198.18.0.2:51820 &&
    ip netns exec $B wg set wg1 private-key $kb listen-port 51820 \
      peer \$(wg pubkey <$ka) allowed-ips 198.19.3.1/32 endpoint 198.18.0.1:51820 &&
    ip -n $A addr add 198.19.3.1/24 dev wg1 && ip -n $B addr add 198.19.3.2/24 dev wg1 &&
    ip -n $A link set wg1 up && ip -n $B link set wg1 up"
  check "guest: ping across WireGuard" ip netns exec $A ping -c 2 -W 5 198.19.3.2
  check "guest: WireGuard handshake recorded" bash -c "ip netns exec $A wg show wg1 latest-handshakes | awk '\$2 > 0 { f = 1 } END { exit !f }'"

  # --- iperf3 across GRE ----------------------------------------------------------------------
  check "guest: iperf3 across GRE" bash -c "
    ip netns exec $B iperf3 -s -1 -B 198.19.1.2 -p 5201 >/tmp/ovlsmk-iperf-s.log 2>&1 &
    for _ in \$(seq 50); do ip netns exec $B ss -ltn | grep -q 198.19.1.2:5201 && break; sleep 0.2; done
    ip netns exec $A iperf3 -c 198.19.1.2 -p 5201 -t 1 -f m >/tmp/ovlsmk-iperf-c.log 2>&1"
  grep -h receiver /tmp/ovlsmk-iperf-c.log | sed 's/^/    (emulated CPU) /'

  # --- results back to the host through --share ---------------------------------------------------
  echo "$pass $fail" >"$share/guest.counts"
  echo "guest: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}

if [ "${1:-}" = --guest ]; then
  shift
  guest "$@"
  exit
fi

# =============================================================================================
# Host side.
# =============================================================================================
[ -x "$RUN" ] || { echo "missing $RUN"; echo "0 passed, 1 failed"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/overlab-smoke.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

echo "# preparing the kernel (cached after the first time)"
check "prepare.sh" "$ROOT/scripts/fullkernel/prepare.sh"

# Hold the machine's one-VM lock across all the boots below (run.sh --no-lock), rather than
# queueing again for each of them.
LOCK=${OVERLAB_CACHE:-$HOME/.cache/overlab}/fullkernel/.vm.lock
exec 9>"$LOCK"
if ! flock -n 9; then
  echo "# waiting for another full-kernel VM to finish"
  flock 9
fi
RUN_NL=("$RUN" --no-lock)

"${RUN_NL[@]}" -- false >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 1 ]; then ok "run.sh -- false => 1"; else nok "run.sh -- false => $rc"; fi

"${RUN_NL[@]}" -- sh -c 'exit 7' >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 7 ]; then ok "run.sh -- sh -c 'exit 7' => 7"; else nok "run.sh -- sh -c 'exit 7' => $rc"; fi

# Byte-exact streaming of literal arguments, including a last line without a newline.
"${RUN_NL[@]}" -- printf '[%s]\n%s' "$ARG1" "$ARG2" "$ARG3" "$ARG4" "$ARG5" 'no newline' >"$tmp/printf.out" 2>"$tmp/printf.err"
rc=$?
# (printf reuses its format: 6 arguments give 3 rounds of "[a]\nb"; the host builds the same)
expected=$(printf '[%s]\n%s' "$ARG1" "$ARG2" "$ARG3" "$ARG4" "$ARG5" 'no newline')
if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/printf.out"; echo .)" = "$expected." ]; then
  ok "arguments with spaces, \$(...), quotes, globs, empty: literal and byte-exact output"
else
  nok "literal arguments (rc $rc)"
  diff <(echo "$expected") "$tmp/printf.out" | head -n 10 | sed 's/^/    /'
  sed 's/^/    /' "$tmp/printf.err" | tail -n 5
fi

# (--verbose reports the VM's own lifetime: waiting for another VM's lock does not count)
"${RUN_NL[@]}" --verbose --timeout 2 -- sleep 600 >/dev/null 2>"$tmp/timeout.err"
rc=$?
took=$(sed -n 's/.*total \([0-9]*\) ms.*/\1/p' "$tmp/timeout.err" | head -n1)
if [ "$rc" -eq 124 ] && [ -n "$took" ] && [ "$took" -lt 15000 ] && grep -q 'timed out' "$tmp/timeout.err"; then
  ok "run.sh --timeout 2 -- sleep 600 => 124, VM stopped after ${took} ms"
else
  nok "timeout: rc $rc, VM lifetime ${took:-?} ms: $(cat "$tmp/timeout.err")"
fi

mkdir -p "$tmp/share"
echo "# booting the guest for the tunnel checks"
"${RUN_NL[@]}" --timeout 300 --share "$tmp/share" --cwd "$tmp/share" --env "OVL_SMOKE_ENV=$ENVVAL" \
  -- bash "$SELF" --guest "$tmp/share" "$ARG1" "$ARG2" "$ARG3" "$ARG4" "$ARG5"
rc=$?
if [ -f "$tmp/share/guest.counts" ]; then
  read -r gp gf <"$tmp/share/guest.counts"
  pass=$((pass + gp)) fail=$((fail + gf))
  ok "--share: the guest's results came back to the host"
else
  nok "no results from the guest (run.sh exit $rc)"
fi
if [ "$rc" -eq 0 ]; then ok "guest run exit status 0"; else nok "guest run exit status $rc"; fi
if [ ! -e /tmp/overlab-smoke-pwned ]; then ok "nothing executed on the host"; else nok "/tmp/overlab-smoke-pwned exists"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
