#!/usr/bin/env bash
# The FPGA build: offload_fpga_top (the pin-light wrapper, DataWidth 32) through Yosys synth_ice40 and
# nextpnr-ice40 on an iCE40 HX8K (CT256), then icepack to a bitstream.
#   scripts/fpga.sh OUT_DIR [TARGET_MHZ]
# Prints the tools' versions, a table (logic cells of 7680, block RAMs of 32, post-route Fmax) and the
# critical path nextpnr reports. Exits non-zero if place and route fails; a missed target frequency is
# reported, not an error (the row says so).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 target=${2:-100}
mkdir -p "$out"
files="$(tr '\n' ' ' < offload.f) fpga/offload_fpga_mem.sv fpga/offload_fpga_top.sv"
if ! yosys -q -l "$out/fpga-yosys.log" -p "read_verilog -sv $files;
    synth_ice40 -top offload_fpga_top -json $out/offload_fpga.json;
    select -assert-none t:SB_DFF*_LATCH* t:\$_DLATCH_*" >/dev/null; then
  echo "fpga: synth_ice40 failed, see $out/fpga-yosys.log" >&2
  exit 1
fi
if ! nextpnr-ice40 --hx8k --package ct256 --json "$out/offload_fpga.json" --pcf-allow-unconstrained \
    --freq "$target" --seed 1 --timing-allow-fail --asc "$out/offload_fpga.asc" >"$out/fpga-pnr.log" 2>&1; then
  echo "fpga: nextpnr-ice40 failed, see $out/fpga-pnr.log" >&2
  tail -5 "$out/fpga-pnr.log" >&2
  exit 1
fi
icepack "$out/offload_fpga.asc" "$out/offload_fpga.bin"
# "Info:   ICESTORM_LC:  7411/ 7680    96%" -> "7411 of 7680 (96%)"
used() { grep -E "$1:" "$out/fpga-pnr.log" | tail -1 | sed 's/.*: *\([0-9]*\)\/ *\([0-9]*\) *\([0-9]*%\).*/\1 of \2 (\3)/'; }
lc=$(used ICESTORM_LC)
ram=$(used ICESTORM_RAM)
fmax=$(grep -E "Max frequency for clock" "$out/fpga-pnr.log" | tail -1 | sed 's/.*: \([0-9.]*\) MHz.*/\1/')
echo "$(yosys -V); $(nextpnr-ice40 --version 2>&1 | head -1)"
echo
echo "| build | DataWidth | queues | logic cells | block RAM | Fmax |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| iCE40 HX8K CT256 (nextpnr seed 1) | 32 | 2 | $lc | $ram | ${fmax} MHz (target ${target} MHz) |"
echo
echo "The critical path, as nextpnr reports it (cells only: the nets between them, and their names in the"
root=$(cd .. && pwd)
echo "sources, are in ${out#"$root"/}/fpga-pnr.log):"
echo
echo '```text'
# The clock's critical path report: its heading, the cells' delays (incremental, cumulative) and the split
# between logic and routing.
sed -n "/Critical path report for clock/,/ns logic, .* ns routing/p" "$out/fpga-pnr.log" | sed 's/^Info: //' |
  grep -E '^(Critical|curr|[ 0-9.]+ (Source|Setup)|[0-9.]+ ns logic)'
echo '```'
