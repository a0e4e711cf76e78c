#!/usr/bin/env bash
# make iscsi-bench: offload-iscsi (release build; model and fast path back ends) and tgt's tgtd on
# loopback, each with two 1 GiB units, under the same loads:
#   - READ: iscsi-perf (libiscsi, 32 commands in flight) and the kit's load example (sessions x 1);
#   - WRITE and COMPARE AND WRITE: the load example (iscsi-perf only reads);
#   - cloning 1 GiB from LUN A to LUN B with EXTENDED COPY, and with READ + WRITE through the initiator.
# Prints IOPS and MB/s per target and operation, and the clone's host-link bytes: the SCSI data carried
# in Data-In and Data-Out PDUs, as offload-iscsi counts them per connection (tgtd counts nothing: its
# column shows the initiator's count, which is the same bytes seen from the other end). The same tables
# go to a Markdown report: iscsi/reports/bench.md with the default loads and targets, else
# target/iscsi-bench/report.md.
#
# usage: iscsi/bench.sh            (make iscsi-bench)
#   BENCH_SECONDS      seconds per timed load (default 3)
#   BENCH_SESSIONS     sessions of the load example (default 4)
#   BENCH_CLONE_BYTES  bytes a clone copies (default 1 GiB)
#   BENCH_TARGETS      which targets (default "model fastpath tgtd")
#   BENCH_PORT         first loopback port (default 3300)
#   BENCH_REPORT       where the report goes instead
#   BENCH_COMMAND      how the report names the command that wrote it (make passes "make iscsi-bench")
set -euo pipefail
cd "$(dirname "$0")/.."
source iscsi/servers.sh

BIN=target/release/offload-iscsi
LOAD=target/release/examples/load
OUT=target/iscsi-bench
SECS=${BENCH_SECONDS:-3}
SESSIONS=${BENCH_SESSIONS:-4}
CLONE=${BENCH_CLONE_BYTES:-1073741824}
TARGETS=${BENCH_TARGETS:-model fastpath tgtd}
PORT=${BENCH_PORT:-3300}
IQN=iqn.2026-11.org.offload:target
PEER_IQN=iqn.2026-11.org.offload:tgtd
BENCH_INITIATOR=iqn.2026-11.org.offload:bench
if [ -n "${BENCH_REPORT:-}" ]; then
	REPORT=$BENCH_REPORT
elif [ -z "${BENCH_SECONDS:-}${BENCH_SESSIONS:-}${BENCH_CLONE_BYTES:-}${BENCH_TARGETS:-}" ]; then
	REPORT=$(tools/report.sh --path iscsi/reports/bench.md)
else
	REPORT=$OUT/report.md
fi
COMMAND=${BENCH_COMMAND:-$(for v in BENCH_SECONDS BENCH_SESSIONS BENCH_CLONE_BYTES BENCH_TARGETS; do
	[ -z "${!v:-}" ] || printf '%s="%s" ' $v "${!v}"; done)iscsi/bench.sh}

for tool in iscsi-perf perl; do
	command -v $tool >/dev/null || { echo "iscsi-bench: $tool is missing (make setup installs it)"; exit 1; }
done
for f in $BIN $LOAD; do [ -x $f ] || { echo "iscsi-bench: $f is missing (make iscsi-bench builds it)"; exit 1; }; done

header=$(tools/report.sh --header "$COMMAND")
rm -rf $OUT
mkdir -p $OUT
server=""
# The server this script started (one at a time) is stopped when it is done with, or when it ends.
stop_server() {
	[ -z "$server" ] || stop_servers "$server"
	server=""
}
trap stop_server EXIT

# Starts target $1 on port $2; sets NAME, SRC and DST (the LUNs), LOG.
start_target() {
	LOG=$OUT/$1.log
	if [ "$1" = tgtd ]; then
		command -v tgtd >/dev/null || { echo "iscsi-bench: tgtd is missing (make setup-peer installs tgt)"; return 1; }
		truncate -s "$CLONE" $OUT/tgtd-a.img $OUT/tgtd-b.img
		tgtd -f -C "$2" --iscsi portal=127.0.0.1:"$2" > "$LOG" 2>&1 &
		server=$!
		wait_port "$2"
		local control=$2
		adm() { tgtadm -C "$control" --lld iscsi "$@"; }
		for _ in $(seq 1 50); do adm --mode target --op show >/dev/null 2>&1 && break; sleep 0.1; done
		adm --mode target --op new --tid 1 --targetname $PEER_IQN
		adm --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$PWD/$OUT/tgtd-a.img"
		adm --mode logicalunit --op new --tid 1 --lun 2 --backing-store "$PWD/$OUT/tgtd-b.img"
		adm --mode target --op bind --tid 1 --initiator-address ALL
		NAME=$PEER_IQN SRC=1 DST=2
	else
		# Verbosity 1: one line per connection, with its host-link bytes.
		$BIN serve --backend "$1" --listen 127.0.0.1:"$2" --unit thick:$CLONE --unit thick:$CLONE > "$LOG" 2>&1 &
		server=$!
		wait_port "$2"
		NAME=$IQN SRC=0 DST=1
	fi
}

# The load example, with its own initiator name per measurement (the target's log lines carry it).
load() {
	local tag=$1
	shift
	$LOAD --portal 127.0.0.1:"$port" --target "$NAME" --initiator "$BENCH_INITIATOR-$tag" "$@"
}

# One tab-separated row of a result table.
row() { local IFS=$'\t'; echo "$*"; }

# Prints a line, and appends it to $OUT/results.md.
say() {
	echo "$*"
	echo "$*" >> $OUT/results.md
}

# Prints a tab-separated table aligned (widths per column), and appends it to $OUT/results.md.
show() {
	perl -F'\t' -lane 'push @r, [@F]; for $i (0..$#F) { $w[$i] = length $F[$i] if length $F[$i] > ($w[$i] // 0) }
		END { for $r (@r) { print join "  ", map { sprintf "%-*s", $w[$_], $r->[$_] } 0..$#$r } }' "$@"
	perl -F'\t' -lane 'print "| ", join(" | ", @F), " |"; print "|", "---|" x @F if $. == 1' "$@" >> $OUT/results.md
	echo >> $OUT/results.md
}

# key=value from a load result line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# Host-link bytes offload-iscsi logged for the connections of measurement $1.
target_bytes() {
	perl -ne 'BEGIN { $t = 0 } if (/\Q'"$BENCH_INITIATOR-$1"'\E\).*host link: Data-Out (\d+) bytes, Data-In (\d+) bytes/) { $t += $1 + $2 } END { print $t }' "$LOG"
}

results=$OUT/results.txt
clones=$OUT/clones.txt
: > $results
: > $clones
port=$PORT
for t in $TARGETS; do
	label=$t
	[ "$t" = tgtd ] || label="offload/$t"
	echo "iscsi-bench: $label on 127.0.0.1:$port"
	loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
	start_target "$t" "$port"
	# Give the source data, so that the clones copy real blocks (WRITE SAME: one block on the wire).
	load fill --lun "$SRC" --op fill --clone-bytes "$CLONE" >/dev/null
	perf=$(timeout $((SECS + 20)) iscsi-perf -t "$SECS" -m 32 -b 8 "iscsi://127.0.0.1:$port/$NAME/$SRC" 2>&1 | tr '\r' '\n' |
		sed -n 's/.*iops average \([0-9]*\) (\([0-9]*\) MB\/s).*/\1 \2/p' | tail -1)
	row "$label" read "iscsi-perf, 32 in flight" "${perf% *}" "${perf#* }" >> $results
	for op in read write caw; do
		name=$op
		[ "$op" = caw ] && name="compare-and-write"
		if r=$(load "$op" --lun "$SRC" --op "$op" --seconds "$SECS" --sessions "$SESSIONS" 2>$OUT/$t-$op.err); then
			row "$label" "$name" "load, $SESSIONS sessions x 1" "$(field iops "$r")" "$(field mb_per_s "$r")" >> $results
		else
			row "$label" "$name" "load, $SESSIONS sessions x 1" "not supported" - >> $results
			echo "  $label $name: $(cat $OUT/$t-$op.err)" >> $OUT/notes.txt
		fi
	done
	for op in clone-xcopy clone-rw; do
		method="EXTENDED COPY"
		[ "$op" = clone-rw ] && method="READ + WRITE"
		if r=$(load "$op" --lun "$SRC" --dest-lun "$DST" --op "$op" --clone-bytes "$CLONE" 2>$OUT/$t-$op.err); then
			initiator_bytes=$(( $(field data_in "$r") + $(field data_out "$r") ))
			row "$label" "$method" "$(field seconds "$r")" "$(field commands "$r")" "$initiator_bytes" "@$op" >> $clones
		else
			row "$label" "$method" - - "not supported" - >> $clones
			echo "  $label $method: $(cat $OUT/$t-$op.err)" >> $OUT/notes.txt
		fi
	done
	stop_server
	# The target's own count, now that every connection has closed and logged it.
	for op in clone-xcopy clone-rw; do
		if [ "$t" = tgtd ]; then count="(no counter)"; else count=$(target_bytes "$op"); fi
		sed -i "s|@$op\$|$count|" $clones
	done
	port=$((port + 1))
done

echo
say "Load average before the last measurement: $loadavg (the IOPS of a busy machine vary widely: compare"
say "within one run only; the host-link bytes are exact)."
say
say "Throughput on loopback: 4 KiB READ / WRITE (8 blocks of 512 bytes), 1-block COMPARE AND WRITE, $SECS s"
say "each (MB/s: SCSI data on the host link — Data-In for reads, Data-Out for writes and COMPARE AND WRITE):"
say
{ row target operation load IOPS MB/s; cat $results; } > $OUT/throughput.tsv
show $OUT/throughput.tsv
echo
say "Cloning $((CLONE >> 20)) MiB from one unit to another, 4 MiB per command:"
say
{ row target method seconds commands "host-link bytes (initiator)" "host-link bytes (target)"; cat $clones; } > $OUT/clone.tsv
show $OUT/clone.tsv
if [ -s $OUT/notes.txt ]; then
	echo
	echo "notes:"
	cat $OUT/notes.txt
	{ echo "Notes:"; echo; echo '```text'; cat $OUT/notes.txt; echo '```'; } >> $OUT/results.md
fi
mkdir -p "$(dirname "$REPORT")"
{ echo "$header"; echo; cat $OUT/results.md; } > "$REPORT.tmp"
mv "$REPORT.tmp" "$REPORT"
echo
echo "(tables in Markdown: $REPORT)"
