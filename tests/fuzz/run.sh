#!/usr/bin/env bash
# Runs libFuzzer targets over persistent corpora.
#
# Usage: FUZZ_SECONDS=N tests/fuzz/run.sh build/fuzz/fuzz_X...
#
# For each target: seeds come from tests/fuzz/seeds.sh (regenerated when the
# seed tool or the fixtures change) into build/fuzz/seeds/<target>/, the
# corpus grows in build/fuzz/corpus/<target>/, and any crash, leak, timeout
# or out-of-memory input is kept in build/fuzz/crashes/<target>/.  Before
# fuzzing, every seed is run once and must not crash, and at least one must
# get all the way through the parser: a fuzzer whose seeds are all refused
# at the first check explores nothing.  Past crashers committed under
# tests/fuzz/regress/<target>/ must run clean too.
#
# Environment: FUZZ_SECONDS (default 60) per target, FUZZ_TIMEOUT (default
# 10) seconds for one input, FUZZ_JOBS (default: CPUs) targets at once,
# FUZZ_CORPUS_MAX (default 1000) files before the corpus is minimized,
# GM_BUILD (default ./build).  Exit status non-zero if any target failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
export GM_BUILD=${GM_BUILD:-$PWD/build}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
ROOT=$GM_BUILD/fuzz

if (($# == 0)); then
	echo "usage: FUZZ_SECONDS=N $0 build/fuzz/fuzz_X..." >&2
	exit 2
fi

# Tokens the parsers compare against; libFuzzer's CMP tracing finds most of
# them alone, a dictionary finds them in the first second.
write_dict() {
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
	write_dict "$dict"

	key=$(seed_key)
	if [ -d "tests/fuzz/corpus/$name" ]; then
		# a committed corpus (text inputs, nothing to cut from the fixtures)
		rm -rf "$seeds"
		mkdir -p "$seeds"
		cp tests/fuzz/corpus/"$name"/* "$seeds"/
	elif [ "$(cat "$seeds/.key" 2>/dev/null)" != "$key" ]; then
		local fresh
		mkdir -p "$ROOT/seeds"
		fresh=$(mktemp -d "$ROOT/seeds/.new-$name.XXXXXX")
		if ! tests/fuzz/seeds.sh "$target" "$fresh" >"$log.seeds" 2>&1; then
			echo "fuzz: $name: seed generation failed:"
			sed 's/^/    /' "$log.seeds"
			rm -rf "$fresh"
			return 1
		fi
		echo "$key" >"$fresh/.key"
		rm -rf "$seeds"
		mv "$fresh" "$seeds"
	fi
	total=$(find "$seeds" -type f ! -name '.*' | wc -l)
	if ((total == 0)); then
		echo "fuzz: $name: no seeds in $seeds"
		return 1
	fi

	# Every seed once, verbosely: none may crash, one at least must get through.
	FUZZ_VERBOSE=1 "$bin" -artifact_prefix="$crashes/" -timeout="$FUZZ_TIMEOUT" \
		$(find "$seeds" -type f ! -name '.*' | sort) >"$log.seedrun" 2>&1
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
	maxlen=$(find "$seeds" -type f ! -name '.*' -printf '%s\n' | sort -n | tail -1)
	((maxlen < 4096)) && maxlen=4096

	local before after
	before=$(find "$crashes" -type f | wc -l)
	"$bin" "$corpus" "$seeds" "${extra[@]}" -max_total_time="$FUZZ_SECONDS" -max_len="$maxlen" \
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
	echo "fuzz: $name: ${runs:-?} runs in ${secs:-?} seconds (${eps:-?} exec/s), $cov, corpus $corp files, max_len $maxlen"
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
		if ! flock -w $((FUZZ_SECONDS * 3 + 300)) 9; then
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
