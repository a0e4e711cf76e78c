#!/usr/bin/env bash
# The RTL smoke test: the SystemVerilog bench (tb/offload_tb.sv) under Verilator, for the 64-bit and the
# 32-bit data bus, and a shorter pass under Icarus Verilog (the second simulator the style guide names).
#   scripts/smoke.sh OUT_DIR
# Each engine moves data (+test=perf prints beats per cycle; every vectors/memh case is replayed and its
# memory compared), every error path completes (+test=errors, random jobs with bad blocks), a reset in
# the middle of a job (+test=reset), two queues at once (+test=concurrent, random with backpressure).
# Prints Markdown tables (the runs, then the engines' throughput); exits non-zero if any run does not
# end in PASS.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$1
mkdir -p "$out"
read -r -a rtl < <(tr '\n' ' ' < offload.f)
bench=(tb/offload_tb_mem.sv tb/offload_tb.sv)
failures=0
rows=()

run() {  # run LABEL LOG COMMAND...
  local label=$1 log=$2; shift 2
  if "$@" >"$log" 2>&1 && grep -q '^PASS' "$log"; then
    rows+=("| $label | PASS | $(grep '^SUMMARY' "$log" | sed 's/SUMMARY //') |")
  else
    rows+=("| $label | **FAIL** (see $log) | $(grep -E '^(SUMMARY|FAIL)' "$log" | tr '\n' ' ') |")
    failures=$((failures + 1))
  fi
}

for width in 64 32; do
  dir="$out/verilator-w$width"
  if ! verilator --binary --timing -Wno-fatal -O3 -I. -Itb -GDataWidth=$width "${rtl[@]}" "${bench[@]}" \
      --top-module offload_tb -Mdir "$dir" -o tb -j 2 >"$out/build-w$width.log" 2>&1; then
    echo "rtl-smoke: the Verilator build failed (DataWidth=$width), see $out/build-w$width.log" >&2
    exit 1
  fi
  for test in perf errors reset concurrent random; do
    run "Verilator, $width-bit: +test=$test" "$out/w$width-$test.log" "$dir/tb" +test=$test +seed=1
  done
  run "Verilator, $width-bit: +test=random +stall=30" "$out/w$width-random-stall.log" \
    "$dir/tb" +test=random +stall=30 +seed=2
  grep '^PERF' "$out/w$width-perf.log" | sed "s/^PERF/PERF ${width}-bit:/" > "$out/perf-w$width.txt"
  cases=0 passed=0
  for case in ../vectors/memh/*/; do
    cases=$((cases + 1))
    log="$out/w$width-case-$(basename "$case").log"
    if "$dir/tb" +case="$case" >"$log" 2>&1 && grep -q '^PASS' "$log"; then
      passed=$((passed + 1))
    else
      echo "rtl-smoke: $case failed on the $width-bit build, see $log" >&2
    fi
  done
  if [ "$passed" = "$cases" ]; then
    rows+=("| Verilator, $width-bit: vectors/memh replay | PASS | $passed of $cases cases |")
  else
    rows+=("| Verilator, $width-bit: vectors/memh replay | **FAIL** | $passed of $cases cases |")
    failures=$((failures + 1))
  fi
done

# Icarus: the same bench on the reset test and a few $readmemh cases, one per engine and an error path
# (Icarus runs every directed test, but about a hundred times slower than Verilator: up to a minute each).
if iverilog -g2012 -I. -Itb -o "$out/icarus.vvp" -s offload_tb "${rtl[@]}" "${bench[@]}" \
    >"$out/icarus-build.log" 2>&1; then
  for case in extended_copy__backward-overlap write_same__ws16-flags-08 compare_and_write__miscompare \
      read_write__medium-errors; do
    run "Icarus, 64-bit: +case=$case" "$out/icarus-$case.log" \
      timeout 300 vvp -n "$out/icarus.vvp" +case=../vectors/memh/$case/
  done
  run "Icarus, 64-bit: +test=reset" "$out/icarus-reset.log" timeout 300 vvp -n "$out/icarus.vvp" +test=reset +seed=1
else
  rows+=("| Icarus: build | **FAIL** (see $out/icarus-build.log) | |")
  failures=$((failures + 1))
fi

echo "$(verilator --version); $(iverilog -V 2>&1 | head -1)"
echo
echo "| run | result | jobs |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Engine throughput (+test=perf: 64 KiB per job, 16-cycle read latency, 8-cycle write latency; beats per"
echo "cycle = data beats / job cycles; R and W beats: what the memory carried during the job):"
echo
echo "| bus | job | data beats | cycles | model | beats per cycle | R beats | W beats |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
cat "$out/perf-w64.txt" "$out/perf-w32.txt" | sed -E \
  's/^PERF ([0-9]+-bit): (.*[^ ]) +beats=([0-9]+) cycles=([0-9]+) model=([0-9]+) beats\/cycle=([0-9.]+) reads=([0-9]+) writes=([0-9]+)$/| \1 | \2 | \3 | \4 | \5 | \6 | \7 | \8 |/'
exit $((failures > 0))
