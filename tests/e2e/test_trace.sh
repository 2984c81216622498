#!/usr/bin/env bash
# gm-test: serial
#
# End-to-end tests of `gomaptrace trace` (issue 3), with real BPF, as root,
# on the core pairs of the Go matrix (matrix.sh: every variant of the full
# toolchains, stripped PIE of the others), against the
# scenarios fixture (tests/fixtures/scenarios).  One PASS/FAIL line per check,
# named trace/TOOLCHAIN/VARIANT/CHECK.  Per pair:
#
#   session "pos"  trace --fail-on-leak -- scenarios leak,slowleak,nested,sharded,perrequest
#                  (the leaks amid 1000 short-lived maps/s, as in a service)
#     leak           the package-level map[string]*main.Session is "leak",
#                    insert_at = main.remember on the gm:insert-leak line
#     leak-created   its created_at is main.init on the gm:create-leak line
#     slowleak       the 20 keys/s map is "leak" (insert_at gm:insert-slowleak)
#     nested         a leaking "created" site on the inner maps' creation line
#     sharded        a leaking "created" site on the shards' creation line
#     fail-on-leak   the session exits 3
#     events         events.received > 0, events.lost is a number
#     target         targets[] = the one process, its Go version and map
#                    implementation; every map belongs to it; mode "default"
#   session "neg"  trace --fail-on-leak -- scenarios lru,fillupdate,perrequest,sawtooth
#     lru, fillupdate, sawtooth   their map is in the report, and no map or
#                    site of theirs is "leak"
#     lru-plateau, fillupdate-plateau   the cache's map is "plateau"



#     perrequest     no map or site of the per-request maps is "leak"
#     no-false-leak  leaks and leaking_sites are empty
#     clean-exit     the session exits 0 (nothing leaked)
#   report-consistent (both)  leaks/leaking_sites are exactly the "leak"
#                    entries of maps/sites
#   schema           every field of docs/report.md is in the report, typed
#   recursion, goroutines, exitcode: `trace -- scenarios MODE` runs to the
#     target's exit; the target's stdout equals an untraced run's and the
#     exit status the report gives equals the untraced one (0, 0, 7); the
#     tracer itself exits 0 (issue 3: target exit -> exit 0)
#   preleak: processes leaking for 3 s ("ready") are attached with -p, all
#     every toolchain of one variant in one session: each one's map is "leak"
#     (preleak-unseen: its created_at null, created_unseen "before_tracing")
#   created-honest (pos): under -- CMD no map is "before_tracing", and
#     created_unseen is set exactly when created_at is null
#   sigterm, sigterm-report: the cgo variant's preleak session has no -d and
#     is ended by SIGTERM: exit 0, final report of its targets
#   not-go-binary, no-such-pid: `trace -- /bin/true` and `trace -p DEAD` exit
#     2 with a one-line error
#
# Judging uses short windows (--window 1s --min-windows 4) so each session
# lasts about 10 s.  Logs and JSON reports stay in $GM_BUILD/e2e/trace/.
# TL_JOBS pairs run at once (default 2); each runs its two long sessions in
# parallel.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/trace_lib.sh

: "${TL_JOBS:=2}"
LOGDIR=$GM_BUILD/e2e/trace
WIN=(--window 1s --min-windows 4)
SESSION=9s          # -d of the sessions judged on growth
# preleak attaches to maps already grown: a Swiss map is found only at its
# next table split, which at the fixture's 200 inserts/s can come 4-5 s
# after attach (a map in two tables at ~900 entries splits again near
# 1,800), so its sessions run long enough to judge after that.
PRELEAK_SESSION=14s
TARGET_CAP=20s      # the fixtures' own -duration: they never outlive a test
T0=$SECONDS

if [ ! -x "$GM" ]; then
	fail "trace/setup" "$GM is not built"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	fail "trace/setup" "needs root (BPF uprobes)"
	exit 1
fi
for tool in jq timeout; do
	command -v "$tool" >/dev/null || { fail "trace/setup" "$tool is not installed"; exit 1; }
done
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

# Marked lines of the fixture.
L_LEAK_INS=$(tl_line insert-leak) || exit 1
L_LEAK_NEW=$(tl_line create-leak) || exit 1
L_SLOW_INS=$(tl_line insert-slowleak) || exit 1
L_NESTED_NEW=$(tl_line create-nested) || exit 1
L_SHARD_NEW=$(tl_line create-sharded) || exit 1
LRU_LINES="[$(tl_line create-lru),$(tl_line insert-lru)]"
FILL_LINES="[$(tl_line create-fillupdate),$(tl_line insert-fillupdate),$(tl_line update-fillupdate)]"
SAW_LINES="[$(tl_line create-sawtooth),$(tl_line insert-sawtooth)]"
REQ_LINES="[$(tl_line create-perrequest)]"

SESSION_T='map[string]*main.Session'

# go_version BIN: the toolchain's own answer ("go1.24.13"), the oracle.
# (never empty: an empty prefix would match any version)
go_version() {
	local v
	v=$(go version "$1" 2>/dev/null | awk '{print $2}')
	echo "${v:-unknown: go version $1 failed}"
}

# ---------------------------------------------------------------- checks

# check_leak_map NAME JSON PID: the sessions map of process PID (any pid
# when PID is empty) is a leak with the exact insert site.
check_leak_map() {
	local name=$1 json=$2 pid=${3:-}
	tl_assert "$name" "$json" "$TL_JQ_DEFS"'
		any(.maps[]; ($pid == "" or .pid == ($pid | tonumber))
			and .type == $T and .verdict == "leak"
			and (.insert_at | at($L)) and .insert_at.function == "main.remember"
			and .entries_last > .entries_first and .growth_per_minute > 0)
		and any(.leaks[]; ($pid == "" or .pid == ($pid | tonumber))
			and .type == $T and (.insert_at | at($L)))' \
		"$TL_JQ_DEFS"'"want a \($T) judged leak with insert_at main.remember:\($L), growing, also in leaks; got maps of that type or line: " + ([.maps[] | select(($pid == "" or .pid == ($pid | tonumber)) and (.type == $T or .insert_at.line == $L)) | brief] | tostring) + " leaks: \(.leaks | length)"' \
		--arg T "$SESSION_T" --argjson L "$L_LEAK_INS" --arg pid "$pid"
}

# check_created_site NAME JSON LINE FUNCTION TYPE: a leaking "created" site.
check_created_site() {
	local name=$1 json=$2 line=$3 fn=$4 type=$5
	tl_assert "$name" "$json" "$TL_JQ_DEFS"'
		any(.leaking_sites[]; .kind == "created" and (.site | at($L))
			and .site.function == $F and .type == $T and .verdict == "leak")
		and any(.sites[]; .kind == "created" and (.site | at($L)) and .verdict == "leak")' \
		"$TL_JQ_DEFS"'"want a leaking created site \($F):\($L) of \($T); sites on that line: " + ([.sites[] | select(.site.line == $L) | sbrief] | tostring) + "; leaking_sites: " + ([.leaking_sites[] | sbrief] | tostring)' \
		--argjson L "$line" --arg F "$fn" --arg T "$type"
}

# check_not_leak NAME JSON LINES PRESENT: no map created or inserted on one
# of LINES (a JSON array), and no site on them, is "leak"; PRESENT=1: at
# least one such map is in the report (so the check is not vacuous).
check_not_leak() {
	local name=$1 json=$2 lines=$3 present=$4
	tl_assert "$name" "$json" "$TL_JQ_DEFS"'
		def on($ls): . != null and (.line as $x | any($ls[]; . == $x))
			and ((.file // "") | endswith("tests/fixtures/scenarios/main.go"));
		[.maps[] | select((.created_at | on($LS)) or (.insert_at | on($LS)))] as $m
		| ($P == 0 or ($m | length) > 0)
		  and all($m[]; .verdict != "leak")
		  and all(.sites[] | select(.site | on($LS)); .verdict != "leak")' \
		"$TL_JQ_DEFS"'"want no leak on lines \($LS)" + (if $P == 1 then " and its map in the report" else "" end)
		+ "; maps there: " + ([.maps[] | select((.created_at.line as $x | any($LS[]; . == $x)) or (.insert_at.line as $x | any($LS[]; . == $x))) | brief] | tostring)
		+ "; sites there: " + ([.sites[] | select(.site.line as $x | any($LS[]; . == $x)) | sbrief] | tostring)' \
		--argjson LS "$lines" --argjson P "$present"
}

# check_verdict NAME JSON LINE VERDICT: the map created on LINE (which lives
# as long as the process) is in the report once, judged VERDICT, and no map
# of that line or of its insert site is "gone".
check_verdict() {
	local name=$1 json=$2 line=$3 want=$4
	tl_assert "$name" "$json" "$TL_JQ_DEFS"'
		[.maps[] | select(.created_at | at($L))] as $m
		| ($m | length) == 1 and $m[0].verdict == $W
		  and all(.maps[] | select(.insert_at.line == $m[0].insert_at.line); .verdict != "gone")' \
		"$TL_JQ_DEFS"'"want the map created on line \($L) judged \($W), alive; got maps created there: " + ([.maps[] | select(.created_at.line == $L) | brief + {evidence}] | tostring) + "; maps of its insert line: " + ([.maps[] | select(.created_at.line == $L) | .insert_at.line] as $i | [.maps[] | select(.insert_at.line as $x | $i | index($x) != null) | brief] | tostring)' \
		--argjson L "$line" --arg W "$want"
}

check_consistent() {
	local name=$1 json=$2
	tl_assert "$name" "$json" '
		([.maps[] | select(.verdict == "leak")] | length) == (.leaks | length)
		and ([.sites[] | select(.verdict == "leak")] | length) == (.leaking_sites | length)
		and all(.leaks[]; .verdict == "leak") and all(.leaking_sites[]; .verdict == "leak")
		and all(.maps[]; .verdict as $v | ["leak","growing","plateau","sawtooth","shrinking","gone"] | index($v) != null)
		and all(.maps[]; (.bloated | type) == "boolean")
		and all(.sites[]; .kind == "created" or .kind == "inserted")' \
		'"leaks/leaking_sites must be exactly the leak entries of maps/sites; verdicts, bloated, kind well-formed. maps leak: \([.maps[] | select(.verdict == "leak")] | length), leaks: \(.leaks | length), sites leak: \([.sites[] | select(.verdict == "leak")] | length), leaking_sites: \(.leaking_sites | length), verdicts: \([.maps[].verdict] | unique), kinds: \([.sites[].kind] | unique)"'
}

# check_schema NAME JSON: every field docs/report.md documents is there, with
# its type (the checked copy has no "stack" arrays: not checked here).
check_schema() {
	tl_assert "$1" "$2" '
		def keys_ok($ks): . as $o | all($ks[]; . as $k | $o | has($k));
		def num: type == "number";
		def loc: . == null or (type == "object" and (.function | type) == "string"
			and (.file | type) == "string" and (.line | num));
		(.targets | type) == "array" and (.mode | type) == "string" and (.final | type) == "boolean"
		and (.duration_seconds | num) and (.window_seconds | num)
		and (.events | keys_ok(["received", "lost", "malformed", "probe_hits"]))
		and all(.events[]; num)
		and (.overhead | keys_ok(["probe_cost_seconds", "hit_cost_seconds", "probe_cpu_seconds", "cpu_ratio",
				"bpf_run_time_measured", "bpf_run_seconds", "bpf_run_count"]))
		and (.overhead.bpf_run_time_measured | type) == "boolean"
		and all(.overhead | del(.bpf_run_time_measured)[]; num)
		and all(.targets[]; keys_ok(["pid", "comm", "exe", "go_version", "map_impl", "exited", "exit_code"])
			and (.exit_code == null or (.exit_code | num)))
		and all(.maps[]; keys_ok(["pid", "address", "type", "verdict", "bloated", "capacity",
				"entries_first", "entries_last", "entries_max", "growth_per_minute",
				"bucket_bytes", "grows", "created_at", "insert_at", "evidence"])
			and (.address | test("^0x[0-9a-f]+$")) and (.created_at | loc) and (.insert_at | loc)
			and all(.capacity, .entries_first, .entries_last, .entries_max, .growth_per_minute, .bucket_bytes, .grows; num)
			and (.evidence | keys_ok(["windows", "rising_windows", "growth_in_rising_windows", "windows_since_decrease"])))
		and all(.sites[]; keys_ok(["site", "kind", "pid", "type", "maps", "entries_first", "entries_last",
				"growth_per_minute", "bucket_bytes", "exact_bucket_bytes", "grows", "verdict", "evidence"])
			and (.site | loc) and .site != null)
		and ([.leaks, .leaking_sites] | all(type == "array"))' \
		'"report does not match docs/report.md; top-level keys: \(keys), a map: \(.maps[0] // {} | keys), a site: \(.sites[0] // {} | keys), targets: \(.targets | map(keys))"'
}

# check_rc NAME DIR SESSION WANT
check_rc() {
	local rc
	rc=$(tl_rc "$2" "$3")
	if [ "$rc" = "$4" ]; then
		pass "$1"
	else
		fail "$1" "gomaptrace trace exited $rc, want $4; stderr: $(tl_stderr_tail "$2/$3.err")"
	fi
}

# check_run_to_exit NAME DIR MODE: a `trace -- scenarios MODE` session
# against the untraced reference run of MODE.
check_run_to_exit() {
	local name=$1 d=$2 m=$3 want got rc refrc wantrc=0
	[ "$m" = exitcode ] && wantrc=7
	refrc=$(tl_rc "$d" "$m.ref")
	rc=$(tl_rc "$d" "$m")
	if [ "$refrc" != "$wantrc" ]; then
		fail "$name" "untraced reference run exited $refrc, want $wantrc (fixture broken?)"
		return
	fi
	# With -- CMD the tracer's text report goes to stderr, so the session's
	# stdout is the target's alone: it must be byte for byte the untraced one.
	if ! cmp -s "$d/$m.ref.out" "$d/$m.out"; then
		want=$(cat "$d/$m.ref.out")
		got=$(cut -c1-200 "$d/$m.out" | head -20)
		fail "$name" "traced stdout differs from untraced: want [$(echo "$want" | tr '\n' '|')] got [$(echo "$got" | tr '\n' '|')]; trace exit $rc; stderr: $(tl_stderr_tail "$d/$m.err")"
		return
	fi
	if [ "$rc" != 0 ]; then
		fail "$name" "gomaptrace trace exited $rc, want 0 (target exit ends the session: exit 0); stderr: $(tl_stderr_tail "$d/$m.err")"
		return
	fi
	tl_json_ok "$name" "$d/$m.json" "$d" "$m" || return
	tl_assert "$name" "$(tl_min "$d/$m.json")" "($TL_EXIT_FIELD) == \$W" \
		"\"want the target's exit status \\(\$W) at $TL_EXIT_FIELD; got targets: \" + (.targets | tostring)" \
		--argjson W "$refrc"
}

# ---------------------------------------------------------------- per pair

# run_pair TOOLCHAIN VARIANT: sessions and checks of one pair; prints its
# PASS/FAIL lines.
run_pair() {
	local tc=$1 v=$2 p="trace/$1/$2" d=$LOGDIR/$1/$2 bin m pos neg
	bin=$(gm_fixture "$tc" "$v" scenarios)
	mkdir -p "$d"
	if [ ! -x "$bin" ]; then
		fail "$p/fixture" "$bin is not built (make fixtures)"
		return
	fi
	# Untraced reference runs.
	for m in recursion goroutines exitcode; do
		"$bin" "$m" >"$d/$m.ref.out" 2>"$d/$m.ref.err" </dev/null
		echo $? >"$d/$m.ref.rc"
	done

	tl_trace "$d" pos "${WIN[@]}" -d "$SESSION" --fail-on-leak --json "$d/pos.json" \
		-- "$bin" leak,slowleak,nested,sharded,perrequest -duration "$TARGET_CAP" &
	tl_trace "$d" neg "${WIN[@]}" -d "$SESSION" --fail-on-leak --json "$d/neg.json" \
		-- "$bin" lru,fillupdate,perrequest,sawtooth -duration "$TARGET_CAP" &
	wait
	tl_reap "$d/pos.json" "$bin"
	tl_reap "$d/neg.json" "$bin"
	for m in recursion goroutines exitcode; do
		tl_trace "$d" "$m" --json "$d/$m.json" -- "$bin" "$m" &
	done
	wait

	check_rc "$p/fail-on-leak" "$d" pos 3
	pos=$(tl_min "$d/pos.json")
	neg=$(tl_min "$d/neg.json")
	if tl_json_ok "$p/pos-report" "$d/pos.json" "$d" pos; then
		check_leak_map "$p/leak" "$pos"
		tl_assert "$p/leak-created" "$pos" "$TL_JQ_DEFS"'
			any(.maps[]; .type == $T and (.insert_at | at($L)) and .verdict == "leak"
				and (.created_at | at($C)) and .created_at.function == "main.init")' \
			"$TL_JQ_DEFS"'"want the leaking map created at main.init:\($C); got: " + ([.maps[] | select(.type == $T and .insert_at.line == $L) | brief] | tostring)' \
			--arg T "$SESSION_T" --argjson L "$L_LEAK_INS" --argjson C "$L_LEAK_NEW"
		tl_assert "$p/slowleak" "$pos" "$TL_JQ_DEFS"'
			any(.maps[]; .type == $T and (.insert_at | at($L))
				and .insert_at.function == "main.rememberSlow" and .verdict == "leak")' \
			"$TL_JQ_DEFS"'"want a \($T) judged leak with insert_at main.rememberSlow:\($L); got: " + ([.maps[] | select(.type == $T or .insert_at.line == $L) | brief] | tostring)' \
			--arg T "$SESSION_T" --argjson L "$L_SLOW_INS"
		check_created_site "$p/nested" "$pos" "$L_NESTED_NEW" main.setupNested 'map[string]int'
		check_created_site "$p/sharded" "$pos" "$L_SHARD_NEW" main.setupShards 'map[string]int'
		tl_assert "$p/events" "$pos" \
			'.events.received > 0 and (.events | has("lost")) and (.events.lost | type) == "number" and .events.lost >= 0' \
			'"want events.received > 0 and a numeric events.lost; got events: " + (.events | tostring)'
		tl_assert "$p/target" "$pos" '
			(.targets | length) == 1 and (.targets[0].go_version | startswith($V))
			and .targets[0].map_impl == $I and (.targets[0].pid | type) == "number"
			and (.targets[0].exe | endswith("/scenarios"))
			and .mode == "default" and .duration_seconds > 0
			and (.targets[0].pid as $pid | all(.maps[]; .pid == $pid))' \
			'"want one target \($V) \($I), mode default, every map of its pid; got targets " + (.targets | tostring) + ", mode \(.mode), duration \(.duration_seconds), map pids \([.maps[].pid] | unique)"' \
			--arg V "$(go_version "$bin")" --arg I "$(expected_impl "$tc")"
		check_consistent "$p/report-consistent" "$pos"
		# CMD was held until every probe was in: nothing predates tracing
		tl_assert "$p/created-honest" "$pos" '
			all(.maps[]; .created_unseen != "before_tracing")
			and all(.maps[]; (.created_at == null) == (.created_unseen != null))' \
			'"want no before_tracing under -- CMD and created_unseen exactly when created_at is null; got: " + ([.maps[] | select(.created_unseen == "before_tracing" or ((.created_at == null) != (.created_unseen != null))) | {type, created_at, created_unseen}] | .[:4] | tostring)'

		check_schema "$p/schema" "$pos"
	fi

	check_rc "$p/clean-exit" "$d" neg 0
	if tl_json_ok "$p/neg-report" "$d/neg.json" "$d" neg; then
		check_not_leak "$p/lru" "$neg" "$LRU_LINES" 1
		check_not_leak "$p/fillupdate" "$neg" "$FILL_LINES" 1
		check_not_leak "$p/sawtooth" "$neg" "$SAW_LINES" 1
		check_not_leak "$p/perrequest" "$neg" "$REQ_LINES" 0
		check_verdict "$p/lru-plateau" "$neg" "$(tl_line create-lru)" plateau
		check_verdict "$p/fillupdate-plateau" "$neg" "$(tl_line create-fillupdate)" plateau
		check_verdict "$p/sawtooth" "$neg" "$(tl_line create-sawtooth)" sawtooth
		tl_assert "$p/no-false-leak" "$neg" '
			(.leaks | length) == 0 and (.leaking_sites | length) == 0
			and all(.maps[]; .verdict != "leak") and all(.sites[]; .verdict != "leak")' \
			'"want no leak in a process that has none; leaks: " + ([.leaks[] | {type, created_at, insert_at, entries_first, entries_last}] | tostring) + " leaking_sites: " + ([.leaking_sites[] | {site, kind, type, maps, entries_first, entries_last}] | tostring)'
		check_consistent "$p/neg-report-consistent" "$neg"
	fi

	for m in recursion goroutines exitcode; do
		check_run_to_exit "$p/$m" "$d" "$m"
	done
}

# ---------------------------------------------------------------- bad targets

# Issue 3: a target that is not a Go binary, or a process that is gone before
# attach, is a clear one-line error and exit 2.
run_bad_targets() {
	local d=$LOGDIR/bad dead lines
	mkdir -p "$d"
	tl_trace "$d" notgo -d 2s -- /bin/true
	lines=$(grep -c . "$d/notgo.err")
	if [ "$(tl_rc "$d" notgo)" = 2 ] && [ "$lines" = 1 ]; then
		pass "trace/not-go-binary"
	else
		fail "trace/not-go-binary" "trace -- /bin/true: exit $(tl_rc "$d" notgo) with $lines stderr lines, want exit 2 and one line: $(tl_stderr_tail "$d/notgo.err")"
	fi
	sleep 0 &
	dead=$!
	wait "$dead"
	tl_trace "$d" dead -d 2s -p "$dead"
	lines=$(grep -c . "$d/dead.err")
	if [ "$(tl_rc "$d" dead)" = 2 ] && [ "$lines" = 1 ]; then
		pass "trace/no-such-pid"
	else
		fail "trace/no-such-pid" "trace -p $dead (exited): exit $(tl_rc "$d" dead) with $lines stderr lines, want exit 2 and one line: $(tl_stderr_tail "$d/dead.err")"
	fi
}

# ---------------------------------------------------------------- preleak

# Every pair's fixture leaks for 3 s before it is attached with -p; one
# session per variant traces every toolchain's processes at once (one
# BPF object, one cookie per binary).
run_preleak() {
	local d=$LOGDIR/preleak tc v bin pid i ok
	local -A pids=()
	mkdir -p "$d"
	while read -r tc v; do
		bin=$(gm_fixture "$tc" "$v" scenarios)
		[ -x "$bin" ] || continue
		"$bin" preleak -duration "$TARGET_CAP" >"$d/$tc-$v.out" 2>"$d/$tc-$v.err" </dev/null &
		pids[$tc/$v]=$!
	done < <(matrix_pairs core)
	# Wait (at most 10 s) for every "ready".
	for i in $(seq 100); do
		ok=1
		for k in "${!pids[@]}"; do
			grep -qx ready "$d/${k/\//-}.out" 2>/dev/null || ok=0
		done
		[ $ok = 1 ] && break
		sleep 0.1
	done
	local sessions=()
	for v in "${GM_VARIANTS[@]}"; do
		local args=()
		for tc in "${GM_TOOLCHAINS[@]}"; do
			[ -n "${pids[$tc/$v]:-}" ] && args+=(-p "${pids[$tc/$v]}")
		done
		[ ${#args[@]} -gt 0 ] || continue
		if [ "$v" = cgo ]; then
			# No --duration: this session ends on SIGTERM, as from a
			# service manager, and must still write its report.
			tl_trace_term "$d" "$v" "${PRELEAK_SESSION%s}" "${WIN[@]}" --json "$d/$v.json" "${args[@]}" &
		else
			tl_trace "$d" "$v" "${WIN[@]}" -d "$PRELEAK_SESSION" --json "$d/$v.json" "${args[@]}" &
		fi
		sessions+=($!)
	done
	[ ${#sessions[@]} -gt 0 ] && wait "${sessions[@]}"
	if [ -f "$d/cgo.rc" ]; then
		check_rc "trace/sigterm" "$d" cgo 0
		if tl_json_ok "trace/sigterm-report" "$d/cgo.json" "$d" cgo; then
			tl_assert "trace/sigterm-report" "$(tl_min "$d/cgo.json")" \
				'.final == true and (.targets | length) == $N and .duration_seconds > 0' \
				'"want the final report of the \($N) targets after SIGTERM; got final \(.final), \(.targets | length) targets, duration \(.duration_seconds)"' \
				--argjson N "$(for tc in "${GM_TOOLCHAINS[@]}"; do [ -n "${pids[$tc/cgo]:-}" ] && echo; done | wc -l)"
		fi
	fi
	for k in "${!pids[@]}"; do
		kill "${pids[$k]}" 2>/dev/null
	done
	while read -r tc v; do
		local name="trace/$tc/$v/preleak"
		pid=${pids[$tc/$v]:-}
		if [ -z "$pid" ]; then
			fail "$name" "$(gm_fixture "$tc" "$v" scenarios) is not built (make fixtures)"
			continue
		fi
		if ! grep -qx ready "$d/$tc-$v.out"; then
			fail "$name" "fixture never printed ready: $(tl_stderr_tail "$d/$tc-$v.err")"
			continue
		fi
		if [ "$(tl_rc "$d" "$v")" != 0 ]; then
			fail "$name" "gomaptrace trace -p (variant $v) exited $(tl_rc "$d" "$v"), want 0; stderr: $(tl_stderr_tail "$d/$v.err")"
			continue
		fi
		tl_json_ok "$name" "$d/$v.json" "$d" "$v" || continue
		if ! jq -e --argjson pid "$pid" --arg V "$(go_version "$(gm_fixture "$tc" "$v" scenarios)")" \
			'any(.targets[]; .pid == $pid and (.go_version | startswith($V)))' "$(tl_min "$d/$v.json")" >/dev/null 2>&1; then
			fail "$name" "pid $pid ($tc) missing from targets: $(jq -c .targets "$d/$v.json" | cut -c1-500)"
			continue
		fi
		check_leak_map "$name" "$(tl_min "$d/$v.json")" "$pid"
		# made 3 s before the probes: that, and only that, is "before_tracing"
		tl_assert "$name-unseen" "$(tl_min "$d/$v.json")" '
			any(.maps[]; .pid == ($pid | tonumber) and .type == $T and .verdict == "leak"
				and .created_at == null and .created_unseen == "before_tracing")' \
			'"want the leak created_at null, created_unseen before_tracing; got: " + ([.maps[] | select(.pid == ($pid | tonumber) and .type == $T) | {verdict, created_at, created_unseen}] | tostring)' \
			--arg T "$SESSION_T" --arg pid "$pid"
	done < <(matrix_pairs core)
	for k in "${!pids[@]}"; do
		wait "${pids[$k]}" 2>/dev/null
	done
}

run_bad_targets
run_preleak

# Pairs, TL_JOBS at a time; each pair's lines are printed when it ends.
mapfile -t PAIRS < <(matrix_pairs core)
for ((i = 0; i < ${#PAIRS[@]}; i += TL_JOBS)); do
	batch=()
	for ((j = i; j < i + TL_JOBS && j < ${#PAIRS[@]}; j++)); do
		read -r tc v <<<"${PAIRS[$j]}"
		mkdir -p "$LOGDIR/$tc/$v"
		run_pair "$tc" "$v" >"$LOGDIR/$tc/$v/results" 2>&1 &
		batch+=("$LOGDIR/$tc/$v/results")
	done
	wait
	cat "${batch[@]}"
done
echo "test_trace: $((SECONDS - T0)) s, logs in $LOGDIR" >&2
