#!/usr/bin/env bash
# Proves one tunnel kind end to end on the embedded lab of the running kernel (what
# tests/tunnels/prove.ts does for each case: deploy over SSH twice, DF-ping MTU proof, no
# fragmentation, TCP, LAN to LAN, clean teardown). Kept for hand use:
#   tests/tunnels/pair.sh KIND [--template T] [--hosts N] [--mtu M] [--option k=v]... [--keep]
# Needs root. Kinds this kernel lacks: run it through scripts/fullkernel/run.sh.
set -euo pipefail
ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
kind=${1:?usage: pair.sh KIND [--template T] [--hosts N] [--mtu M] [--option k=v]... [--keep]}
shift
template=site-to-site hosts=2 mtu=1500 keep=()
options=()
while [ $# -gt 0 ]; do
  case $1 in
    --template) template=$2; shift 2 ;;
    --hosts) hosts=$2; shift 2 ;;
    --mtu) mtu=$2; shift 2 ;;
    --option) options+=("$2"); shift 2 ;;
    --keep) keep=(--keep); shift ;;
    *) echo "pair.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
spec="$kind:$template:$hosts:$mtu"
if [ "${#options[@]}" -gt 0 ]; then spec+=":$(IFS=,; echo "${options[*]}")"; fi
cd "$ROOT"
exec node scripts/run-ts.mjs tests/tunnels/prove.ts "${keep[@]}" "$spec"
