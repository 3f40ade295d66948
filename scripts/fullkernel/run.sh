#!/usr/bin/env bash
# Runs one command inside a QEMU guest booted with Debian's stock kernel (all tunnel drivers
# as modules), whose root filesystem is the host's own root (9p, read-only) made writable by
# an overlayfs with a tmpfs upper: the guest has the same /usr/bin/node, iproute2, iperf3,
# sshd, checkout... as the host, and every write outside --share directories is discarded.
#
# Usage: scripts/fullkernel/run.sh [options] -- CMD [ARGS...]
#   --timeout S     kill the VM after S seconds, boot included (default 600) => exit 124
#   --mem MB        guest memory (default 1536; the overlay's writes live in it)
#   --smp N         guest CPUs (default 2)
#   --cwd DIR       working directory of CMD in the guest (default: the current directory)
#   --share DIR     mount host directory DIR read-write at the same path in the guest, so the
#                   guest can leave results there (repeatable)
#   --env NAME=VAL  set an environment variable for CMD (repeatable)
#   --accel MODE    tcg (default: software emulation) | kvm (needs a working /dev/kvm;
#                   on the project's machines /dev/kvm is absent or hangs nested guests)
#   --no-lock       do not wait for other full-kernel VMs (default: one VM at a time)
#   --verbose       report boot timing and the kernel version on stderr
#   --show-boot     pass the whole serial console through (boot output, markers), to debug
# CMD runs as root with PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin,
# HOME=/root, TERM=dumb, LANG=C.UTF-8, OVERLAB_FULLKERNEL=1, stdin=/dev/null; its arguments
# are passed NUL-separated through a file, never re-parsed by a shell. Its stdout and stderr
# (merged by the serial console) are streamed to this script's stdout, line by line.
# Exit status: CMD's own; 124 timeout; 125 the runner failed (prepare, QEMU, guest setup,
# no exit marker); usage errors also 125.
# Environment: OVERLAB_CACHE (see prepare.sh), OVERLAB_FULLKERNEL_ACCEL (default for --accel),
# OVERLAB_FULLKERNEL_KEEP=1 keeps the temporary job directory (its path goes to stderr),
# OVERLAB_FULLKERNEL_APPEND adds kernel parameters (e.g. "loglevel=7" with --show-boot).
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
CACHE=${OVERLAB_CACHE:-$HOME/.cache/overlab}/fullkernel
ME=fullkernel/run.sh

die() { echo "$ME: $*" >&2; exit 125; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

timeout=600 mem=1536 smp=2 cwd=$PWD accel=${OVERLAB_FULLKERNEL_ACCEL:-tcg}
lock=1 verbose=0 show_boot=0
shares=() envs=()
posint() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 needs a positive integer, got '$2'"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) [ $# -ge 2 ] || die "--timeout needs a value"; posint "$1" "$2"; timeout=$2; shift 2 ;;
    --mem) [ $# -ge 2 ] || die "--mem needs a value"; posint "$1" "$2"; mem=$2; shift 2 ;;
    --smp) [ $# -ge 2 ] || die "--smp needs a value"; posint "$1" "$2"; smp=$2; shift 2 ;;
    --cwd) [ $# -ge 2 ] || die "--cwd needs a value"; cwd=$2; shift 2 ;;
    --share) [ $# -ge 2 ] || die "--share needs a value"; shares+=("$2"); shift 2 ;;
    --env)
      [ $# -ge 2 ] || die "--env needs NAME=VALUE"
      [[ "$2" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env needs NAME=VALUE, got '$2'"
      envs+=("$2"); shift 2 ;;
    --accel) [ $# -ge 2 ] || die "--accel needs a value"; accel=$2; shift 2 ;;
    --no-lock) lock=0; shift ;;
    --verbose) verbose=1; shift ;;
    --show-boot) show_boot=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    *) die "unknown option '$1' (usage: run.sh [options] -- CMD [ARGS...]; see --help)" ;;
  esac
done
[ $# -gt 0 ] || die "no command given (usage: run.sh [options] -- CMD [ARGS...])"

[ -d "$cwd" ] || die "--cwd $cwd: no such directory"
cwd=$(cd -- "$cwd" && pwd -P)
resolved_shares=()
for d in "${shares[@]}"; do
  [ -d "$d" ] || die "--share $d: no such directory"
  resolved_shares+=("$(cd -- "$d" && pwd -P)")
done

case "$accel" in
  kvm) if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then die "--accel kvm: /dev/kvm is not usable"; fi ;;
  tcg) ;;
  *) die "--accel must be tcg or kvm" ;;
esac

# --- the kernel + initramfs ------------------------------------------------------------------
prepared=$("$HERE/prepare.sh" --quiet --print) || die "prepare.sh failed (see above)"
KVER='' KERNEL='' INITRD='' MODULES=''
while IFS='=' read -r k v; do
  case "$k" in KVER) KVER=$v ;; KERNEL) KERNEL=$v ;; INITRD) INITRD=$v ;; MODULES) MODULES=$v ;; esac
done <<<"$prepared"
if [ ! -f "$KERNEL" ] || [ ! -f "$INITRD" ] || [ ! -d "$MODULES" ]; then
  die "prepared kernel not found in $CACHE"
fi

# --- the job directory (shared read-write with the guest as 9p tag ovljob) -----------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/overlab-fk.XXXXXX")
qpid='' wpid='' apid='' lpid=''
# Stops, by PID, only what this script started: the watchdog, QEMU (TERM, then KILL after
# 5 s), the console filter; then removes the job directory.
# shellcheck disable=SC2317 # (called from traps)
cleanup() {
  if [ -n "$lpid" ]; then kill "$lpid" 2>/dev/null || true; fi
  if [ -n "$wpid" ]; then kill "$wpid" 2>/dev/null || true; fi
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
    kill -TERM "$qpid" 2>/dev/null || true
    local n=0
    while kill -0 "$qpid" 2>/dev/null && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
    kill -KILL "$qpid" 2>/dev/null || true
  fi
  if [ -n "$apid" ]; then kill "$apid" 2>/dev/null || true; wait "$apid" 2>/dev/null || true; fi
  if [ "${OVERLAB_FULLKERNEL_KEEP:-0}" = 1 ]; then echo "$ME: kept $tmp" >&2; else rm -rf -- "$tmp"; fi
}
trap cleanup EXIT
# shellcheck disable=SC2317 # (called from traps)
on_signal() {
  echo "$ME: interrupted" >&2
  exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

job=$tmp/job
mkdir -p "$job"
cp -- "$HERE/guest-run.sh" "$job/guest-run.sh"
printf '%s\0' "$@" >"$job/argv"
printf '%s\0' "$cwd" >"$job/cwd"
: >"$job/env"
[ "${#envs[@]}" -eq 0 ] || printf '%s\0' "${envs[@]}" >"$job/env"
: >"$job/shares"
qemu_shares=()
i=0
for d in "${resolved_shares[@]}"; do
  i=$((i + 1))
  printf '%s\0%s\0' "ovls$i" "$d" >>"$job/shares"
  qemu_shares+=(-fsdev "local,id=fss$i,path=${d//,/,,},security_model=none,multidevs=remap"
    -device "virtio-9p-pci,fsdev=fss$i,mount_tag=ovls$i")
done

nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
accel_args=(-accel tcg -cpu max)
[ "$accel" = tcg ] || accel_args=(-accel kvm -cpu host)
# shellcheck disable=SC2054 # (commas inside QEMU option values)
qemu_args=(
  -nographic -no-reboot -m "$mem" -smp "$smp" "${accel_args[@]}"
  -kernel "$KERNEL" -initrd "$INITRD"
  -append "console=ttyS0 quiet loglevel=1 panic=-1 ${OVERLAB_FULLKERNEL_APPEND:-} overlab.nonce=$nonce"
  -fsdev "local,id=fsroot,path=/,security_model=none,readonly=on,multidevs=remap"
  -device virtio-9p-pci,fsdev=fsroot,mount_tag=hostroot
  -fsdev "local,id=fsmods,path=${MODULES//,/,,},security_model=none,readonly=on"
  -device virtio-9p-pci,fsdev=fsmods,mount_tag=mods
  -fsdev "local,id=fsjob,path=${job//,/,,},security_model=none"
  -device virtio-9p-pci,fsdev=fsjob,mount_tag=ovljob
  "${qemu_shares[@]}"
  -nic none
)

# --- one VM at a time on this machine ----------------------------------------------------------
if [ "$lock" = 1 ]; then
  exec 9>"$CACHE/.vm.lock"
  if ! flock -n 9; then
    echo "$ME: waiting for another full-kernel VM to finish (--no-lock to skip)" >&2
    # In the background, so that INT/TERM are handled while waiting. The lock belongs to the
    # open file (fd 9, shared with the child), so it stays held after flock exits.
    flock 9 &
    lpid=$!
    wait "$lpid" || die "could not lock $CACHE/.vm.lock"
    lpid=''
  fi
fi

# --- boot, stream, wait ------------------------------------------------------------------------
mkfifo "$tmp/console"
t0=$(date +%s%N)
qemu-system-x86_64 "${qemu_args[@]}" <"/dev/null" >"$tmp/console" 2>"$tmp/qemu.err" 9>&- &
qpid=$!
vm_pid=$qpid

# Watchdog: after $timeout seconds, TERM then KILL the QEMU started above (by its PID).
(
  trap 'kill "$sp" 2>/dev/null; exit 0' TERM
  sleep "$timeout" & sp=$!
  wait "$sp"
  : >"$tmp/timedout"
  kill -TERM "$qpid" 2>/dev/null || exit 0
  sleep 5 & sp=$!
  wait "$sp"
  kill -KILL "$qpid" 2>/dev/null || true
) 9>&- &
wpid=$!

# The console filter: drop everything before the BEGIN marker (firmware, kernel), stream
# everything after it, stop at the EXIT marker (which may follow output lacking a newline).
# mawk (Debian's awk) reads a pipe in large blocks unless -W interactive: the guest's lines
# would then arrive minutes late, all at once.
AWK=(awk)
if awk -W version 2>/dev/null | head -n 1 | grep -q mawk; then AWK=(awk -W interactive); fi
# shellcheck disable=SC2016 # (the awk program's $0 is awk's)
"${AWK[@]}" -v b="@@OVERLAB-BEGIN-$nonce@@" -v e="@@OVERLAB-EXIT-$nonce:" -v show="$show_boot" \
  -v statusf="$tmp/status" -v bootf="$tmp/boot.log" -v beginf="$tmp/begin" '
  state == 2 { if (show) { print; fflush() } ; next }
  state == 0 {
    if (show) { print; fflush() } else { print >bootf }
    if (index($0, b)) { state = 1; system("date +%s%N >" beginf) }
    next
  }
  {
    i = index($0, e)
    if (i == 0) { print; fflush(); next }
    if (show) print; else printf "%s", substr($0, 1, i - 1)
    fflush()
    rest = substr($0, i + length(e))
    sub(/@@.*/, "", rest)
    print rest >statusf
    close(statusf)
    state = 2
  }' <"$tmp/console" 9>&- &
apid=$!
# (waiting on a background job keeps this shell responsive to INT/TERM)
arc=0
wait "$apid" || arc=$?
apid=''

qrc=0
wait "$qpid" || qrc=$?
qpid=
kill "$wpid" 2>/dev/null || true
wait "$wpid" 2>/dev/null || true
wpid=
t2=$(date +%s%N)

if [ "$verbose" = 1 ]; then
  if [ -f "$tmp/begin" ]; then
    t1=$(cat "$tmp/begin")
    echo "$ME: kernel $KVER, accel $accel; command started $(((t1 - t0) / 1000000)) ms after QEMU launch; total $(((t2 - t0) / 1000000)) ms" >&2
  else
    echo "$ME: kernel $KVER, accel $accel; total $(((t2 - t0) / 1000000)) ms; the command never started" >&2
  fi
fi

report_failure() {
  if [ -s "$tmp/qemu.err" ]; then
    echo "$ME: QEMU said:" >&2
    tail -n 20 "$tmp/qemu.err" | sed 's/^/  /' >&2
  fi
  if [ ! -f "$tmp/begin" ] && [ -s "$tmp/boot.log" ]; then
    echo "$ME: last console lines before the command:" >&2
    tail -n 20 "$tmp/boot.log" | tr -d '\r' | sed 's/^/  /' >&2
  fi
}

if [ -e "$tmp/timedout" ]; then
  echo "$ME: timed out after ${timeout}s (boot included); stopped the VM (QEMU pid $vm_pid)" >&2
  exit 124
fi
status=
[ -f "$tmp/status" ] && status=$(cat "$tmp/status")
if [[ ! "$status" =~ ^[0-9]+$ ]] && [ -f "$job/rc" ]; then
  status=$(tr -dc 0-9 <"$job/rc")
  # (no marker seen: normal when our stdout was closed early, e.g. "run.sh ... | head")
  if [ -n "$status" ] && [ "$arc" -eq 0 ]; then
    echo "$ME: exit marker missing on the console; using the status file" >&2
  fi
fi
if [[ "$status" =~ ^[0-9]+$ ]]; then
  exit "$status"
fi
if [ -f "$tmp/begin" ]; then
  echo "$ME: the VM ended (QEMU exit status $qrc) before the command reported an exit status" >&2
else
  echo "$ME: the VM ended (QEMU exit status $qrc) before the command started" >&2
fi
report_failure
exit 125
