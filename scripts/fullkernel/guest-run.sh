#!/bin/bash
# Runs inside the full-kernel guest, chrooted into the overlay of the host's root, started by
# the initramfs' /init with an empty environment. run.sh copies it into the job directory,
# which the guest sees at /run/overlab-job. The job files are NUL-separated so that no
# argument is ever re-parsed by a shell:
#   argv    the command and its arguments
#   env     NAME=VALUE entries (--env), applied after the defaults below
#   shares  pairs "tag path": 9p shares mounted read-write at the same path as on the host
#   cwd     the working directory
# Exit status: the command's own; 125 when the job cannot be set up.
job=/run/overlab-job
umask 022
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8
export OVERLAB_FULLKERNEL=1

fail() { echo "overlab-fullkernel: $*" >&2; exit 125; }

while IFS= read -r -d '' kv; do
  export "${kv?}" || fail "bad --env entry: $kv"
done <"$job/env"

while IFS= read -r -d '' tag && IFS= read -r -d '' dir; do
  mkdir -p -- "$dir" || fail "cannot create mount point $dir"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none "$tag" "$dir" \
    || fail "cannot mount share $dir (9p tag $tag)"
done <"$job/shares"

IFS= read -r -d '' cwd <"$job/cwd"
cd -- "$cwd" || fail "cannot change directory to $cwd"

mapfile -d '' -t argv <"$job/argv"
[ "${#argv[@]}" -gt 0 ] || fail "no command given"
exec "${argv[@]}" </dev/null
