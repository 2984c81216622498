#!/usr/bin/env bash
# make-rootfs.sh BINARY DIR: a root filesystem for BINARY and nothing else,
# the content of the FROM-scratch image (deploy/Dockerfile).  The shared
# objects BINARY still needs are those the dynamic loader itself resolves
# for it (ldd), copied to the same paths, the loader included.
set -euo pipefail
bin=$1
root=$2
[ -x "$bin" ] || { echo "make-rootfs: $bin: not an executable" >&2; exit 2; }
rm -rf "$root"
# stripped: the debugging symbols stay in the build tree
install -D -m 0755 -s "$bin" "$root/usr/local/bin/gomaptrace"
# "name => /path (addr)", "/lib64/ld-linux-x86-64.so.2 (addr)"; the vDSO
# has no file.
libs=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
[ -n "$libs" ] || { echo "make-rootfs: ldd found no libraries for $bin" >&2; exit 1; }
for l in $libs; do
	install -D -m 0755 "$(readlink -f "$l")" "$root$l"
done
# /proc and /sys are mounted by the container runtime; the daemon needs no
# other file (no /etc, no /tmp: the root filesystem is read-only).
mkdir -p "$root/proc" "$root/sys"
echo "rootfs: $root: $(find "$root" -type f | wc -l) files, $(du -sh "$root" | cut -f1)"
