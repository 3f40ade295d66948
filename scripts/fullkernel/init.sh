#!/bin/sh
# shellcheck shell=dash
# /init of the Overlab full-kernel initramfs (runs under busybox sh as PID 1 in the guest).
# Built into the initramfs by scripts/fullkernel/prepare.sh; booted by scripts/fullkernel/run.sh.
#
# 1. loads the modules listed in /modules.list (virtio_pci, 9p, 9pnet_virtio, overlay + deps)
# 2. mounts the host's root (9p tag "hostroot", read-only), stacks an overlayfs with a tmpfs
#    upper on it at /newroot, mounts the kernel's modules (9p tag "mods") at
#    /lib/modules/<ver> and the job directory (9p tag "ovljob", read-write) at /run/overlab-job
# 3. mounts proc, sys, dev (+pts, shm, /dev/fd links), a fresh /run, cgroup2 inside /newroot
# 4. makes the kernel's module auto-loading run the guest root's own modprobe (chrooted)
# 5. brings lo up, moves /newroot to / (a chroot alone would leave mount namespaces rooted in
#    the initramfs), chroots into it and runs /run/overlab-job/guest-run.sh with a clean
#    environment, then prints "@@OVERLAB-EXIT-<nonce>:<status>@@" and powers off.
# The nonce comes from the kernel command line (overlab.nonce=...).

PATH=/bin:/sbin
export PATH
R=/newroot
nonce=none

/bin/busybox mkdir -p /proc /sys /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1

debug=0
read -r cmdline </proc/cmdline
for w in $cmdline; do
  case "$w" in
    overlab.nonce=*) nonce=${w#overlab.nonce=} ;;
    overlab.debug=1) debug=1 ;;
  esac
done
# With overlab.debug=1 on the kernel command line: guest uptime at each step.
dbg() { [ "$debug" = 0 ] || { read -r up _ </proc/uptime; echo "overlab-init: $up $*"; }; }
dbg "init started"
# Raw output on the serial console: no "\n" -> "\r\n" translation.
stty -F /dev/console -opost 2>/dev/null

die() {
  echo "overlab-init: $*"
  echo "@@OVERLAB-EXIT-${nonce}:125@@"
  sync
  poweroff -f
  sleep 60
}

while read -r m; do
  [ -n "$m" ] || continue
  insmod "/lib/modules/$m" || die "insmod $m failed"
done </modules.list

dbg "modules loaded"

mount9p() { # tag dir options
  i=0
  while ! mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,$3" "$1" "$2" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -lt 50 ] || { mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144,$3" "$1" "$2"; return 1; }
    usleep 100000
  done
}

mkdir -p /mnt/lower /mnt/rw "$R"
mount9p hostroot /mnt/lower "ro,cache=loose" || die "cannot mount the host root (9p tag hostroot)"
mount -t tmpfs -o mode=0755 tmpfs /mnt/rw || die "cannot mount tmpfs"
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay "$R" \
  || die "cannot mount the overlay root"

dbg "overlay mounted"
mount -t proc proc "$R/proc" || die "cannot mount $R/proc"
mount -t sysfs sysfs "$R/sys" || die "cannot mount $R/sys"
mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup" 2>/dev/null
mount -t devtmpfs devtmpfs "$R/dev" || die "cannot mount $R/dev"
mkdir -p "$R/dev/pts" "$R/dev/shm" "$R/dev/net"
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts "$R/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
ln -sfn /proc/self/fd "$R/dev/fd"
ln -sfn /proc/self/fd/0 "$R/dev/stdin"
ln -sfn /proc/self/fd/1 "$R/dev/stdout"
ln -sfn /proc/self/fd/2 "$R/dev/stderr"
ln -sfn /proc/kcore "$R/dev/core"
# Static node: opening it makes the kernel load tun (char-major-10-200) on demand.
[ -e "$R/dev/net/tun" ] || mknod -m 0666 "$R/dev/net/tun" c 10 200

# Fresh /run (the host's pid files, sockets and netns entries must not leak in).
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$R/run" || die "cannot mount $R/run"
mkdir -p "$R/run/lock" "$R/run/sshd" "$R/run/netns" "$R/run/overlab-job"
chmod 1777 "$R/run/lock"
mount9p ovljob "$R/run/overlab-job" "cache=none" || die "cannot mount the job directory (9p tag ovljob)"

kver=$(uname -r)
moddir=/lib/modules/$kver
if [ -L "$R/lib" ]; then # usr-merged root: /lib -> usr/lib (resolve it inside $R, not here)
  l=$(readlink "$R/lib")
  case "$l" in /*) moddir=$l/modules/$kver ;; *) moddir=/$l/modules/$kver ;; esac
fi
mkdir -p "$R$moddir" || die "cannot create $moddir"
mount9p mods "$R$moddir" "ro,cache=loose" || die "cannot mount the kernel modules (9p tag mods)"

# Module auto-loading: the kernel runs this (in the initramfs root), it hands over to the
# guest root's own modprobe (kmod), which sees /lib/modules/<ver> from the mods share.
printf '#!/bin/sh\nexec /bin/busybox chroot /mnt/root /sbin/modprobe "$@"\n' >/sbin/overlab-modprobe
chmod 0755 /sbin/overlab-modprobe
echo /sbin/overlab-modprobe >/proc/sys/kernel/modprobe

dbg "root ready"
hostname overlab-fullkernel
ip link set lo up

# The overlay becomes the root of the mount namespace, as switch_root makes it (but PID 1 stays
# to report the exit status): tools that enter a mount namespace (nsenter, `ip netns exec`, the
# embedded lab's per-host namespaces) resolve "/" from the namespace's root mount, which a plain
# chroot would leave at the initramfs. /mnt/root keeps a view of it for the modprobe helper,
# which runs from the initramfs root.
mkdir -p /mnt/root
mount -o rbind "$R" /mnt/root || die "cannot bind the overlay root"
cd "$R" || die "cannot enter the overlay root"
mount --move . / || die "cannot move the overlay root to /"

echo "@@OVERLAB-BEGIN-${nonce}@@"
env -i /bin/busybox chroot . /bin/bash /run/overlab-job/guest-run.sh </dev/null >/dev/console 2>&1
rc=$?
dbg "command ended"
echo "$rc" >run/overlab-job/rc 2>/dev/null
sync
echo "@@OVERLAB-EXIT-${nonce}:${rc}@@"
poweroff -f
sleep 60
