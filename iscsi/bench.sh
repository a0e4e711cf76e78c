#!/usr/bin/env bash
# make iscsi-bench: VMware-shaped loads against offload-iscsi (release build; model and fast path back
# ends) and tgt's tgtd on loopback, each figure next to its physical anchor measured in the same run:
#   - anchors (iscsi/examples/anchors.rs): memcpy and memset of the clone size into touched memory, and
#     memset into a fresh mapping (the first-touch cost);
#   - clone: LUN A and LUN B are filled first (B committed, as a provisioned LU is), then A is cloned to
#     B with EXTENDED COPY and with READ + WRITE through the initiator (anchor: memcpy);
#   - eager-zero: WRITE SAME (16) of zeros, UNMAP bit clear (anchor: memset);
#   - UNMAP of a whole 1 TiB thin LU (offload-iscsi's third unit);
#   - ATS heartbeat storm: 8, 64 and 256 sessions each COMPARE AND WRITE their own slot, then 16
#     sessions contending for one lock block (tgtd has no COMPARE AND WRITE);
#   - 4 KiB READ with 32 in flight (iscsi-perf; anchor: tgtd in the same run).
# Each load's peak RSS is the server's VmHWM, reset before the load (clear_refs 5). Prints one table
# (load, target, figure, anchor, ratio, peak RSS) and the clones' host-link bytes: the SCSI data carried
# in Data-In and Data-Out PDUs, as offload-iscsi counts them per connection (tgtd counts nothing: its
# column shows the initiator's count). The same tables go to a Markdown report: iscsi/reports/bench.md
# with the default loads and targets, else target/iscsi-bench/report.md.
#
# usage: iscsi/bench.sh            (make iscsi-bench)
#   BENCH_SECONDS      seconds per timed load (default 3)
#   BENCH_CLONE_BYTES  bytes a clone, eager-zero and anchor cover (default 1 GiB)
#   BENCH_TARGETS      which targets (default "model fastpath tgtd")
#   BENCH_PORT         first loopback port (default 3300)
#   BENCH_REPORT       where the report goes instead
#   BENCH_COMMAND      how the report names the command that wrote it (make passes "make iscsi-bench")
set -euo pipefail
cd "$(dirname "$0")/.."
source iscsi/servers.sh

BIN=target/release/offload-iscsi
LOAD=target/release/examples/load
ANCHORS=target/release/examples/anchors
OUT=target/iscsi-bench
SECS=${BENCH_SECONDS:-3}
CLONE=${BENCH_CLONE_BYTES:-1073741824}
TARGETS=${BENCH_TARGETS:-model fastpath tgtd}
PORT=${BENCH_PORT:-3300}
IQN=iqn.2026-11.org.offload:target
PEER_IQN=iqn.2026-11.org.offload:tgtd
BENCH_INITIATOR=iqn.2026-11.org.offload:bench
if [ -n "${BENCH_REPORT:-}" ]; then
	REPORT=$BENCH_REPORT
elif [ -z "${BENCH_SECONDS:-}${BENCH_CLONE_BYTES:-}${BENCH_TARGETS:-}" ]; then
	REPORT=$(tools/report.sh --path iscsi/reports/bench.md)
else
	REPORT=$OUT/report.md
fi
COMMAND=${BENCH_COMMAND:-$(for v in BENCH_SECONDS BENCH_CLONE_BYTES BENCH_TARGETS; do
	[ -z "${!v:-}" ] || printf '%s="%s" ' $v "${!v}"; done)iscsi/bench.sh}

for tool in iscsi-perf perl; do
	command -v $tool >/dev/null || { echo "iscsi-bench: $tool is missing (make setup installs it)"; exit 1; }
done
for f in $BIN $LOAD $ANCHORS; do [ -x $f ] || { echo "iscsi-bench: $f is missing (make iscsi-bench builds it)"; exit 1; }; done

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
		$BIN serve --backend "$1" --listen 127.0.0.1:"$2" --unit thick:$CLONE --unit thick:$CLONE --unit thin:1TiB > "$LOG" 2>&1 &
		server=$!
		wait_port "$2"
		NAME=$IQN SRC=0 DST=1 THIN=2
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

# The server's peak resident memory: reset before a load, read after it.
rss_reset() { echo 5 > /proc/"$server"/clear_refs; }
rss_peak() { awk '/^VmHWM/ { printf "%.0f MiB", $2 / 1024 }' /proc/"$server"/status; }

# seconds / anchor seconds, or - when either is missing.
ratio() { perl -e 'printf(($ARGV[0] =~ /^[\d.]+$/ && $ARGV[1] > 0) ? "%.2f" : "-", $ARGV[0] / ($ARGV[1] || 1))' "$1" "$2"; }

# measure TAG LOAD-ARGS...: runs the load example with the peak RSS reset first; sets R (its result
# line, empty when it failed) and RSS; a failure goes to the notes.
measure() {
	local tag=$1
	shift
	rss_reset
	if R=$(load "$tag" "$@" 2>$OUT/$t-$tag.err); then :; else
		R=""
		echo "  $label $tag: $(cat $OUT/$t-$tag.err)" >> $OUT/notes.txt
	fi
	RSS=$(rss_peak)
}

results=$OUT/results.txt
clones=$OUT/clones.txt
: > $results
: > $clones
gib="$((CLONE >> 20)) MiB"
anchors=$($ANCHORS --bytes "$CLONE")
memcpy=$(sed -n 's/^memcpy=//p' <<<"$anchors")
memset=$(sed -n 's/^memset=//p' <<<"$anchors")
first_touch=$(sed -n 's/^memset_first_touch=//p' <<<"$anchors")
row "anchor: memcpy $gib (touched, median)" host "$memcpy s" - - - >> $results
row "anchor: memset $gib (touched, median)" host "$memset s" - - - >> $results
row "anchor: memset $gib (fresh mapping)" host "$first_touch s" "memset" "$(ratio "$first_touch" "$memset")" - >> $results
port=$PORT
for t in $TARGETS; do
	label=$t
	[ "$t" = tgtd ] || label="offload/$t"
	echo "iscsi-bench: $label on 127.0.0.1:$port"
	loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
	start_target "$t" "$port"
	# The source holds data, so that the clones copy real blocks; the destination is written too, so that
	# its memory is committed as a provisioned LU's is (no first touch in the clone).
	load fill-a --lun "$SRC" --op fill --clone-bytes "$CLONE" >/dev/null
	load fill-b --lun "$DST" --op fill --clone-bytes "$CLONE" >/dev/null
	declare -A secs=()
	for op in clone-xcopy clone-rw; do
		method="EXTENDED COPY"
		[ "$op" = clone-rw ] && method="READ + WRITE"
		measure "$op" --lun "$SRC" --dest-lun "$DST" --op "$op" --clone-bytes "$CLONE"
		if [ -n "$R" ]; then
			secs[$op]=$(field seconds "$R")
			row "clone $gib, $method" "$label" "${secs[$op]} s" memcpy "$(ratio "${secs[$op]}" "$memcpy")" "$RSS" >> $results
			initiator_bytes=$(( $(field data_in "$R") + $(field data_out "$R") ))
			row "$label" "$method" "${secs[$op]}" "$(field commands "$R")" "$initiator_bytes" "@$op" >> $clones
		else
			row "clone $gib, $method" "$label" "not supported" memcpy - "$RSS" >> $results
			row "$label" "$method" - - "not supported" - >> $clones
		fi
	done
	if [ -n "${secs[clone-xcopy]:-}" ] && [ -n "${secs[clone-rw]:-}" ]; then
		row "clone $gib, EXTENDED COPY speed-up" "$label" "$(ratio "${secs[clone-rw]}" "${secs[clone-xcopy]}")x" \
			"READ + WRITE" "$(ratio "${secs[clone-rw]}" "${secs[clone-xcopy]}")" - >> $results
	fi
	measure eager-zero --lun "$SRC" --op eager-zero --clone-bytes "$CLONE"
	if [ -n "$R" ]; then
		s=$(field seconds "$R")
		row "eager-zero $gib, WRITE SAME (16)" "$label" "$s s, $(field commands "$R") commands" memset "$(ratio "$s" "$memset")" "$RSS" >> $results
	else
		row "eager-zero $gib, WRITE SAME (16)" "$label" "not supported" memset - "$RSS" >> $results
	fi
	if [ "$t" != tgtd ]; then
		measure unmap-all --lun "$THIN" --op unmap-all
		if [ -n "$R" ]; then
			row "UNMAP all of a 1 TiB thin LU" "$label" "$(field seconds "$R") s, $(field commands "$R") commands" - - "$RSS" >> $results
		else
			row "UNMAP all of a 1 TiB thin LU" "$label" "refused (see notes)" - - "$RSS" >> $results
		fi
		for n in 8 64 256 16c; do
			args=(--sessions "${n%c}")
			name="ATS heartbeat, $n sessions"
			[ "$n" = 16c ] && { args+=(--contend); name="ATS lock contention, 16 sessions"; }
			measure "heartbeat-$n" --lun "$SRC" --op heartbeat --seconds "$SECS" "${args[@]}"
			if [ -n "$R" ]; then
				figure="$(field caw_per_s "$R") CAW/s"
				[ "$n" = 16c ] && figure="$figure ($(field miscompares "$R") MISCOMPAREs)"
				figure="$figure; p50 $(field p50_us "$R") µs, p99 $(field p99_us "$R") µs, max $(field max_us "$R") µs"
				figure="$figure; fairness $(field fairness "$R")"
				refused=$(field refused "$R")
				[ "$refused" = 0 ] || figure="$figure; $refused sessions refused at login (ran with $(field sessions "$R"))"
				row "$name" "$label" "$figure" - - "$RSS" >> $results
			else
				row "$name" "$label" "failed (see notes)" - - "$RSS" >> $results
			fi
		done
	fi
	rss_reset
	perf=$(timeout $((SECS + 20)) iscsi-perf -t "$SECS" -m 32 -b 8 "iscsi://127.0.0.1:$port/$NAME/$SRC" 2>&1 | tr '\r' '\n' |
		sed -n 's/.*iops average \([0-9]*\) (\([0-9]*\) MB\/s).*/\1 \2/p' | tail -1)
	anchor=tgtd
	[ "$t" = tgtd ] && anchor=-
	row "4 KiB READ, 32 in flight (iscsi-perf)" "$label" "${perf% *} IOPS" "$anchor" "@perf:${perf% *}" "$(rss_peak)" >> $results
	[ "$t" = tgtd ] && tgtd_iops=${perf% *}
	stop_server
	# The target's own count, now that every connection has closed and logged it.
	for op in clone-xcopy clone-rw; do
		if [ "$t" = tgtd ]; then count="(no counter)"; else count=$(target_bytes "$op"); fi
		sed -i "s|@$op\$|$count|" $clones
	done
	port=$((port + 1))
done
# The READ ratio against tgtd, now that tgtd has run (or - when it did not).
TGTD=${tgtd_iops:-} perl -i -pe 's/\t\@perf:(\d*)\t/"\t" . (($1 && $ENV{TGTD} && !m{^[^\t]*\ttgtd\t}) ? sprintf("%.2f", $1 \/ $ENV{TGTD}) : "-") . "\t"/e' \
	$results
echo
say "Load average before the last measurement: $loadavg (the IOPS of a busy machine vary widely: compare"
say "within one run only; the host-link bytes are exact)."
say
say "VMware-shaped loads on loopback, $SECS s per timed load; ratio = figure / anchor (READ: offload IOPS /"
say "tgtd IOPS). The clone's destination was written before the clone (committed memory, as a provisioned"
say "LU's is); the fresh-mapping memset shows what writing never-touched memory costs on top. Peak RSS: the"
say "server's VmHWM during that load alone (the units' memory written before it included)."
say
{ row load target figure anchor ratio "peak RSS"; cat $results; } > $OUT/loads.tsv
show $OUT/loads.tsv
echo
say "Host-link bytes of the clones ($((CLONE >> 20)) MiB, 4 MiB per command):"
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
