#!/usr/bin/env bash
# Runs libFuzzer targets over persistent corpora.
#
# Usage: FUZZ_SECONDS=N tests/fuzz/run.sh build/fuzz/fuzz_X...
#        FUZZ_RUNS=N tests/fuzz/run.sh build/fuzz/fuzz_X...   (a campaign)
#
# For each target: seeds are the committed corpus tests/fuzz/corpus/<target>/
# (small inputs cut from the fixtures once, kept in git) plus, for targets
# seeds.sh knows (CUT_TARGETS), the seeds it cuts from the whole fixture
# matrix at run time (regenerated when the seed tool or the fixtures change,
# into build/fuzz/seeds/<target>/; without fixtures the committed corpus
# alone is used, with a note).  The corpus grows in
# build/fuzz/corpus/<target>/, and any crash, leak, timeout
# or out-of-memory input is kept in build/fuzz/crashes/<target>/.  Before
# fuzzing, every seed is run once and must not crash, and at least one must
# get all the way through the parser: a fuzzer whose seeds are all refused
# at the first check explores nothing.  Past crashers committed under
# tests/fuzz/regress/<target>/ must run clean too.
#
# Environment: FUZZ_SECONDS (default 60) per target, or FUZZ_RUNS: stop each
# target after that many executions instead of after a time (make
# fuzz-campaign: 10 million), FUZZ_TIMEOUT (default
# 10) seconds for one input, FUZZ_JOBS (default: CPUs) targets at once,
# FUZZ_CORPUS_MAX (default 1000) files before the corpus is minimized,
# GM_BUILD (default ./build).  Exit status non-zero if any target failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
export GM_BUILD=${GM_BUILD:-$PWD/build}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_RUNS=${FUZZ_RUNS:-}
ROOT=$GM_BUILD/fuzz
# targets whose seeds tests/fuzz/seeds.sh cuts from the fixtures
CUT_TARGETS=" elf buildinfo pclntab gotypes probeplan probecode "

if (($# == 0)); then
	echo "usage: FUZZ_SECONDS=N $0 build/fuzz/fuzz_X..." >&2
	exit 2
fi

# Tokens the parsers compare against; libFuzzer's CMP tracing finds most of
# them alone, a dictionary finds them in the first second.
write_dict() {
	case $2 in
	fuzz_httpd)
		cat >"$1" <<'EOF'
"GET"
"HEAD"
"POST"
"PUT"
"OPTIONS"
"CONNECT"
" HTTP/1.1\x0d\x0a"
" HTTP/1.0\x0d\x0a"
" HTTP/2.0\x0d\x0a"
"/metrics"
"/healthz"
"/"
"?a=b&c"
"%2f"
"%00"
"Host: x\x0d\x0a"
"Connection: close\x0d\x0a"
"Connection: keep-alive\x0d\x0a"
"Content-Length: 5\x0d\x0a"
"Content-Length: 18446744073709551616\x0d\x0a"
"Transfer-Encoding: chunked\x0d\x0a"
"Expect: 100-continue\x0d\x0a"
"Accept-Encoding: gzip\x0d\x0a"
"\x0d\x0a"
"\x0d\x0a\x0d\x0a"
"0\x0d\x0a\x0d\x0a"
EOF
		return ;;
	fuzz_probecode)
		# amd64 encodings the decoder's checks look for (Go prologues,
		# frame setup, argument stores, RET, JMP, CALL, INT3, UD2)
		cat >"$1" <<'EOF'
"\x00"
"\x49\x3b\x66\x10"
"\x76"
"\x0f\x86"
"\x55"
"\x48\x89\xe5"
"\x48\x83\xec\x28"
"\x48\x81\xec\x00\x01\x00\x00"
"\x48\x89\x6c\x24\x20"
"\x48\x8d\x6c\x24\x20"
"\x48\x89\x44\x24\x30"
"\x48\x89\x5c\x24\x38"
"\x48\x89\x45\x10"
"\xc3"
"\xc2\x08\x00"
"\xf3\xc3"
"\xe8\x00\x00\x00\x00"
"\xe9\x00\x00\x00\x00"
"\xeb\xfe"
"\xcc"
"\x0f\x0b"
"\x5d"
EOF
		return ;;
	fuzz_k8s)
		cat >"$1" <<'EOF'
"0::/"
"12:memory:/"
"kubepods"
"kubepods.slice"
"-besteffort"
"burstable"
".slice/"
".scope"
"cri-containerd-"
"crio-"
"crio-conmon-"
"docker-"
"pod"
"\x0a"
EOF
		return ;;
	esac
	cat >"$1" <<'EOF'
"\x7fELF"
"\x02\x01\x01"
"\x3e\x00"
".gopclntab"
".data.rel.ro.gopclntab"
".go.buildinfo"
".typelink"
".data.rel.ro.typelink"
".noptrdata"
".go.module"
".symtab"
".strtab"
".rela"
".text"
"\xfb\xff\xff\xff\x00\x00"
"\xfa\xff\xff\xff\x00\x00"
"\xf0\xff\xff\xff\x00\x00"
"\xf1\xff\xff\xff\x00\x00"
"\xff Go buildinf:"
"\x08\x02"
"go1.16.15"
"go1.17"
"go1.24.3 X:noswissmap"
"X:noswissmap"
"\x0abuild\x09CGO_ENABLED=1"
"\x0abuild\x09-buildmode=pie"
"\x0abuild\x09GOEXPERIMENT="
"runtime.firstmoduledata"
"runtime.makemap"
"internal/runtime/maps."
"map["
"\x08\x00\x00\x00\x00\x00\x00\x00"
"\x00\x00\x00\x00\x00\x00\x00\x00"
"\xff\xff\xff\xff"
EOF
}

# Seeds are a pure function of the seed tool and the fixtures.
seed_key() {
	{
		sha256sum tests/fuzz/seeds.sh
		cat "$GM_BUILD"/fixtures/*/*/maps.stamp 2>/dev/null
	} | sha256sum | cut -c1-16
}

fuzz_one() {
	local bin=$1 name target seeds corpus crashes dict log key maxlen
	local total reached rc artifact first_refusal
	name=$(basename "$bin")
	target=${name#fuzz_}
	seeds=$ROOT/seeds/$name
	corpus=$ROOT/corpus/$name
	crashes=$ROOT/crashes/$name
	dict=$ROOT/$name.dict
	log=$ROOT/logs/$name.log
	mkdir -p "$corpus" "$crashes" "$ROOT/logs"
	write_dict "$dict" "$name"

	# seed directories: the committed corpus, then the cut seeds
	local committed=tests/fuzz/corpus/$name seed_dirs=()
	[ -d "$committed" ] && [ -n "$(find "$committed" -type f -print -quit)" ] &&
		seed_dirs+=("$committed")
	key=$(seed_key)
	if [[ $CUT_TARGETS == *" $target "* ]]; then
		if [ "$(cat "$seeds/.key" 2>/dev/null)" != "$key" ]; then
			local fresh
			mkdir -p "$ROOT/seeds"
			fresh=$(mktemp -d "$ROOT/seeds/.new-$name.XXXXXX")
			if tests/fuzz/seeds.sh "$target" "$fresh" >"$log.seeds" 2>&1; then
				echo "$key" >"$fresh/.key"
				rm -rf "$seeds"
				mv "$fresh" "$seeds"
			else
				rm -rf "$fresh"
				if ((${#seed_dirs[@]} == 0)); then
					echo "fuzz: $name: seed generation failed:"
					sed 's/^/    /' "$log.seeds"
					return 1
				fi
				echo "fuzz: $name: no seeds cut from the fixtures (make fixtures), committed corpus only:"
				sed 's/^/    /' "$log.seeds" | tail -n 3
				rm -rf "$seeds"
			fi
		fi
		[ -d "$seeds" ] && seed_dirs+=("$seeds")
	else
		rm -rf "$seeds"
	fi
	total=0
	((${#seed_dirs[@]})) && total=$(find "${seed_dirs[@]}" -type f ! -name '.*' | wc -l)
	if ((total == 0)); then
		echo "fuzz: $name: no seeds (neither tests/fuzz/corpus/$name/ nor cut ones)"
		return 1
	fi

	# Every seed once, verbosely: none may crash, one at least must get through.
	FUZZ_VERBOSE=1 "$bin" -artifact_prefix="$crashes/" -timeout="$FUZZ_TIMEOUT" \
		$(find "${seed_dirs[@]}" -type f ! -name '.*' | sort) >"$log.seedrun" 2>&1
	rc=$?
	if ((rc != 0)); then
		artifact=$(grep -oE 'Test unit written to .*|Running: .*' "$log.seedrun" | tail -1 | sed -E 's/^(Test unit written to|Running:) //')
		echo "fuzz: $name: a seed crashes the target (exit $rc)"
		grep -E '==ERROR|ERROR:|SUMMARY:|runtime error:|broken promise|^    #[0-9]' "$log.seedrun" | head -30
		echo "crash reproducer: ${artifact:-see $log.seedrun}"
		echo "reproduce with: $bin ${artifact:-SEED}"
		return 1
	fi
	# per input file, since libFuzzer may run one input more than once
	reached=$(awk -v re="^$name: (parsed|accepted):" '
		/^Running: / { cur = $2 } $0 ~ re && cur != "" { ok[cur] = 1 }
		END { n = 0; for (k in ok) n++; print n }' "$log.seedrun")
	first_refusal=$(grep -m1 -E "^$name: (refused|no )" "$log.seedrun")
	echo "fuzz: $name: $reached of $total seeds get through the parser${first_refusal:+ (e.g. $first_refusal)}"
	if ((reached == 0)); then
		echo "fuzz: $name: no seed reaches the parser's end: fuzzing would be shallow"
		return 1
	fi

	# Inputs that once crashed a parser (tests/fuzz/regress/<target>/, kept
	# in git): they must keep running clean, and stay in the corpus.
	local regress=tests/fuzz/regress/$name extra=()
	if [ -d "$regress" ] && [ -n "$(find "$regress" -type f -print -quit)" ]; then
		if ! "$bin" -timeout="$FUZZ_TIMEOUT" $(find "$regress" -type f | sort) >"$log.regress" 2>&1; then
			artifact=$(sed -nE 's/^Running: (.*)$/\1/p' "$log.regress" | tail -1)
			echo "fuzz: $name: a regression input crashes the target again"
			grep -E '==ERROR|ERROR:|SUMMARY:|runtime error:|broken promise|^    #[0-9]' "$log.regress" | head -30
			echo "crash reproducer: $artifact"
			echo "reproduce with: $bin $artifact"
			return 1
		fi
		echo "fuzz: $name: $(find "$regress" -type f | wc -l) regression inputs run clean"
		extra=("$regress")
	fi

	# Inputs as large as the largest seed: big enough for a whole-table seed,
	# no larger, since every extra byte is one more place to mutate.
	maxlen=$(find "${seed_dirs[@]}" -type f ! -name '.*' -printf '%s\n' | sort -n | tail -1)
	((maxlen < 4096)) && maxlen=4096

	local before after budget
	before=$(find "$crashes" -type f | wc -l)
	if [ -n "$FUZZ_RUNS" ]; then
		budget=-runs=$FUZZ_RUNS
	else
		budget=-max_total_time=$FUZZ_SECONDS
	fi
	"$bin" "$corpus" "${seed_dirs[@]}" "${extra[@]}" "$budget" -max_len="$maxlen" \
		-timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
		-use_value_profile=1 -dict="$dict" -artifact_prefix="$crashes/" \
		-print_final_stats=1 -close_fd_mask=1 >"$log" 2>&1
	rc=$?
	after=$(find "$crashes" -type f | wc -l)
	local runs secs eps cov corp
	runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
	eps=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -1)
	secs=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' "$log" | tail -1)
	corp=$(find "$corpus" -type f | wc -l)
	echo "fuzz: $name: ${runs:-?} runs in ${secs:-?} seconds (${eps:-?} exec/s), $cov, corpus $corp files, max_len $maxlen, $((after - before)) new crash files"
	if ((rc != 0)); then
		artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$log" | tail -1)
		echo "fuzz: $name: FAILED (exit $rc)"
		grep -E '==ERROR|ERROR:|SUMMARY:|runtime error:|broken promise|^    #[0-9]' "$log" | head -40
		echo "crash reproducer: ${artifact:-none written, see $log}"
		echo "reproduce with: $bin ${artifact:-}"
		return 1
	fi
	# Every run starts by executing the whole corpus, so an ever-growing one
	# would eat a short run's budget: past FUZZ_CORPUS_MAX files, keep only
	# the inputs that still add edge coverage.  (With value profiling the
	# merge keeps four inputs in five; a run regains those features fast.)
	if ((corp > ${FUZZ_CORPUS_MAX:-1000})); then
		local fresh
		fresh=$(mktemp -d "$ROOT/corpus/.merge-$name.XXXXXX")
		if "$bin" -merge=1 -max_len="$maxlen" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 \
			"$fresh" "$corpus" >"$log.merge" 2>&1; then
			echo "fuzz: $name: corpus minimized from $corp to $(find "$fresh" -type f | wc -l) files"
			rm -rf "$corpus"
			mv "$fresh" "$corpus"
		else
			echo "fuzz: $name: corpus minimization failed, see $log.merge"
			rm -rf "$fresh"
		fi
	fi
	if ((after > before)); then
		echo "fuzz: $name: new files in $crashes although the run ended cleanly:"
		find "$crashes" -type f -newer "$log.seedrun" | head
	fi
	return 0
}

failed=0
pids=()
names=()
mkdir -p "$ROOT/logs"
for bin in "$@"; do
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is not built"
		failed=1
		continue
	fi
	while (($(jobs -rp | wc -l) >= FUZZ_JOBS)); do
		wait -n
	done
	# one target's report stays in one block even when several run at once
	# Two runs of one target would share its corpus and logs: the second
	# waits for the first (make fuzz while make test runs, say).
	(
		n=$(basename "$bin")
		exec 9>"$ROOT/logs/$n.lock"
		if ! flock -w "$([ -n "$FUZZ_RUNS" ] && echo 86400 || echo $((FUZZ_SECONDS * 3 + 300)))" 9; then
			echo "fuzz: $n: another run holds $ROOT/logs/$n.lock" >"$ROOT/logs/$n.summary"
			echo 1 >"$ROOT/logs/$n.rc"
			exit
		fi
		fuzz_one "$bin" >"$ROOT/logs/$n.summary" 2>&1
		echo $? >"$ROOT/logs/$n.rc"
	) &
	pids+=($!)
	names+=("$(basename "$bin")")
done
wait
for n in "${names[@]}"; do
	cat "$ROOT/logs/$n.summary" 2>/dev/null
	[ "$(cat "$ROOT/logs/$n.rc" 2>/dev/null)" = 0 ] || failed=1
done
exit $failed
