#!/usr/bin/env bash
# Generic Yosys synthesis of offload_top for one configuration; fails on any latch.
#   scripts/synth.sh OUT_DIR DataWidth NumQueues
# Prints one table row: configuration, logic cells, flip-flops, memories (their bits stay abstract:
# generic synthesis has no RAM cells, and a flip-flop count that included them would hide the logic).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 width=$2 queues=$3
mkdir -p "$out"
log="$out/synth-w$width-q$queues.log"
stat="$out/synth-w$width-q$queues.stat"
# synth up to (not including) its fine stage, then the fine stage without memory_map.
if ! yosys -q -l "$log" -p "read_verilog -sv $(tr '\n' ' ' < offload.f);
    chparam -set DataWidth $width -set NumQueues $queues offload_top;
    synth -top offload_top -flatten -run begin:fine;
    opt -fast -full; opt -full; techmap; opt -fast; abc -fast; opt -fast; check -assert;
    select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH_* t:\$_DLATCHSR_*;
    tee -q -o $stat stat;
    tee -q -a $stat dump t:\$mem_v2" >/dev/null; then
  echo "synth: yosys failed for DataWidth=$width NumQueues=$queues, see $log" >&2
  grep -iE "error|latch" "$log" | head -5 >&2
  exit 1
fi
if grep -q "^Latch inferred" "$log"; then
  echo "synth: a latch was inferred (DataWidth=$width NumQueues=$queues):" >&2
  grep "^Latch inferred" "$log" >&2
  exit 1
fi
awk -v w="$width" -v q="$queues" '
  /^ +\$_(S?DFF|DFFE|SDFF|ALDFF)[A-Z0-9_]* +[0-9]+$/ { ff += $2 }
  /^ +Number of cells:/ { cells = $4 }
  /^ +\$mem_v2 +[0-9]+$/ { mems = $2 }
  /cell .mem_v2 / { membits += size * width; size = 0; width = 0 }
  /parameter .SIZE / { size = $3 }
  /parameter .WIDTH / { width = $3 }
  END { membits += size * width; printf "| generic | %d | %d | %d | %d | %d (%d bits) | 0 |\n", w, q, cells - ff - mems, ff, mems, membits }
' "$stat"
