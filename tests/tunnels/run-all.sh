#!/usr/bin/env bash
# Proves every kind of the catalogue end to end (tests/tunnels/prove.ts: deploy over SSH,
# DF-ping MTU proof, no fragmentation, TCP, LAN-to-LAN, clean teardown):
#   - every kind site-to-site at underlay MTU 1500, and 9000 where --mtu9000 is given;
#   - every kind in a 3-host hub-spoke over an IPv6 underlay (KIND:hub-spoke:3:1500:underlay=6:
#     spoke LAN to spoke LAN through the hub, IPv4 inside), so every kind is proven once in a
#     hub-spoke and once over IPv6;
#   - a 4-host mesh of vxlan, gre, nebula and tinc (the IPv4 hub-spoke of 4 of the kinds the lab issue named gave its place
#     to the IPv6 hub-spoke of 3, and their other meshes are in `npm run proof`: the VM stage's time);
# on this machine's kernel where `overlab kinds` says it can carry the kind, and inside the
# full-kernel VM (scripts/fullkernel/run.sh, one boot for all of them) otherwise.
# Usage: tests/tunnels/run-all.sh [--mtu9000] [--only k1,k2] [--cases-file FILE] [--no-vm | --vm-only] [--jobs N] [--vm-timeout S] [--vm-campaign k1,k2] [--vm-conditions k1,k2] [--list]
# --cases-file: run exactly the cases listed in FILE (one CASE a line) instead of the default
# ones, each where its kind runs (this kernel or the VM): how `npm run proof` runs its matrix.
# --list: print the cases (`here CASE` / `vm CASE`, one a line) and run nothing.
# --vm-campaign: after the VM's cases, in the same boot, a short measurement campaign of those
# kinds (prove.ts --campaign): the measurement path proven on Debian's kernel.
# --vm-conditions: last in the same boot, issue 21's link-conditions proof of those kinds (prove.ts
# --conditions: 20 ms each way, 1 % loss, 50 Mbit/s; RTT, loss, rate, TCP, teardown): needs netem.
# A CASE is KIND[:template:hosts:mtu[:option=value[,option=value]]]; the option underlay=6 is the
# case's (an IPv6 underlay, the lab's own ULA range), the others the kind's (see prove.ts' header).
# Prints one line per case (`ok   CASE (N s; …)` / `FAIL CASE (N s; …)`) and
# `N passed, M failed` last. Cases run N at a time (default 2: the VM has 2 CPUs, and each case
# waits on SSH, IKE and daemons much of its time); every case has a lab of its own.
set -uo pipefail
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
cd "$ROOT" || exit 1

# The 4-host meshes npm test proves: one point-to-point kernel kind of each kernel (vxlan here,
# gre in the VM) and the two multipoint daemons; WireGuard's and ipsec-tunnel's meshes (each ~150 s
# in the VM) are in `npm run proof`, to keep npm test under 60 minutes with every kind's IPv6 case.
SHAPE_KINDS=(vxlan gre nebula tinc)
# Kinds whose IPv6 case is a site-to-site, each with the reason (a known bug of the shape, the
# same over IPv4): ipsec-xfrmi's hub carries only its first XFRM connection (the second link's
# verify gets no answer, Libreswan 4.10, kernel 6.1; issue 23).
IPV6_SITE_TO_SITE=(ipsec-xfrmi)
# Kinds with no IPv6 case yet, each with the reason (README, known limits): openconnect deploys
# over IPv6 and answers small pings, but from a client nothing of 1378 bytes or more crosses
# (DF, or not; the client logs "Detected MTU of 1402 bytes (was 1414)"; ocserv 1.1.6, openconnect 9.01).
IPV6_NOT_YET=(openconnect)
passed=0 failed=0
failures=()
PROVE=(node scripts/run-ts.mjs tests/tunnels/prove.ts)

# Adds the counts of a prove.ts run (its output in $1) to ours.
tally() {
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
  if [ -z "$line" ]; then
    failed=$((failed + 1)); failures+=("$2"); return
  fi
  read -r p _ f _ <<< "$line"
  passed=$((passed + p)); failed=$((failed + f))
  mapfile -t -O "${#failures[@]}" failures < <(grep -E '^FAIL ' "$1" | awk '{print $2}')
}

mtu9000=0 only="" cases_file="" vm=1 host=1 jobs=2 vm_timeout=3600 vm_campaign=() vm_conditions=() list=0
while [ $# -gt 0 ]; do
  case $1 in
    --mtu9000) mtu9000=1; shift ;;
    --only) only=$2; shift 2 ;;
    --cases-file) cases_file=$2; shift 2 ;;
    --vm-timeout) vm_timeout=$2; shift 2 ;;
    --no-vm) vm=0; shift ;;
    --vm-only) host=0; shift ;;
    --jobs) jobs=$2; shift 2 ;;
    --vm-campaign) vm_campaign=(--campaign "$2"); shift 2 ;;
    --vm-conditions) vm_conditions=(--conditions "$2"); shift 2 ;;
    --list) list=1; shift ;;
    *) echo "run-all.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

# kind → yes|no on this kernel
mapfile -t ROWS < <(node bin/overlab.mjs kinds --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const k of JSON.parse(s))console.log(k.id+" "+(k.here??"unknown")+" "+k.shapes.join(","))})')
host_cases=() vm_cases=()
for row in "${ROWS[@]}"; do
  read -r kind here shapes <<< "$row"
  if [ -n "$only" ] && ! [[ ",$only," == *",$kind,"* ]]; then continue; fi
  if [ -n "$cases_file" ]; then
    # The listed cases of this kind, and nothing else.
    mapfile -t cases < <(grep -E "^${kind}(:|\$)" "$cases_file")
    [ "${#cases[@]}" -eq 0 ] && continue
  else
  cases=("$kind" )
  [ "$mtu9000" = 1 ] && cases+=("$kind:site-to-site:2:9000")
  for s in "${SHAPE_KINDS[@]}"; do
    if [ "$s" = "$kind" ]; then
      [[ ",$shapes," == *",mesh,"* ]] && cases+=("$kind:mesh:4:1500")
    fi
  done
  if [[ " ${IPV6_NOT_YET[*]} " == *" $kind "* ]]; then :
  elif [[ " ${IPV6_SITE_TO_SITE[*]} " == *" $kind "* ]]; then cases+=("$kind:site-to-site:2:1500:underlay=6")
  elif [[ ",$shapes," == *",hub-spoke,"* ]]; then cases+=("$kind:hub-spoke:3:1500:underlay=6"); fi
  fi
  if [ "$here" = yes ]; then host_cases+=("${cases[@]}"); else vm_cases+=("${cases[@]}"); fi
  # WireGuard also runs in userspace (wireguard-go) on kernels without the module.
  if [ -z "$cases_file" ] && [ "$kind" = wireguard ] && [ "$here" != yes ]; then host_cases+=("wireguard:site-to-site:2:1500:implementation=go" "wireguard:hub-spoke:3:1500:underlay=6,implementation=go"); fi
done

if [ "$list" = 1 ]; then
  printf 'here %s\n' "${host_cases[@]}"
  printf 'vm %s\n' "${vm_cases[@]}"
  exit 0
fi

if [ "$host" = 1 ] && [ "${#host_cases[@]}" -gt 0 ]; then
  echo "== on this kernel: ${#host_cases[@]} cases"
  out=$(mktemp /tmp/olhost.XXXXXX)
  "${PROVE[@]}" --jobs "$jobs" "${host_cases[@]}" | tee "$out"
  tally "$out" "the cases on this kernel"
  rm -f "$out"
else
  echo "== skipped (--vm-only): ${#host_cases[@]} cases on this kernel"
fi

if [ "${#vm_cases[@]}" -gt 0 ] || [ "${#vm_conditions[@]}" -gt 0 ]; then
  if [ "$vm" = 0 ]; then
    echo "== skipped (--no-vm): ${vm_cases[*]}"
  else
    echo "== in the full-kernel VM: ${#vm_cases[@]} cases${vm_conditions[1]:+, then the conditions proof of ${vm_conditions[1]}}"
    out=$(mktemp /tmp/olvm.XXXXXX)
    bash scripts/fullkernel/run.sh --timeout "$vm_timeout" --mem 3072 -- "${PROVE[@]}" --jobs "$jobs" "${vm_campaign[@]}" "${vm_conditions[@]}" "${vm_cases[@]}" | tee "$out"
    tally "$out" "the full-kernel VM run"
    rm -f "$out"
  fi
fi

[ "$failed" = 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
