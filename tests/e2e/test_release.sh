#!/usr/bin/env bash
# The release artefacts of `make static rootfs man install`, checked as a
# user gets them.  Checks, named release/CHECK:
#   static-needed    the static binary NEEDs only glibc and p11-kit (Debian
#                    ships no libp11-kit.a); the rootfs holds exactly what
#                    the loader resolves for it
#   bare-version     in a chroot of build/rootfs (no /usr, no -dev package,
#                    no shell: the FROM-scratch image's content), with only
#                    /proc and /sys mounted, `gomaptrace --version` runs
#   bare-inspect     ... and inspects a Go binary
#   bare-trace       ... and `trace -- CMD` finds the leak in a Go fixture
#   bare-daemon      ... and the daemon serves /metrics with build_info
#   version-git      --version (all three binaries) and build_info{version}
#                    are `git describe --tags --always --dirty` of this tree
#   man-lint         groff -man -ww renders gomaptrace.8 without a warning
#   man-complete     every option of every `--help` is in the rendered page,
#                    and its header names the same version
#   install          `make install DESTDIR=...` puts the binary and the page
#                    under PREFIX, and the installed binary runs
. tests/e2e/lib.sh

STATIC=$GM_BUILD/static/gomaptrace
ROOTFS=$GM_BUILD/rootfs
MAN=$GM_BUILD/gomaptrace.8
gm_workdir gm-release
for f in "$STATIC" "$ROOTFS/usr/local/bin/gomaptrace" "$MAN"; do
	[ -e "$f" ] || { fail release/built "$f missing (make static rootfs man)"; exit 0; }
done

# --- the static binary ---------------------------------------------------
needed=$(readelf -d "$STATIC" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
if [ "$needed" = "libc.so.6 libp11-kit.so.0 " ]; then
	pass release/static-needed
else
	fail release/static-needed "NEEDED: $needed, want libc.so.6 libp11-kit.so.0 only"
fi
# the rootfs: the binary plus what the loader resolves, nothing more
want=$(ldd "$STATIC" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort)
have=$(cd "$ROOTFS" && find . -type f | sed 's|^\.||' | grep -v '^/usr/local/bin/gomaptrace$' | sort)
[ "$want" = "$have" ] && pass release/rootfs-content ||
	fail release/rootfs-content "rootfs libraries [$(echo $have)] != ldd's [$(echo $want)]"

# --- a bare root: the image's content, nothing else ------------------------
BARE=$WORK/root
cp -a "$ROOTFS" "$BARE"
cp "$(gm_fixture go1.22 plain scenarios)" "$BARE/leaky"
mkdir -p "$BARE/out"
# bare CMD...: run in a chroot of $BARE with /proc and /sys of the host
# (what a container runtime mounts), in a private mount namespace.
# bare_exec replaces the calling (sub)shell, so a background `bare_exec ... &`
# leaves $! as the pid of the program itself and cleanup's kill reaches it
# (a backgrounded function that forks unshare left the daemon running).
bare_exec() {
	exec unshare --mount --propagation private -- bash -c '
		root=$1; shift
		mount --rbind /proc "$root/proc" && mount --rbind /sys "$root/sys" || exit 97
		exec chroot "$root" "$@"' bare "$BARE" "$@"
}
bare() { (bare_exec "$@"); }
if [ -e "$BARE/bin/sh" ] || [ -e "$BARE/usr/bin/env" ] || [ -d "$BARE/usr/include" ]; then
	fail release/bare-root "the rootfs is not bare"
fi
v_bare=$(bare /usr/local/bin/gomaptrace --version 2>&1)
v_host=$("$GM" --version 2>&1)
[ "$v_bare" = "$v_host" ] && pass release/bare-version ||
	fail release/bare-version "in the bare root: '$v_bare'; host build: '$v_host'"
out=$(bare /usr/local/bin/gomaptrace inspect /leaky 2>&1)
echo "$out" | grep -q '^go version: *go1.22' && echo "$out" | grep -q '^map impl: *classic' &&
	pass release/bare-inspect || fail release/bare-inspect "$(echo "$out" | head -3 | tr '\n' ' ')"
bare /usr/local/bin/gomaptrace trace --window 1s --min-windows 3 --duration 7s \
	--json /out/report.json -- /leaky leak >"$WORK/trace.out" 2>"$WORK/trace.err"
rc=$?
if [ "$rc" = 0 ] && jq -e '[.maps[] | select(.verdict == "leak" and .type == "map[string]*main.Session")] | length >= 1' \
	"$BARE/out/report.json" >/dev/null 2>&1; then
	pass release/bare-trace
else
	fail release/bare-trace "exit $rc; $(tail -3 "$WORK/trace.err" | tr '\n' ' ')"
fi

DPORT=$(free_port)
bare_exec /usr/local/bin/gomaptrace daemon --listen 127.0.0.1:"$DPORT" --include '^$' 2>"$WORK/daemon.err" &
PIDS+=($!)
bi=""
for _ in $(seq 100); do
	bi=$(curl -sf "http://127.0.0.1:$DPORT/metrics" 2>/dev/null | grep '^gomaptrace_build_info{' || true)
	[ -n "$bi" ] && break
	sleep 0.1
done
[ -n "$bi" ] && pass release/bare-daemon || fail release/bare-daemon "no build_info: $(tail -2 "$WORK/daemon.err" | tr '\n' ' ')"

# --- version ---------------------------------------------------------------
if desc=$(git describe --tags --always --dirty 2>/dev/null); then
	bad=""
	for b in "$GM" "$STATIC" "$BARE/usr/local/bin/gomaptrace"; do
		[ "$("$b" --version)" = "gomaptrace $desc" ] || bad+="$b says '$("$b" --version)'; "
	done
	echo "$bi" | grep -qF "version=\"$desc\"" || bad+="build_info is '$bi'; "
	[ -z "$bad" ] && pass release/version-git || fail release/version-git "git describe: $desc; $bad"
else
	# a tree without .git (an exported source tarball): "unknown"
	[ "$("$GM" --version)" = "gomaptrace unknown" ] && pass release/version-git ||
		fail release/version-git "no git, but --version says '$("$GM" --version)'"
fi

# --- man page --------------------------------------------------------------
warn=$(groff -man -Tutf8 -ww -z "$MAN" 2>&1)
[ -z "$warn" ] && pass release/man-lint || fail release/man-lint "$(echo "$warn" | head -3 | tr '\n' ' ')"
text=$(MANWIDTH=200 man -l "$MAN" 2>/dev/null | col -b)
missing=""
cmds=$("$GM" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1; next } on { on = 0 }')
for c in $cmds; do
	grep -qx "gomaptrace $c" <<<"$text" || missing+="section $c; "
	for opt in $("$GM" "$c" --help | grep -oE '^ +(-[a-zA-Z], )?--?[a-z][a-z-]*' | grep -oE -- '--?[a-z][a-z-]*$'); do
		grep -qE -- "(^|[ ,])$opt( |,|$)" <<<"$text" || missing+="$c $opt; "
	done
done
head -1 <<<"$text" | grep -q GOMAPTRACE || missing+="no GOMAPTRACE(8) header; "
grep -qF "gomaptrace $("$GM" --version | sed 's/^gomaptrace //')" <<<"$text" || missing+="version; "
[ -n "$cmds" ] && [ -z "$missing" ] && pass release/man-complete ||
	fail release/man-complete "commands [$cmds] missing: $missing"

# --- make install --------------------------------------------------------
DEST=$WORK/dest
if out=$(make --no-print-directory -s install DESTDIR="$DEST" PREFIX=/opt/gm BUILD="$GM_BUILD" 2>&1) &&
	[ -x "$DEST/opt/gm/bin/gomaptrace" ] && [ -f "$DEST/opt/gm/share/man/man8/gomaptrace.8" ] &&
	[ "$("$DEST/opt/gm/bin/gomaptrace" --version)" = "$v_host" ] &&
	MANPATH="$DEST/opt/gm/share/man" man -w gomaptrace >/dev/null 2>&1; then
	pass release/install
else
	fail release/install "$(echo "$out" | tail -2 | tr '\n' ' '); $(cd "$DEST" 2>/dev/null && find . -type f | tr '\n' ' ')"
fi
