#!/usr/bin/env bash
# Proves a tunnel kind on the running kernel, end to end, on the embedded lab:
#   overlab new → lab up → overlab deploy over SSH (twice: the second must change nothing)
#   → per link: a don't-fragment ping that fills the planned MTU crosses, one byte more does not,
#     and the sender fragmented nothing (so the outer packets really fit the underlay)
#   → LAN-to-LAN pings between sites (through the hub where the shape says so)
#   → a TCP transfer (iperf3) across each link
#   → overlab teardown, and every host is as it was before (links, addresses, routes, xfrm,
#     nftables/iptables, processes, files written under /etc, /var/lib, /var/log, /run).
# Usage: tests/tunnels/pair.sh KIND [--template T] [--hosts N] [--mtu M] [--option k=v]... [--keep]
# Prints one line per check and `N passed, M failed` last; exits non-zero on any failure.
# Needs root. Kinds this kernel lacks: run it through scripts/fullkernel/run.sh.
set -uo pipefail
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
OVERLAB=(node "$ROOT/bin/overlab.mjs")

kind=${1:?usage: pair.sh KIND [--template T] [--hosts N] [--mtu M] [--option k=v]... [--keep]}
shift
template=site-to-site hosts=2 mtu=1500 keep=0
options=()
while [ $# -gt 0 ]; do
  case $1 in
    --template) template=$2; shift 2 ;;
    --hosts) hosts=$2; shift 2 ;;
    --mtu) mtu=$2; shift 2 ;;
    --option) options+=("$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "pair.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }

dir=$(mktemp -d /tmp/olpair.XXXXXX)
cleanup() {
  if [ "$keep" = 0 ]; then "${OVERLAB[@]}" lab down "$dir" >/dev/null 2>&1; rm -rf "$dir"; else echo "kept $dir"; fi
}
trap cleanup EXIT

if ! "${OVERLAB[@]}" new "$dir" --template "$template" --hosts "$hosts" --kind "$kind" --mtu "$mtu" >/dev/null; then
  bad "create a $template project of $kind"; echo "$passed passed, $failed failed"; exit 1
fi
if [ "${#options[@]}" -gt 0 ]; then
  # Kind options go on every link: `options: {}` becomes `options: {k: v, ...}`.
  opts=$(printf '%s, ' "${options[@]}" | sed 's/=/: /g; s/, $//')
  sed -i "s/^    options: {}$/    options: { $opts }/" "$dir/overlab.yaml"
fi
"${OVERLAB[@]}" plan "$dir" --json > "$dir/plan.json" || { bad "plan"; echo "$passed passed, $failed failed"; exit 1; }
"${OVERLAB[@]}" lab up "$dir" >/dev/null || { bad "lab up"; echo "$passed passed, $failed failed"; exit 1; }
"${OVERLAB[@]}" render "$dir" --out "$dir/out" >/dev/null || { bad "render"; echo "$passed passed, $failed failed"; exit 1; }

mapfile -t HOSTS < <(node -e 'for (const h of JSON.parse(require("fs").readFileSync(process.argv[1])).hosts) console.log(h.name)' "$dir/plan.json")
# id, a, b, mtu, address of a, address of b (no prefix length)
mapfile -t LINKS < <(node -e 'for (const l of JSON.parse(require("fs").readFileSync(process.argv[1])).links) console.log([l.id, l.a, l.b, l.mtu, l.addresses.a.split("/")[0], l.addresses.b.split("/")[0]].join(" "))' "$dir/plan.json")
labid=$(node -e 'const c=require("crypto");console.log(c.createHash("sha256").update(require("path").resolve(process.argv[1])).digest("hex").slice(0,6))' "$dir")
# What `overlab lab exec` does, without starting Node for each of the many calls below.
in_host() { local h=$1; shift; nsenter --net="/run/netns/olab-$labid-$h" --mount="/var/tmp/overlab-lab/$labid/$h/mnt" -- "$@"; }

# What a host looks like, for before/after comparisons. Fallback devices that loading a tunnel
# module creates in every namespace (gre0, tunl0, …) are the kernel's, not residue.
# shellcheck disable=SC2016 # the scripts run inside the host: their $ are for that shell
snapshot() {
  local h=$1 state=/var/tmp/overlab-lab/$labid/$1
  in_host "$h" sh -c '
    ip -br link | awk "{print \$1}" | sed "s/@.*//" | grep -Ev "^(gre0|gretap0|erspan0|tunl0|ip_vti0|ip6_vti0|ip6tnl0|ip6gre0|sit0)$" | sort
    ip -br addr | grep -Ev "^(gre0|gretap0|erspan0|tunl0|ip_vti0|ip6_vti0|ip6tnl0|ip6gre0|sit0)[ @]" | sed "s/ fe80::[^ ]*//" | sort
    ip route show table all | grep -v "fe80::" | sort
    # SAs by identity (addresses, SPI, mode): their counters and replay state move with traffic.
    # One line per SA and per policy, sorted: the order of the kernel lists is not state.
    ip xfrm state | grep -E "^src |^[[:space:]]+proto " | awk "/^src /{if (r) print r; r=\$0; next} {r=r \" |\" \$0} END{if (r) print r}" | sort
    ip xfrm policy | awk "/^src /{if (r) print r; r=\$0; next} {r=r \" |\" \$0} END{if (r) print r}" | sort
    nft list ruleset 2>/dev/null
    iptables-save 2>/dev/null | grep -v "^#" | sed "s/\[[0-9]*:[0-9]*\]//"
    ip fou show 2>/dev/null
    find /run -mindepth 1 2>/dev/null | grep -v "^/run/sshd" | sort
  '
  # The processes in the host's network namespace (but its sshd), read without a fork per
  # process: forks are what make this slow under the full-kernel VM's emulation.
  local p c
  for p in $(ip netns pids "olab-$labid-$h"); do
    read -r c < "/proc/$p/comm" 2>/dev/null || continue
    [ "$c" = sshd ] || echo "process $c"
  done | sort
  # Files and whiteouts only: the overlay copies up a machine directory (/etc/openvpn) as soon as
  # something is written inside it, and keeps the empty copy after the file is gone.
  find "$state/etc.upper" "$state/varlib.upper" "$state/varlog.upper" -mindepth 1 ! -type d 2>/dev/null | sed "s#$state/##" | sort
  # …but a directory the machine does not have is the host's own making, and must be gone.
  local up lower d
  for up in etc:/etc varlib:/var/lib varlog:/var/log; do
    lower=${up#*:}
    find "$state/${up%%:*}.upper" -mindepth 1 -type d 2>/dev/null | while read -r d; do
      [ -e "$lower${d#"$state/${up%%:*}.upper"}" ] || echo "new directory $lower${d#"$state/${up%%:*}.upper"}"
    done
  done | sort
}

mkdir -p "$dir/snap"
for h in "${HOSTS[@]}"; do snapshot "$h" > "$dir/snap/$h.before"; done

deploy_all() { "${OVERLAB[@]}" deploy "$dir" --json > "$dir/snap/deploy.$1.json" 2> "$dir/snap/deploy.$1.log"; }
if deploy_all 1; then ok "deploy to ${#HOSTS[@]} hosts over SSH"; else bad "deploy to ${#HOSTS[@]} hosts over SSH:"; grep -E "FAIL|error" "$dir/snap/deploy.1.log" "$dir/snap/deploy.1.json" | head -20 | sed 's/^/  /'; fi
for h in "${HOSTS[@]}"; do snapshot "$h" > "$dir/snap/$h.up1"; done
if deploy_all 2; then ok "deploy again"; else bad "deploy again:"; grep -E "FAIL|error" "$dir/snap/deploy.2.log" "$dir/snap/deploy.2.json" | head -20 | sed 's/^/  /'; fi
check "the second deploy reports every host unchanged" node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));process.exit(r.hosts.every(h=>h.status==="unchanged")?0:1)' "$dir/snap/deploy.2.json"
for h in "${HOSTS[@]}"; do
  if diff -u "$dir/snap/$h.up1" <(snapshot "$h") > "$dir/snap/$h.idem.diff"; then ok "$h: second deploy changed nothing"; else bad "$h: second deploy changed something:"; cat "$dir/snap/$h.idem.diff"; fi
done

# shellcheck disable=SC2016
frag() { in_host "$1" awk '/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "FragCreates") c = i; h = 1 } else print $c }' /proc/net/snmp; }

for line in "${LINKS[@]}"; do
  read -r id a b lmtu _ ba <<< "$line"
  # Warm-up: ARP, IKE, daemons' handshakes; up to 30 s.
  warm=0
  for _ in $(seq 1 30); do if in_host "$a" ping -c 1 -W 1 "$ba" >/dev/null 2>&1; then warm=1; break; fi; done
  if [ $warm = 1 ]; then ok "$id: $a reaches $ba"; else bad "$id: $a reaches $ba"; continue; fi
  # Path MTU settles after the first large packets on some stacks (outer UDP without DF).
  in_host "$a" ping -c 3 -i 0.2 -W 1 -s $((lmtu - 28)) "$ba" >/dev/null 2>&1
  f0=$(frag "$a")
  check "$id: DF ping of $((lmtu - 28)) bytes (fills MTU $lmtu) crosses" in_host "$a" ping -c 3 -i 0.2 -W 2 -M 'do' -s $((lmtu - 28)) "$ba"
  f1=$(frag "$a")
  if [ "$f0" = "$f1" ]; then ok "$id: the sender fragmented nothing"; else bad "$id: the sender fragmented $((f1 - f0)) packets: the outer packets do not fit the underlay"; fi
  if in_host "$a" ping -c 1 -W 2 -M 'do' -s $((lmtu - 27)) "$ba" >/dev/null 2>&1; then bad "$id: DF ping one byte over MTU $lmtu crossed"; else ok "$id: DF ping one byte over MTU $lmtu does not cross"; fi
  in_host "$b" iperf3 -s -1 -B "$ba" -D --pidfile "/run/olpair-iperf.pid" >/dev/null 2>&1
  sleep 0.3
  check "$id: TCP transfer $a → $b (iperf3, 1 s)" in_host "$a" iperf3 -c "$ba" -t 1 -J
  # shellcheck disable=SC2016
  in_host "$b" sh -c 'p=$(cat /run/olpair-iperf.pid 2>/dev/null) && kill "$p" 2>/dev/null; rm -f /run/olpair-iperf.pid'
done

# LAN to LAN across the overlay (a spoke reaches another spoke's LAN through the hub): from the
# first host with a LAN to each other one, where the plan routes it (kinds that join the hosts
# only, like ipsec-transport, route no LAN: the plan warns, and there is nothing to prove).
# shellcheck disable=SC2016
mapfile -t LANPAIRS < <(node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1]));
  const gw = (lan) => { const q = lan.split("/")[0].split(".").map(Number); q[3] += 1; return q.join("."); };
  const withLan = p.hosts.filter((h) => h.lan);
  const routes = p.networks.flatMap((n) => n.routes);
  const pairs = withLan.slice(1).map((h) => [withLan[0], h]);
  // …and the last to the second: spoke to spoke, through the hub in a hub-spoke.
  if (withLan.length >= 3) pairs.push([withLan[withLan.length - 1], withLan[1]]);
  for (const [a, b] of pairs) {
    const routed = routes.some((r) => r.host === a.name && r.dst === b.lan) ? 1 : 0;
    console.log([a.name, gw(a.lan), b.name, gw(b.lan), routed].join(" "));
  }' "$dir/plan.json")
for entry in "${LANPAIRS[@]}"; do
  read -r h0 g0 h1 g1 routed <<< "$entry"
  if [ "$routed" = 1 ]; then
    check "LAN $h0 ($g0) → LAN $h1 ($g1)" in_host "$h0" ping -c 2 -i 0.2 -W 2 -I "$g0" "$g1"
  else
    echo "--   LAN $h0 → LAN $h1: not routed by the plan (the kind joins the hosts only)"
  fi
done

if "${OVERLAB[@]}" teardown "$dir" > "$dir/snap/teardown.log" 2>&1; then ok "teardown"; else bad "teardown:"; tail -5 "$dir/snap/teardown.log"; fi
for h in "${HOSTS[@]}"; do
  if diff -u "$dir/snap/$h.before" <(snapshot "$h") > "$dir/snap/$h.diff"; then ok "$h: teardown left nothing behind"; else bad "$h: teardown left residue:"; cat "$dir/snap/$h.diff"; fi
done
check "down.sh of the rendered bundle succeeds when nothing is there" in_host "${HOSTS[0]}" sh "$dir/out/${HOSTS[0]}/down.sh"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
