#!/usr/bin/env bash
# Prepares, once, what scripts/fullkernel/run.sh boots: Debian's stock generic kernel
# (linux-image-<ver>-amd64, which has GRE, GENEVE, FOU, WireGuard, MACsec, ESP, VTI, XFRMi,
# netem... as modules) unpacked with its modules (depmod'ed), and a small busybox initramfs
# whose /init (init.sh) boots into an overlay of the host's own root filesystem.
#
# Usage: scripts/fullkernel/prepare.sh [--quiet] [--refresh] [--check] [--print]
#   --quiet    print nothing when already prepared
#   --print    on success, print KVER=, KERNEL=, INITRD=, MODULES= lines on stdout (run.sh uses it)
#   --refresh  ask apt which kernel linux-image-amd64 currently depends on (default: keep the
#              kernel prepared before, so that warm runs need neither apt nor the network)
#   --check    only report whether the cache is complete (exit 0) or not (exit 1)
# Environment:
#   OVERLAB_CACHE                 cache root (default ~/.cache/overlab); this uses <root>/fullkernel
#   OVERLAB_FULLKERNEL_PACKAGE    force a kernel package, e.g. linux-image-6.1.0-56-amd64
# Idempotent; safe to run concurrently (flock). Never writes into the repository.
# Exit: 0 ready; 1 missing system packages or a failed step (one-line reason on stderr).
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
CACHE=${OVERLAB_CACHE:-$HOME/.cache/overlab}/fullkernel
# Bump when the layout or the initramfs recipe changes in a way the input hash cannot see.
FORMAT=3
INITRD_MODULES=(virtio_pci 9p 9pnet_virtio overlay)

quiet=0 refresh=0 check=0 print=0
for a in "$@"; do
  case "$a" in
    --quiet) quiet=1 ;;
    --print) print=1 ;;
    --refresh) refresh=1 ;;
    --check) check=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "prepare.sh: unknown option $a (see --help)" >&2; exit 1 ;;
  esac
done

say() { [ "$quiet" = 1 ] || echo "fullkernel: $*" >&2; }
die() { echo "fullkernel prepare: $*" >&2; exit 1; }

# --- system packages -------------------------------------------------------------------
missing=()
need() { # command package
  command -v "$1" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin command -v "$1" >/dev/null 2>&1 \
    || missing+=("$2")
}
need qemu-system-x86_64 qemu-system-x86
need modprobe kmod
need depmod kmod
need cpio cpio
need gzip gzip
need dpkg-deb dpkg
need apt-get apt
need flock util-linux
need sha256sum coreutils
need xz xz-utils
BUSYBOX=/bin/busybox
if [ ! -x "$BUSYBOX" ] || ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
  missing+=(busybox-static)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  die "missing Debian packages: ${missing[*]} (install them with scripts/install-system-deps.sh)"
fi
export PATH=$PATH:/usr/sbin:/sbin

# --- what the initramfs is built from: a change in any of these rebuilds it ----------------
initrd_key() {
  {
    echo "format=$FORMAT modules=${INITRD_MODULES[*]}"
    sha256sum "$HERE/init.sh"
    sha256sum "$BUSYBOX" | cut -d' ' -f1
  } | sha256sum | cut -d' ' -f1
}

# The initramfs is named after that key: several copies of these scripts (other checkouts,
# edited init.sh) can share one cache without rebuilding each other's initramfs in turn, and a
# VM being launched never gets an initramfs built from another init.sh.
initrd_file() { # kver
  local k
  k=$(initrd_key)
  echo "$CACHE/$1/initrd-${k:0:16}.gz"
}

# current.env: KEY=VALUE lines describing the prepared kernel (the last one prepared).
CURRENT=$CACHE/current.env
read_current() { # sets KVER from current.env if it exists
  KVER=
  [ -f "$CURRENT" ] || return 1
  local k v
  while IFS='=' read -r k v; do
    [ "$k" = KVER ] && KVER=$v
  done <"$CURRENT"
  [ -n "$KVER" ]
}

is_complete() { # kver
  local d=$CACHE/$1
  [ -f "$d/.unpacked" ] && [ -f "$d/boot/vmlinuz-$1" ] && [ -f "$d/lib/modules/$1/modules.dep" ] \
    && { [ -f "$d/vmlinux" ] || [ -f "$d/vmlinux.none" ]; } && [ -f "$(initrd_file "$1")" ]
}

print_env() { # kver
  [ "$print" = 1 ] || return 0
  local d=$CACHE/$1
  echo "KVER=$1"
  if [ -f "$d/vmlinux" ]; then echo "KERNEL=$d/vmlinux"; else echo "KERNEL=$d/boot/vmlinuz-$1"; fi
  echo "INITRD=$(initrd_file "$1")"
  echo "MODULES=$d/lib/modules/$1"
}

if [ "$check" = 1 ]; then
  if read_current && is_complete "$KVER"; then echo "fullkernel: ready ($KVER)"; exit 0; fi
  echo "fullkernel: not prepared"; exit 1
fi

# Fast path, without the lock: nothing to do.
if [ "$refresh" = 0 ] && [ -z "${OVERLAB_FULLKERNEL_PACKAGE:-}" ] && read_current && is_complete "$KVER"; then
  say "ready ($KVER, $CACHE)"
  print_env "$KVER"
  exit 0
fi

mkdir -p "$CACHE"
exec 8>"$CACHE/.prepare.lock"
if ! flock -n 8; then
  say "waiting for another prepare.sh to finish"
  flock 8
fi

# --- which kernel -----------------------------------------------------------------------------
pkg=${OVERLAB_FULLKERNEL_PACKAGE:-}
if [ -z "$pkg" ] && [ "$refresh" = 0 ] && read_current; then
  pkg=linux-image-$KVER
fi
if [ -z "$pkg" ]; then
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null \
    | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }') || true
  [ -n "$pkg" ] || die "apt does not know linux-image-amd64 (run 'apt-get update' first)"
fi
[[ "$pkg" =~ ^linux-image-([0-9][0-9.]*-[0-9]+-amd64)$ ]] \
  || die "$pkg is not a generic Debian amd64 kernel package (linux-image-<ver>-amd64; not -cloud/-rt)"
KVER=${BASH_REMATCH[1]}
KDIR=$CACHE/$KVER

# --- download + unpack + depmod ---------------------------------------------------------------
if [ ! -f "$KDIR/.unpacked" ]; then
  work=$(mktemp -d "$CACHE/.work.XXXXXX")
  trap 'rm -rf -- "$work"' EXIT
  say "downloading $pkg"
  sandbox=()
  [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
  (cd "$work" && apt-get download -q "${sandbox[@]}" "$pkg" >/dev/null) \
    || die "apt-get download $pkg failed (network? 'apt-get update'?)"
  deb=$(find "$work" -maxdepth 1 -name "${pkg}_*_amd64.deb" | head -n1)
  [ -n "$deb" ] || die "apt-get download $pkg produced no .deb"
  [ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ] || die "$deb is not $pkg"
  say "unpacking $(basename "$deb")"
  version=$(dpkg-deb -f "$deb" Version)
  dpkg-deb -x "$deb" "$work/root"
  rm -f -- "$deb"
  [ -f "$work/root/boot/vmlinuz-$KVER" ] || die "$pkg has no boot/vmlinuz-$KVER"
  [ -d "$work/root/lib/modules/$KVER" ] || die "$pkg has no lib/modules/$KVER"
  grep -q '^CONFIG_9P_FS=' "$work/root/boot/config-$KVER" || die "$pkg has no 9p (cloud flavour?)"
  depmod -b "$work/root" "$KVER"
  rm -rf -- "$KDIR"
  mv -- "$work/root" "$KDIR"
  echo "$pkg $version" >"$KDIR/.unpacked"
  rm -rf -- "$work"
  trap - EXIT
fi

# --- uncompressed kernel ------------------------------------------------------------------------
# QEMU boots an ELF vmlinux through its PVH entry point (CONFIG_PVH): this skips the firmware's
# bzImage path and, above all, the kernel's own XZ decompression under emulation (~2 s saved).
if [ ! -f "$KDIR/vmlinux" ] && [ ! -f "$KDIR/vmlinux.none" ]; then
  img=$KDIR/boot/vmlinuz-$KVER
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$img" | head -n1 | cut -d: -f1) || true
  if [ -n "$off" ] && grep -q '^CONFIG_PVH=y' "$KDIR/boot/config-$KVER" \
    && { tail -c +"$((off + 1))" "$img" || true; } | xz -dc --single-stream >"$KDIR/vmlinux.tmp" 2>/dev/null \
    && [ "$(head -c 4 "$KDIR/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
    mv -- "$KDIR/vmlinux.tmp" "$KDIR/vmlinux"
    say "extracted the uncompressed kernel (PVH boot)"
  else
    rm -f -- "$KDIR/vmlinux.tmp"
    echo "no XZ-compressed PVH kernel inside $img: booting the bzImage" >"$KDIR/vmlinux.none"
  fi
fi

# --- initramfs --------------------------------------------------------------------------------
INITRD=$(initrd_file "$KVER")
if [ ! -f "$INITRD" ]; then
  say "building the initramfs"
  ldd_out=$(LC_ALL=C ldd "$BUSYBOX" 2>&1 || true)
  [[ "$ldd_out" == *"not a dynamic executable"* || "$ldd_out" == *"statically linked"* ]] \
    || die "$BUSYBOX is not statically linked (install busybox-static)"
  work=$(mktemp -d "$CACHE/.initrd.XXXXXX")
  trap 'rm -rf -- "$work"' EXIT
  s=$work/root
  mkdir -p "$s"/{bin,sbin,dev,proc,sys,mnt,newroot,lib/modules}
  cp -- "$BUSYBOX" "$s/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$s/bin/$applet"
  done
  : >"$s/modules.list"
  for m in "${INITRD_MODULES[@]}"; do
    modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" >"$work/deps" \
      || die "modprobe --show-depends $m failed"
    while read -r verb path _; do
      [ "$verb" = insmod ] || continue # "builtin NAME": nothing to load
      b=$(basename "$path")
      grep -qxF "$b" "$s/modules.list" && continue
      cp -- "$path" "$s/lib/modules/$b"
      echo "$b" >>"$s/modules.list"
    done <"$work/deps"
  done
  install -m 0755 "$HERE/init.sh" "$s/init"
  # The kernel opens /dev/console before /init runs (its built-in initramfs normally has it).
  [ "$(id -u)" -ne 0 ] || mknod -m 0600 "$s/dev/console" c 5 1
  (cd "$s" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) \
    | gzip -6 >"$work/initrd.gz"
  mv -- "$work/initrd.gz" "$INITRD"
  rm -rf -- "$work"
  trap - EXIT
  # Initramfs of other script versions, unused for a week (1.3 MB each).
  find "$KDIR" -maxdepth 1 -name 'initrd-*.gz' ! -name "$(basename "$INITRD")" -mtime +7 -delete
fi

{
  echo "KVER=$KVER"
  read -r p v <"$KDIR/.unpacked"
  echo "PACKAGE=$p"
  echo "VERSION=$v"
  if [ -f "$KDIR/vmlinux" ]; then echo "KERNEL=$KDIR/vmlinux"; else echo "KERNEL=$KDIR/boot/vmlinuz-$KVER"; fi
  echo "INITRD=$INITRD"
  echo "MODULES=$KDIR/lib/modules/$KVER"
} >"$CURRENT.tmp"
mv -- "$CURRENT.tmp" "$CURRENT"
is_complete "$KVER" || die "cache incomplete after preparing (bug)"
say "ready ($KVER, $CACHE)"
print_env "$KVER"
