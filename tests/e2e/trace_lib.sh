# shellcheck shell=bash
# Helpers of tests/e2e/test_trace.sh (sourced after tests/e2e/lib.sh): run
# `gomaptrace trace` sessions with a hard time limit, find the marked lines of
# the scenarios fixture, and assert on the JSON report with jq.

TL_SRC=tests/fixtures/scenarios/main.go
# Seconds a single trace session may take before it is stopped (SIGTERM,
# then SIGKILL 5 s later): a hung tracer fails its checks, never the suite.
: "${TL_TIMEOUT:=60}"
# Where the target's exit status sits in the JSON report (docs/report.md).
: "${TL_EXIT_FIELD:=.targets[0].exit_code}"

# tl_line MARKER: line number of the line ending in "// gm:MARKER" in the
# scenarios fixture (exactly one such line must exist).
tl_line() {
	local n
	n=$(grep -n "// gm:$1\$" "$TL_SRC" | cut -d: -f1)
	if [ -z "$n" ] || [ "$(echo "$n" | wc -l)" -ne 1 ]; then
		echo "trace_lib: marker gm:$1 not found exactly once in $TL_SRC" >&2
		return 1
	fi
	echo "$n"
}

# tl_trace DIR NAME ARGS...: `gomaptrace trace ARGS...` with stdout, stderr
# and exit status in DIR/NAME.out, DIR/NAME.err, DIR/NAME.rc (124 or 137:
# stopped by the time limit).
tl_trace() {
	local dir=$1 name=$2
	shift 2
	timeout -k 5 "$TL_TIMEOUT" "$GM" trace "$@" >"$dir/$name.out" 2>"$dir/$name.err" </dev/null
	echo $? >"$dir/$name.rc"
}

# tl_trace_term DIR NAME SECS ARGS...: like tl_trace, but the session is
# ended by SIGTERM after SECS seconds (SIGKILL 10 s later if it hangs on);
# the exit status recorded is gomaptrace's own (143: killed by the SIGTERM).
tl_trace_term() {
	local dir=$1 name=$2 secs=$3
	shift 3
	timeout --preserve-status -s TERM -k 10 "$secs" "$GM" trace "$@" \
		>"$dir/$name.out" 2>"$dir/$name.err" </dev/null
	echo $? >"$dir/$name.rc"
}

# tl_rc DIR NAME: exit status recorded by tl_trace (or by a reference run).
tl_rc() { cat "$1/$2.rc" 2>/dev/null || echo missing; }

# tl_stderr_tail FILE: the last lines of a stderr file, on one line.
tl_stderr_tail() { tail -3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }

# tl_reap JSON BIN: after a session, end target processes it reports that
# are still running and are an instance of BIN (the tracer may leave a
# `-- CMD` child running when its --duration ends).  Only pids whose
# executable is BIN are touched.
tl_reap() {
	local json=$1 bin pid exe
	bin=$(readlink -f "$2")
	[ -s "$json" ] || return 0
	for pid in $(jq -r '.targets[]?.pid // empty' "$json" 2>/dev/null); do
		case $pid in '' | *[!0-9]*) continue ;; esac
		exe=$(readlink -f "/proc/$pid/exe" 2>/dev/null) || continue
		[ "$exe" = "$bin" ] && kill "$pid" 2>/dev/null
	done
	return 0
}

# tl_json_ok NAME FILE DIR SESSION: fail NAME (and return 1) when FILE is not
# a JSON report; the reason names the session's exit status and stderr.
# Otherwise writes FILE's checked copy, tl_min FILE: the report without its
# stack arrays, which no check reads (a report can be megabytes of stacks,
# and every jq run parses the whole file).
tl_json_ok() {
	local name=$1 file=$2 dir=$3 s=$4
	if [ ! -s "$file" ]; then
		fail "$name" "no JSON report ($file); trace exit $(tl_rc "$dir" "$s"); stderr: $(tl_stderr_tail "$dir/$s.err")"
		return 1
	fi
	if ! jq -c 'if type == "object" then del(.maps[]?.stack, .leaks[]?.stack) else error("not an object") end' \
		"$file" >"$(tl_min "$file")" 2>/dev/null; then
		fail "$name" "report is not a JSON object: $file"
		return 1
	fi
	return 0
}

# tl_min FILE: path of the checked copy of a report (see tl_json_ok).
tl_min() { echo "${1%.json}.checked.json"; }

# tl_assert NAME FILE FILTER WHY [JQ ARGS...]: pass when the jq FILTER is
# true on FILE; otherwise fail with the string the jq filter WHY makes from
# FILE (the evidence), cut to 700 characters, and the file's path.
tl_assert() {
	local name=$1 file=$2 filter=$3 why=$4
	shift 4
	if jq -e "$@" "$filter" "$file" >/dev/null 2>&1; then
		pass "$name"
	else
		fail "$name" "$(jq -r "$@" "$why" "$file" 2>&1 | tr '\n' ' ' | cut -c1-700) [$file]"
	fi
}

# jq definitions shared by the filters of test_trace.sh.
# at($l): does a {function,file,line} object (or null) sit on line $l of the
# fixture?  brief: a map or site reduced to what a failure message needs.
# shellcheck disable=SC2016
TL_JQ_DEFS='
def at($l): . != null and .line == $l and ((.file // "") | endswith("tests/fixtures/scenarios/main.go"));
def loc: if . == null then "null" else "\(.function // "?"):\(.line // "?")" end;
def brief: {address, type, verdict, entries_first, entries_last,
            created: (.created_at | loc), inserted: (.insert_at | loc)};
def sbrief: {site: (.site | loc), kind, type, maps, entries_first, entries_last, verdict};
'
