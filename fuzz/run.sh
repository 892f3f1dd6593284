#!/bin/sh
# Runs the libFuzzer targets that `make fuzz-build` made (README "Fuzzing
# and sanitizers").
#
#   fuzz/run.sh fuzz  OUT SECONDS TARGET...   fuzz each target for SECONDS
#   fuzz/run.sh smoke OUT SECONDS TARGET...   the same with a fixed seed (make check)
#   fuzz/run.sh merge OUT 0 TARGET...         minimize fuzz/corpus/TARGET with what
#                                             the runs found in OUT/corpus/TARGET
#
# Each run reads the committed corpus fuzz/corpus/TARGET and the inputs that
# once failed, fuzz/regressions/TARGET (every input in them is run first),
# and writes what it finds to OUT/corpus/TARGET, never into the committed
# ones. A crash, a failed invariant, a timeout, a leak or an
# out-of-memory stops the target; its input is saved as OUT/artifacts/
# TARGET-crash-… and replayed with `OUT/fuzz-TARGET FILE`. The summary table
# is also written to OUT/summary.txt. Exits 1 when any target failed.
set -eu

mode=$1 out=$2 seconds=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/artifacts" "$out/logs"
# Swift's own crash reporter waits for a symbolizer; libFuzzer and ASan
# print the stack themselves.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"

# Each input must finish within TIMEOUT seconds (the fuzz build's cost
# limits make every admitted hash a matter of milliseconds).
timeout=10
max_len=4096

if [ "$mode" = merge ]; then
  for target in "$@"; do
    committed="$here/corpus/$target"
    merged="$out/merged/$target"
    rm -rf "$merged" && mkdir -p "$merged" "$committed" "$out/corpus/$target"
    "$out/fuzz-$target" -merge=1 -max_len=$max_len -timeout=$timeout "$merged" "$committed" "$out/corpus/$target" \
      >"$out/logs/$target.merge.log" 2>&1
    rm -rf "$committed" && mv "$merged" "$committed"
    echo "$target: $(ls "$committed" | wc -l) inputs, $(du -sk "$committed" | cut -f1) KB"
  done
  exit 0
fi

seed=""
[ "$mode" = smoke ] && seed="-seed=1"
status=0
summary="$out/summary.txt"
printf '%-18s %6s %10s %8s %6s %6s %8s %6s  %s\n' target seconds execs exec/s cov ft corpus new result | tee "$summary"
for target in "$@"; do
  mkdir -p "$out/corpus/$target"
  dict=""
  [ -f "$here/dict/$target.dict" ] && dict="-dict=$here/dict/$target.dict"
  regressions=""
  [ -d "$here/regressions/$target" ] && regressions="$here/regressions/$target"
  log="$out/logs/$target.log"
  start=$(date +%s)
  result=ok
  # shellcheck disable=SC2086
  "$out/fuzz-$target" $seed $dict -max_total_time="$seconds" -timeout=$timeout -max_len=$max_len \
    -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$out/artifacts/$target-" \
    "$out/corpus/$target" "$here/corpus/$target" $regressions >"$log" 2>&1 || result=FAILED
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  new=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corpus=$(ls "$here/corpus/$target" 2>/dev/null | wc -l)
  printf '%-18s %6s %10s %8s %6s %6s %8s %6s  %s\n' "$target" "$elapsed" "${execs:--}" "${rate:--}" "${cov:--}" \
    "${ft:--}" "$corpus" "${new:--}" "$result" | tee -a "$summary"
  if [ "$result" != ok ]; then
    status=1
    grep -E 'INVARIANT FAILED|ERROR: |SUMMARY: |Test unit written' "$log" | head -5 | cut -c1-400 >&2
    echo "  log: $log; replay: $out/fuzz-$target $out/artifacts/$target-…" >&2
  fi
done
echo "(corpus: committed inputs in fuzz/corpus/<target>; new: inputs this run added to $out/corpus)"
exit $status
