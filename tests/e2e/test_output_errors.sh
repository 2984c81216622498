#!/usr/bin/env bash
# Where `gomaptrace trace` writes its reports, when that goes wrong (issue
# 11 item 5): with real BPF, as root, on the go1.26 leaky fixture.  One
# PASS/FAIL line per check, named output-errors/CHECK:
#
#   bad-dir-at-start   --pprof in a missing directory, with -d 20s: exit 1
#                      within seconds (before any tracing), one line naming
#                      the pprof profile, its path and the reason; the JSON
#                      report named with it is not left behind
#   json-full          --json /dev/full: exit 1, one line "JSON report
#                      /dev/full: ... No space left on device"; the text
#                      report (-o), the pprof profile and the folded stacks
#                      are still written whole
#   text-full          -o /dev/full: exit 1 naming the text report; the JSON
#                      report is whole
#   stdout-full        `trace -p PID --json F >/dev/full` (the text report on
#                      stdout): exit 1 naming stdout, the JSON report whole
#   symlink-refused    --json LINK where LINK is a symbolic link to another
#                      file: exit 1 at start, the file is untouched
#   dev-stdout         --json /dev/stdout into a pipe (a link to a pipe, not to
#                      a file): followed, the JSON comes out of the pipe
#   kept-on-failure    a session that fails before its reports (no such pid)
#                      leaves an existing report as it was and creates none
#   mode               a created report has mode 0644 less the umask (002)
#
# Sessions of 2 s, in parallel.  Files stay in $GM_BUILD/e2e/output-errors/.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

DIR=$GM_BUILD/e2e/output-errors
WIN=(--window 1s --min-windows 4)
ROOT=$PWD
T0=$SECONDS
N=output-errors

if [ ! -x "$GM" ]; then
	fail "$N/setup" "$GM is not built"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	fail "$N/setup" "tracing needs root"
	exit 1
fi
rm -rf "$DIR"
mkdir -p "$DIR"
LEAKY=$(gm_fixture go1.26 plain leaky)
[[ $LEAKY == /* ]] || LEAKY=$ROOT/$LEAKY
if [ ! -x "$LEAKY" ]; then
	fail "$N/setup" "fixture $LEAKY missing (make fixtures)"
	exit 1
fi

tail_of() { tail -3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }
json_whole() { jq -e '.targets | length >= 1' "$1" >/dev/null 2>&1; }
# err_lines FILE: the tracer's own lines on stderr, but for its start line
err_lines() { grep '^gomaptrace trace:' "$1" 2>/dev/null | grep -vcE '^gomaptrace trace: tracing (pid|[0-9]+ processes)'; }
# run NAME ARGS...: a session, exit status and seconds in NAME.rc
run() {
	local name=$1 t0=$SECONDS
	shift
	timeout -k 5 60 "$GM" trace "${WIN[@]}" "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" </dev/null
	echo "$? $((SECONDS - t0))" >"$DIR/$name.rc"
}
rc_of() { cut -d' ' -f1 "$DIR/$1.rc" 2>/dev/null || echo missing; }
secs_of() { cut -d' ' -f2 "$DIR/$1.rc" 2>/dev/null || echo 999; }

# ---- the sessions ---------------------------------------------------------
run bad-dir -d 20s --pprof "$DIR/no/such/dir/p.pb.gz" --json "$DIR/bad-dir.json" -- "$LEAKY" &
(umask 002 && run json-full -d 2s --json /dev/full -o "$DIR/json-full.txt" \
	--pprof "$DIR/json-full.pb.gz" --folded "$DIR/json-full.folded" -- "$LEAKY") &
run text-full -d 2s -o /dev/full --json "$DIR/text-full.json" -- "$LEAKY" &
(
	"$LEAKY" >/dev/null 2>&1 &
	lpid=$!
	sleep 0.3
	t0=$SECONDS
	timeout -k 5 60 "$GM" trace "${WIN[@]}" -d 2s -p "$lpid" --json "$DIR/stdout-full.json" \
		>/dev/full 2>"$DIR/stdout-full.err" </dev/null
	echo "$? $((SECONDS - t0))" >"$DIR/stdout-full.rc"
	kill "$lpid"
	wait "$lpid" 2>/dev/null
) &
(
	echo precious >"$DIR/victim"
	ln -s "$DIR/victim" "$DIR/link.json"
	run symlink -d 2s --json "$DIR/link.json" -- "$LEAKY"
) &
(
	timeout -k 5 60 "$GM" trace "${WIN[@]}" -d 2s --json /dev/stdout -- "$LEAKY" 2>"$DIR/dev-stdout.err" </dev/null |
		cat >"$DIR/dev-stdout.json"
	echo "${PIPESTATUS[0]}" >"$DIR/dev-stdout.rc"
) &
(
	echo '{"old": true}' >"$DIR/kept.json"
	# a pid that is not there: the pid of a process that just ended
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	run kept -d 2s -p "$dead" --json "$DIR/kept.json" --pprof "$DIR/kept-new.pb.gz"
) &
wait

# ---- the checks -----------------------------------------------------------
rc=$(rc_of bad-dir)
if [ "$rc" = 1 ] && (($(secs_of bad-dir) < 15)) && [ "$(err_lines "$DIR/bad-dir.err")" = 1 ] &&
	grep -qE "pprof profile $DIR/no/such/dir/p.pb.gz: .*No such file or directory" "$DIR/bad-dir.err" &&
	[ ! -e "$DIR/bad-dir.json" ]; then
	pass "$N/bad-dir-at-start"
else
	fail "$N/bad-dir-at-start" "exit $rc after $(secs_of bad-dir)s (the session is 20 s); json: $(ls "$DIR/bad-dir.json" 2>&1); stderr: $(tail_of "$DIR/bad-dir.err")"
fi

rc=$(rc_of json-full)
if [ "$rc" = 1 ] && [ "$(err_lines "$DIR/json-full.err")" = 1 ] &&
	grep -q 'JSON report /dev/full: .*No space left on device' "$DIR/json-full.err" &&
	grep -q '^gomaptrace report after' "$DIR/json-full.txt" && gzip -t "$DIR/json-full.pb.gz" 2>/dev/null &&
	grep -qE ' [0-9]+$' "$DIR/json-full.folded"; then
	pass "$N/json-full"
else
	fail "$N/json-full" "exit $rc; text $(wc -c <"$DIR/json-full.txt" 2>/dev/null) B, pprof $(gzip -t "$DIR/json-full.pb.gz" 2>&1 && echo ok), folded $(wc -l <"$DIR/json-full.folded" 2>/dev/null) lines; stderr: $(tail_of "$DIR/json-full.err")"
fi

rc=$(rc_of text-full)
if [ "$rc" = 1 ] && [ "$(err_lines "$DIR/text-full.err")" = 1 ] &&
	grep -q 'text report /dev/full: .*No space left on device' "$DIR/text-full.err" &&
	json_whole "$DIR/text-full.json"; then
	pass "$N/text-full"
else
	fail "$N/text-full" "exit $rc; json $(wc -c <"$DIR/text-full.json" 2>/dev/null) B; stderr: $(tail_of "$DIR/text-full.err")"
fi

rc=$(rc_of stdout-full)
if [ "$rc" = 1 ] && [ "$(err_lines "$DIR/stdout-full.err")" = 1 ] &&
	grep -q 'text report stdout: .*No space left on device' "$DIR/stdout-full.err" &&
	json_whole "$DIR/stdout-full.json"; then
	pass "$N/stdout-full"
else
	fail "$N/stdout-full" "exit $rc; json $(wc -c <"$DIR/stdout-full.json" 2>/dev/null) B; stderr: $(tail_of "$DIR/stdout-full.err")"
fi

rc=$(rc_of symlink)
if [ "$rc" = 1 ] && (($(secs_of symlink) < 15)) && [ "$(cat "$DIR/victim")" = precious ] &&
	grep -q "JSON report $DIR/link.json: .*symbolic link" "$DIR/symlink.err"; then
	pass "$N/symlink-refused"
else
	fail "$N/symlink-refused" "exit $rc; victim now: $(head -c 100 "$DIR/victim" | tr '\n' ' '); stderr: $(tail_of "$DIR/symlink.err")"
fi

rc=$(cat "$DIR/dev-stdout.rc" 2>/dev/null)
if [ "$rc" = 0 ] && json_whole "$DIR/dev-stdout.json"; then
	pass "$N/dev-stdout"
else
	fail "$N/dev-stdout" "exit $rc; $(wc -c <"$DIR/dev-stdout.json") B from the pipe; stderr: $(tail_of "$DIR/dev-stdout.err")"
fi

rc=$(rc_of kept)
if [ "$rc" = 2 ] && [ "$(cat "$DIR/kept.json")" = '{"old": true}' ] && [ ! -e "$DIR/kept-new.pb.gz" ]; then
	pass "$N/kept-on-failure"
else
	fail "$N/kept-on-failure" "exit $rc; kept.json: $(head -c 100 "$DIR/kept.json" | tr '\n' ' '); new profile: $(ls "$DIR/kept-new.pb.gz" 2>&1); stderr: $(tail_of "$DIR/kept.err")"
fi

mode=$(stat -c %a "$DIR/json-full.pb.gz" 2>/dev/null)
if [ "$mode" = 644 ]; then
	pass "$N/mode"
else
	fail "$N/mode" "created with mode ${mode:-?} under umask 002, want 644"
fi

echo "output-errors: $((SECONDS - T0))s"
