#!/usr/bin/env bash
# QEMU's own iSCSI client (qemu-img, qemu-io with the iscsi block driver) against offload-iscsi on
# loopback, on each execution back end, as a new user would use it. Every check proves the path the
# command took from the target's own counters (serve --counters) and, for copies, from QEMU's
# iscsi_xcopy trace — QEMU falls back to READ and WRITE silently when an EXTENDED COPY fails, so its exit
# status proves nothing. Then CHAP with libiscsi and QEMU (iscsi/interop/chap.sh). Prints a table of
# checks with their evidence and fails on any failed check;
# a run that passes also writes it to iscsi/reports/interop.md (target/interop/report.md for a subset).
#
# usage: iscsi/interop/run.sh
#   INTEROP_BACKENDS  back ends to run (default: "model fastpath")
#   INTEROP_PORT      first loopback port used (default: 3300; three per back end)
#   INTEROP_COMMAND   how the report names the command that wrote it (make passes "make interop")
set -euo pipefail
cd "$(dirname "$0")/../.."
source iscsi/servers.sh

BIN=target/release/offload-iscsi
OUT=target/interop
BACKENDS=${INTEROP_BACKENDS:-model fastpath}
PORT=${INTEROP_PORT:-3300}
IQN_A=iqn.2026-11.org.offload:interop-a
IQN_B=iqn.2026-11.org.offload:interop-b
IQN_BIG=iqn.2026-11.org.offload:interop-big
MiB=$((1 << 20))
if [ -z "${INTEROP_BACKENDS:-}" ]; then
	REPORT=$(tools/report.sh --path iscsi/reports/interop.md)
else
	REPORT=$OUT/report.md
fi
COMMAND=${INTEROP_COMMAND:-iscsi/interop/run.sh}

for tool in qemu-img qemu-io python3; do
	command -v $tool >/dev/null || { echo "interop: $tool is missing (make interop installs it)"; exit 1; }
done
[ -x $BIN ] || { echo "interop: $BIN is missing (make interop builds it)"; exit 1; }
QEMU_MODULE_DIR=$(iscsi/interop/qemu.sh)
export QEMU_MODULE_DIR
qemu_version=$(qemu-img --version | head -1)
module_version=$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$QEMU_MODULE_DIR")")")")")
header=$(tools/report.sh --header "$COMMAND")

rm -rf $OUT
mkdir -p $OUT
pids=()
cleanup() { [ ${#pids[@]} -eq 0 ] || stop_servers "${pids[@]}"; }
trap cleanup EXIT

# ----- the target's counters -----

# settle FILE: waits (up to 10 s) until every connection the target accepted has closed, so that the
# counters include everything the client that just exited did.
settle() {
	python3 - "$1" <<'EOF'
import json, sys, time
for _ in range(100):
    try:
        c = json.load(open(sys.argv[1]))
        if c["connections_accepted"] == c["connections_closed"]:
            sys.exit(0)
    except (OSError, ValueError):
        pass
    time.sleep(0.1)
sys.exit("interop: the target's connections did not close")
EOF
}

# count FILE REGEX FIELD: the sum of FIELD (received, good, check_condition) over the commands whose
# name matches REGEX; FIELD "sense" lists their sense counts instead.
count() {
	python3 - "$@" <<'EOF'
import json, re, sys
path, pattern, field = sys.argv[1:4]
try:
    commands = json.load(open(path))["commands"]
except OSError:
    commands = {}
chosen = [v for k, v in commands.items() if re.search(pattern, k)]
if field == "sense":
    senses = {}
    for v in chosen:
        for s, n in v.get("sense", {}).items():
            senses[s] = senses.get(s, 0) + n
    print(",".join(f"{s}x{n}" for s, n in sorted(senses.items())) or "none")
else:
    print(sum(v[field] for v in chosen))
EOF
}

# ----- checks -----

rows=()
failed=0
# record CHECK BACKEND PASSED EVIDENCE [LOG]: a failed check also shows the first error QEMU logged.
record() {
	local verdict=pass evidence=$4 error
	if [ "$3" != 1 ]; then
		verdict=FAIL
		failed=$((failed + 1))
		error=$([ -z "${5:-}" ] || grep -m1 -iE 'fail|error|mismatch' "$5" || true)
		[ -z "$error" ] || evidence="$evidence; QEMU: ${error//|/\\|}"
	fi
	rows+=("| $1 | $2 | $verdict | $evidence |")
	printf 'interop: %-34s %-9s %-4s %s\n' "$1" "$2" "$verdict" "$evidence"
}

# delta FILE REGEX FIELD BEFORE: how much a count grew since BEFORE.
delta() { echo $(($(count "$1" "$2" "$3") - $4)); }

# The map of an image as "start+length:data|zero ..." from qemu-img map (offsets in MiB).
map_of() {
	qemu-img map --output=json -f raw "$1" | python3 -c '
import json, sys
print(" ".join("%d+%d:%s" % (e["start"] >> 20, e["length"] >> 20, "data" if e["data"] else "zero") for e in json.load(sys.stdin)))'
}

# zero_in MAP START LEN: whether MAP (as map_of prints it) shows [START, START+LEN) MiB as zero.
zero_in() {
	python3 - "$@" <<'EOF'
import sys
extents, start, length = sys.argv[1].split(), int(sys.argv[2]), int(sys.argv[3])
covered = 0
for e in extents:
    span, kind = e.split(":")
    s, n = map(int, span.split("+"))
    lo, hi = max(s, start), min(s + n, start + length)
    if hi > lo:
        if kind != "zero":
            sys.exit(1)
        covered += hi - lo
sys.exit(0 if covered == length else 1)
EOF
}

# same A B LOG: "identical" when qemu-img compare finds the images equal, else "DIFFER".
same() {
	if qemu-img compare -f raw -F raw "$1" "$2" > "$3" 2>&1; then echo identical; else echo DIFFER; fi
}

READS='^READ\((10|16)\)$'
WRITES='^WRITE\((10|16)\)$'
XCOPY='^EXTENDED COPY'
WS='^WRITE SAME'
SYNC='^SYNCHRONIZE CACHE'

port=$PORT
for backend in $BACKENDS; do
	dir=$OUT/$backend
	mkdir -p "$dir"
	port_free $port $((port + 1)) $((port + 2))
	a=$dir/a.json b=$dir/b.json big=$dir/big.json
	# Target A: two 64 MiB thin LUs; target B: one; a third target: one 3 TiB thin LU.
	$BIN serve --backend "$backend" --listen 127.0.0.1:$port --target-name $IQN_A --unit thin:64MiB \
		--unit thin:64MiB --counters "$a" --quiet > "$dir/a.log" 2>&1 &
	pids+=($!)
	$BIN serve --backend "$backend" --listen 127.0.0.1:$((port + 1)) --target-name $IQN_B --unit thin:64MiB \
		--counters "$b" --quiet > "$dir/b.log" 2>&1 &
	pids+=($!)
	$BIN serve --backend "$backend" --listen 127.0.0.1:$((port + 2)) --target-name $IQN_BIG --unit thin:3TiB \
		--counters "$big" --quiet > "$dir/big.log" 2>&1 &
	pids+=($!)
	wait_port $port
	wait_port $((port + 1))
	big_up=1
	wait_port $((port + 2)) > /dev/null || big_up=0
	A0=iscsi://127.0.0.1:$port/$IQN_A/0
	A1=iscsi://127.0.0.1:$port/$IQN_A/1
	B0=iscsi://127.0.0.1:$((port + 1))/$IQN_B/0
	BIG=iscsi://127.0.0.1:$((port + 2))/$IQN_BIG/0
	port=$((port + 3))

	# 1. A pattern written and read back (qemu-io's default cache mode, writethrough).
	w=$(count "$a" "$WRITES" good) r=$(count "$a" "$READS" good)
	ok=0
	if qemu-io -f raw -c 'write -P 0xa5 1M 4M' -c 'read -P 0xa5 1M 4M' "$A0" > "$dir/pattern.log" 2>&1 &&
		! grep -qiE 'fail|error' "$dir/pattern.log"; then ok=1; fi
	settle "$a"
	dw=$(delta "$a" "$WRITES" good "$w") dr=$(delta "$a" "$READS" good "$r")
	[ "$dw" -ge 1 ] && [ "$dr" -ge 1 ] || ok=0
	record "write, read back a pattern" "$backend" $ok "4 MiB; $dw WRITE and $dr READ GOOD" "$dir/pattern.log"

	# 2. qemu-img map: block status from GET LBA STATUS.
	g=$(count "$a" '^GET LBA STATUS$' good)
	m=$(map_of "$A0" 2>"$dir/map.log" || true)
	settle "$a"
	dg=$(delta "$a" '^GET LBA STATUS$' good "$g")
	ok=0
	[ "$m" = "0+1:zero 1+4:data 5+59:zero" ] && [ "$dg" -ge 1 ] && ok=1
	record "qemu-img map" "$backend" $ok "map ${m:-none} (MiB); $dg GET LBA STATUS"

	# 3. qemu-img convert -C between two LUs of one target: EXTENDED COPY, no READ or WRITE.
	x=$(count "$a" "$XCOPY" good) xc=$(count "$a" "$XCOPY" check_condition)
	w=$(count "$a" "$WRITES" received) r=$(count "$a" "$READS" received)
	ok=0
	qemu-img -T iscsi_xcopy convert -C -n -f raw -O raw "$A0" "$A1" > "$dir/convert-lu.log" 2>&1 && ok=1
	settle "$a"
	traced=$(grep -c '^iscsi_xcopy .* ret 0$' "$dir/convert-lu.log" || true)
	trace_failed=$(grep -c '^iscsi_xcopy' "$dir/convert-lu.log" || true)
	trace_failed=$((trace_failed - traced))
	dx=$(delta "$a" "$XCOPY" good "$x") dxc=$(delta "$a" "$XCOPY" check_condition "$xc")
	dw=$(delta "$a" "$WRITES" received "$w") dr=$(delta "$a" "$READS" received "$r")
	[ "$dx" -ge 2 ] && [ "$dx" = "$traced" ] && [ "$dxc" = 0 ] && [ "$trace_failed" = 0 ] && [ "$dw" = 0 ] || ok=0
	cmp=$(same "$A0" "$A1" "$dir/compare-lu.log")
	settle "$a"
	[ "$cmp" = identical ] || ok=0
	record "convert -C, two LUs" "$backend" $ok \
		"$dx XCOPY GOOD, $dxc failed; trace $traced ret 0, $trace_failed failed; $dw WRITE, $dr READ; images $cmp" "$dir/convert-lu.log"

	# 4. qemu-img convert -C from target A to target B: B cannot reach A's LU, so its copy manager must
	#    refuse (COPY ABORTED, COPY TARGET DEVICE NOT REACHABLE) — never copy some LU of its own.
	#    QEMU then copies by READ and WRITE itself.
	qemu-io -f raw -c 'write -P 0x3c 0 8M' "$B0" > "$dir/b-pattern.log" 2>&1 || true
	settle "$b"
	x=$(count "$b" "$XCOPY" good) xc=$(count "$b" "$XCOPY" check_condition)
	w=$(count "$b" "$WRITES" good)
	ok=0
	qemu-img -T iscsi_xcopy convert -C -n -f raw -O raw "$A0" "$B0" > "$dir/convert-target.log" 2>&1 && ok=1
	settle "$b"
	settle "$a"
	trace_failed=$(grep -c '^iscsi_xcopy .* ret -' "$dir/convert-target.log" || true)
	dx=$(delta "$b" "$XCOPY" good "$x") dxc=$(delta "$b" "$XCOPY" check_condition "$xc")
	dw=$(delta "$b" "$WRITES" good "$w")
	sense=$(count "$b" "$XCOPY" sense)
	[ "$dx" = 0 ] && [ "$dxc" -ge 1 ] && [ "$trace_failed" -ge 1 ] && [ "$dw" -ge 1 ] &&
		[[ "$sense" == *A/0D/02* ]] || ok=0
	cmp=$(same "$A0" "$B0" "$dir/compare-target.log")
	settle "$a"
	settle "$b"
	[ "$cmp" = identical ] || ok=0
	record "convert -C, two targets: refused" "$backend" $ok \
		"$dx XCOPY GOOD, $dxc refused (sense $sense); trace $trace_failed failed; fallback $dw WRITE; images $cmp" "$dir/convert-target.log"

	# 5. write -z (WRITE SAME, then the flush writethrough mode adds) and write -z -u (WRITE SAME with
	#    UNMAP), in qemu-io's default cache mode.
	ws=$(count "$a" "$WS" good) w=$(count "$a" "$WRITES" received) s=$(count "$a" "$SYNC" good)
	ok=0
	qemu-io -f raw -c 'write -z 2M 1M' -c 'read -P 0 2M 1M' "$A0" > "$dir/zero.log" 2>&1 &&
		! grep -qiE 'fail|error' "$dir/zero.log" && ok=1
	settle "$a"
	dws=$(delta "$a" "$WS" good "$ws") dw=$(delta "$a" "$WRITES" received "$w") ds=$(delta "$a" "$SYNC" good "$s")
	[ "$dws" -ge 1 ] && [ "$dw" = 0 ] && [ "$ds" -ge 1 ] || ok=0
	record "write -z (writethrough)" "$backend" $ok "$dws WRITE SAME, $dw WRITE, $ds SYNCHRONIZE CACHE GOOD; read back zeros" "$dir/zero.log"

	ws=$(count "$a" "$WS" good) w=$(count "$a" "$WRITES" received)
	ok=0
	qemu-io -f raw -c 'write -z -u 3M 1M' "$A0" > "$dir/zero-unmap.log" 2>&1 &&
		! grep -qiE 'fail|error' "$dir/zero-unmap.log" && ok=1
	settle "$a"
	dws=$(delta "$a" "$WS" good "$ws") dw=$(delta "$a" "$WRITES" received "$w")
	m=$(map_of "$A0" 2>>"$dir/map.log" || true)
	settle "$a"
	[ "$dws" -ge 1 ] && [ "$dw" = 0 ] && zero_in "$m" 3 1 || ok=0
	record "write -z -u" "$backend" $ok "$dws WRITE SAME (UNMAP), $dw WRITE; map ${m:-none}" "$dir/zero-unmap.log"

	# 6. discard: UNMAP.
	u=$(count "$a" '^UNMAP$' good)
	ok=0
	qemu-io -f raw -c 'discard 4M 1M' "$A0" > "$dir/discard.log" 2>&1 && ! grep -qiE 'fail|error' "$dir/discard.log" && ok=1
	settle "$a"
	du=$(delta "$a" '^UNMAP$' good "$u")
	m=$(map_of "$A0" 2>>"$dir/map.log" || true)
	settle "$a"
	[ "$du" -ge 1 ] && zero_in "$m" 4 1 || ok=0
	record "discard" "$backend" $ok "$du UNMAP GOOD; map ${m:-none}" "$dir/discard.log"

	# 7. flush: SYNCHRONIZE CACHE. QEMU flushes only what was written since the last flush, and in
	#    writeback mode a write alone sends none: the write, then the flush that must reach the target.
	s=$(count "$a" "$SYNC" good) sc=$(count "$a" "$SYNC" check_condition)
	ok=0
	qemu-io -f raw -t writeback -c 'write -P 0x11 5M 64k' -c 'flush' "$A0" > "$dir/flush.log" 2>&1 &&
		! grep -qiE 'fail|error' "$dir/flush.log" && ok=1
	settle "$a"
	ds=$(delta "$a" "$SYNC" good "$s") dsc=$(delta "$a" "$SYNC" check_condition "$sc")
	[ "$ds" -ge 1 ] && [ "$dsc" = 0 ] || ok=0
	record "flush" "$backend" $ok "$ds SYNCHRONIZE CACHE GOOD, $dsc failed" "$dir/flush.log"

	# 8. A 3 TiB LU: 16-byte CDBs above 2 TiB.
	if [ $big_up = 0 ]; then
		record "3 TiB LU" "$backend" 0 "the target did not start: $(tail -1 "$dir/big.log")"
		continue
	fi
	ok=0
	size=$(qemu-img info --output=json -f raw "$BIG" 2>"$dir/big-info.log" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["virtual-size"])' || echo 0)
	settle "$big"
	r16=$(count "$big" '^READ\(16\)$' good) w16=$(count "$big" '^WRITE\(16\)$' good)
	short=$(count "$big" '^(READ|WRITE)\(10\)$' received)
	qemu-io -f raw -c 'write -P 0x77 2T 1M' -c 'read -P 0x77 2T 1M' -c 'write -z -u 3071G 1M' \
		-c 'read -P 0 3071G 1M' "$BIG" > "$dir/big.log.qemu" 2>&1 && ! grep -qiE 'fail|error' "$dir/big.log.qemu" && ok=1
	settle "$big"
	dr16=$(delta "$big" '^READ\(16\)$' good "$r16") dw16=$(delta "$big" '^WRITE\(16\)$' good "$w16")
	dshort=$(delta "$big" '^(READ|WRITE)\(10\)$' received "$short")
	[ "$size" = $((3 << 40)) ] && [ "$dr16" -ge 1 ] && [ "$dw16" -ge 1 ] && [ "$dshort" = 0 ] || ok=0
	record "3 TiB LU" "$backend" $ok "size $size; $dw16 WRITE(16), $dr16 READ(16), $dshort 10-byte READ/WRITE" "$dir/big.log.qemu"
done

echo
table=("| check | back end | result | evidence |" "|---|---|---|---|" "${rows[@]}")
printf '%s\n' "${table[@]}"
echo
# CHAP: libiscsi's clients and QEMU's driver against a target with an --auth file (its own table).
chap_ok=1
CHAP_BIN=$BIN iscsi/interop/chap.sh | tee $OUT/chap.txt || chap_ok=0
[ $chap_ok = 1 ] || failed=$((failed + 1))
if [ "$failed" != 0 ]; then
	echo "interop: $failed checks failed (logs in $OUT)"
	exit 1
fi
mkdir -p "$(dirname "$REPORT")"
{
	echo "$header"
	echo
	echo "QEMU: $qemu_version; iSCSI driver from qemu-block-extra ($module_version)."
	echo
	printf '%s\n' "${table[@]}"
	echo
	echo "CHAP (iscsi/interop/chap.sh: libiscsi's iscsi-inq and iscsi-ls, and QEMU, against a target with"
	echo "an --auth file; each outcome checked on the client's output and the target's log):"
	echo
	echo '```'
	cat $OUT/chap.txt
	echo '```'
} > "$REPORT.tmp"
mv "$REPORT.tmp" "$REPORT"
echo "interop: every check passed; report in $REPORT"
