#!/bin/sh
# Runs libFuzzer targets one after the other, each for SECONDS, and sums them up.
# Usage: spec/fuzz/run.sh FUZZ_O SECONDS TARGET...   (what `make fuzz` and `make fuzz-smoke` call)
# Each target starts from its seeds in spec/fuzz/corpus/TARGET/ and from what earlier runs
# found in FUZZ_O/corpus/TARGET/ (new inputs go there, never into the tree). A crash, a leak
# or a broken invariant leaves the input in FUZZ_O/artifacts/ and makes the run fail.
# Prints one line per target and writes them to FUZZ_O/fuzz-summary.txt; logs in FUZZ_O/logs/.
set -u
[ $# -ge 3 ] || { echo "usage: $0 FUZZ_O SECONDS TARGET..." >&2; exit 2; }
out=$1 secs=$2
shift 2
cd "$(dirname "$0")/../.."
mkdir -p "$out/logs" "$out/artifacts"
summary=$out/fuzz-summary.txt
: >"$summary"
failed=0
for t in "$@"; do
	bin=$out/bin/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz: $bin is not built (make fuzz-build)" >&2; exit 2; }
	mkdir -p "$out/corpus/$t"
	log=$out/logs/$t.log
	start=$(date +%s)
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	  -artifact_prefix="$out/artifacts/$t-" "$out/corpus/$t" "spec/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
	runs=$(stat number_of_executed_units) rate=$(stat average_exec_per_sec)
	units=$(stat new_units_added) cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		found="no crash"
	else
		failed=$((failed + 1))
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		found="FAILED (exit $rc): $(grep -m 1 -E 'ERROR:|runtime error|invariant failed' "$log")"
		[ -n "$art" ] && found="$found; input: $art"
	fi
	line="fuzz_$t: ${runs:-?} runs in ${took} s (${rate:-?}/s), ${cov:-cov: ?}, ${units:-?} new units; $found"
	echo "$line" | tee -a "$summary"
done
echo "fuzz: $# targets, $failed failed (summary: $summary, logs: $out/logs/)"
[ "$failed" -eq 0 ]
