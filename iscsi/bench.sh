#!/usr/bin/env bash
# make iscsi-bench: VMware-shaped loads against offload-iscsi (release build; model and fast path back
# ends) and tgt's tgtd on loopback, each figure next to its physical anchor measured in the same run:
#   - anchors (iscsi/examples/anchors.rs): memcpy and memset of the clone size into touched memory
#     (median of BENCH_REPEATS runs), and memset into a fresh mapping (the first-touch cost);
#   - clone: LUN A and LUN B are filled first (B committed, as a provisioned LU is), then A is cloned to
#     B with EXTENDED COPY (BENCH_REPEATS times) and with READ + WRITE through the initiator
#     (BENCH_RW_REPEATS times); the median is the figure, the ratio is the medians' (anchor: memcpy);
#   - eager-zero: WRITE SAME (16) of zeros, UNMAP bit clear, BENCH_REPEATS times (anchor: memset);
#   - UNMAP of a whole 1 TiB thin LU (offload-iscsi's third unit; tgtd: a sparse 1 TiB file, LUN 3,
#     thin_provisioning=1, partly written first, its allocated bytes shown; again in 2 GiB descriptors);
#   - the heartbeat's floor (iscsi/examples/pingpong.rs), right before the first heartbeat rows: 8, 64
#     and 256 connections ping-ponging heartbeat-sized messages with an echo server doing no SCSI work
#     (a thread per connection, and an epoll loop per core: the shape of offload-iscsi serve);
#   - ATS heartbeat storm: 8, 64 and 256 sessions each COMPARE AND WRITE their own slot (anchor: the
#     floor of the server's shape, epoll, at as many connections), then 16 sessions contending for one lock block (tgtd
#     has no COMPARE AND WRITE);
#   - one LU pair shared by 2 hosts: the clone and the eager-zero again from 2 sessions at once, each
#     over its own half (anchor: the same work from 1 session, above), and 2 sessions WRITEing 256 KiB
#     commands, each in a range of its own of one LU (anchor: the same 2 sessions each on an LU of its
#     own, which share nothing) - with the target's count of the commands that ran beside another on
#     their unit (offload-iscsi: from its log);
#   - 4 KiB READ with 32 in flight (iscsi-perf; anchor: tgtd in the same run).
# Each load's peak RSS is the server's VmHWM, reset before the load (clear_refs 5). Prints one table
# (load, target, figure, anchor, ratio, peak RSS) and the clones' host-link bytes: the SCSI data carried
# in Data-In and Data-Out PDUs, as offload-iscsi counts them per connection (tgtd counts nothing: its
# column shows the initiator's count). The same tables go to a Markdown report: iscsi/reports/bench.md
# with the default loads and targets, else target/iscsi-bench/report.md.
#
# usage: iscsi/bench.sh            (make iscsi-bench)
#   BENCH_SECONDS      seconds per timed load, the floor's included (default 3)
#   BENCH_REPEATS      runs of the memcpy and memset anchors, EXTENDED COPY and WRITE SAME (default 5)
#   BENCH_RW_REPEATS   runs of the READ + WRITE clone (default 3)
#   BENCH_LOOP_PRIORITY  SCHED_FIFO priority of the heartbeat rows run again with real-time worker loops
#                      (serve --loop-priority) against a floor at the same priority (default 10 where
#                      the machine allows it; empty: no such rows)
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
PINGPONG=target/release/examples/pingpong
OUT=target/iscsi-bench
SECS=${BENCH_SECONDS:-3}
REPEATS=${BENCH_REPEATS:-5}
if [ -z "${BENCH_LOOP_PRIORITY+set}" ]; then
	chrt -f 10 true 2>/dev/null && BENCH_LOOP_PRIORITY=10 || BENCH_LOOP_PRIORITY=
fi
LOOP_PRIORITY=$BENCH_LOOP_PRIORITY
RW_REPEATS=${BENCH_RW_REPEATS:-3}
CLONE=${BENCH_CLONE_BYTES:-1073741824}
TARGETS=${BENCH_TARGETS:-model fastpath tgtd}
PORT=${BENCH_PORT:-3300}
IQN=iqn.2026-11.org.offload:target
PEER_IQN=iqn.2026-11.org.offload:tgtd
BENCH_INITIATOR=iqn.2026-11.org.offload:bench
if [ -n "${BENCH_REPORT:-}" ]; then
	REPORT=$BENCH_REPORT
elif [ -z "${BENCH_SECONDS:-}${BENCH_CLONE_BYTES:-}${BENCH_TARGETS:-}${BENCH_REPEATS:-}${BENCH_RW_REPEATS:-}" ]; then
	REPORT=$(tools/report.sh --path iscsi/reports/bench.md)
else
	REPORT=$OUT/report.md
fi
COMMAND=${BENCH_COMMAND:-$(for v in BENCH_SECONDS BENCH_CLONE_BYTES BENCH_TARGETS BENCH_REPEATS BENCH_RW_REPEATS; do
	[ -z "${!v:-}" ] || printf '%s="%s" ' $v "${!v}"; done)iscsi/bench.sh}

for tool in iscsi-perf perl; do
	command -v $tool >/dev/null || { echo "iscsi-bench: $tool is missing (make setup installs it)"; exit 1; }
done
for f in $BIN $LOAD $ANCHORS $PINGPONG; do [ -x $f ] || { echo "iscsi-bench: $f is missing (make iscsi-bench builds it)"; exit 1; }; done

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

# Starts target $1 on port $2 (offload-iscsi: with the further serve arguments after them); sets NAME,
# SRC and DST (the LUNs), LOG.
start_target() {
	LOG=$OUT/$1.log
	if [ "$1" = tgtd ]; then
		command -v tgtd >/dev/null || { echo "iscsi-bench: tgtd is missing (make setup-peer installs tgt)"; return 1; }
		truncate -s "$CLONE" $OUT/tgtd-a.img $OUT/tgtd-b.img
		truncate -s 1T $OUT/tgtd-thin.img
		tgtd -f -C "$2" --iscsi portal=127.0.0.1:"$2" > "$LOG" 2>&1 &
		server=$!
		wait_port "$2"
		local control=$2
		adm() { tgtadm -C "$control" --lld iscsi "$@"; }
		for _ in $(seq 1 50); do adm --mode target --op show >/dev/null 2>&1 && break; sleep 0.1; done
		adm --mode target --op new --tid 1 --targetname $PEER_IQN
		adm --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$PWD/$OUT/tgtd-a.img"
		adm --mode logicalunit --op new --tid 1 --lun 2 --backing-store "$PWD/$OUT/tgtd-b.img"
		# A sparse file, thin-provisioned: tgtd then reports logical block provisioning and answers UNMAP
		# by punching holes (FALLOC_FL_PUNCH_HOLE).
		adm --mode logicalunit --op new --tid 1 --lun 3 --backing-store "$PWD/$OUT/tgtd-thin.img"
		adm --mode logicalunit --op update --tid 1 --lun 3 --params thin_provisioning=1
		adm --mode target --op bind --tid 1 --initiator-address ALL
		NAME=$PEER_IQN SRC=1 DST=2 THIN=3
	else
		# Verbosity 1: one line per connection, with its host-link bytes.
		$BIN serve --backend "$1" --listen 127.0.0.1:"$2" --unit thick:$CLONE --unit thick:$CLONE --unit thin:1TiB \
			"${@:3}" > "$LOG" 2>&1 &
		server=$!
		wait_port "$2"
		# What serve set for itself when it ran itself again (the copies it streams; see the README).
		SERVE_TUNABLES=$(tr '\0' '\n' < /proc/$server/environ | sed -n 's/^GLIBC_TUNABLES=//p')
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

# The count of commands that ran beside another on their unit, as offload-iscsi logged it when the last
# connection of measurement $1 closed (0 for none).
target_beside() {
	perl -ne 'if (/\Q'"$BENCH_INITIATOR-$1"'\E\).*target: (\d+) commands so far ran beside/) { $n = $1 } END { print $n // 0 }' "$LOG"
}

# Replaces each @beside:BEFORE:AFTER@ in $results with the commands that ran beside another between
# measurements BEFORE and AFTER (once the server has stopped and logged every connection).
fill_beside() {
	local p before after
	for p in $(grep -o '@beside:[^@]*@' $results | sort -u); do
		IFS=: read -r _ before after <<<"${p//@/}"
		sed -i "s|$p|$(( $(target_beside "$after") - $(target_beside "$before") )) commands ran beside another|" $results
	done
}

# Host-link bytes offload-iscsi logged for the connections of measurement $1.
target_bytes() {
	perl -ne 'BEGIN { $t = 0 } if (/\Q'"$BENCH_INITIATOR-$1"'\E\).*host link: Data-Out (\d+) bytes, Data-In (\d+) bytes/) { $t += $1 + $2 } END { print $t }' "$LOG"
}

# The server's peak resident memory: reset before a load, read after it.
rss_reset() { echo 5 > /proc/"$server"/clear_refs; }
rss_peak() { awk '/^VmHWM/ { printf "%.0f MiB", $2 / 1024 }' /proc/"$server"/status; }

# seconds / anchor seconds, or - when either is missing.
ratio() { perl -e 'printf(($ARGV[0] =~ /^[\d.]+$/ && $ARGV[1] > 0) ? "%.2f" : "-", $ARGV[0] / ($ARGV[1] || 1))' "$1" "$2"; }

# median MIN MAX of the numbers given.
spread() { perl -e '@s = sort { $a <=> $b } @ARGV; $n = @s; printf "%s %s %s", ($n % 2 ? $s[$n / 2] : sprintf("%.6f", ($s[$n / 2 - 1] + $s[$n / 2]) / 2)), $s[0], $s[-1]' "$@"; }

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

# measure_repeated COUNT TAG LOAD-ARGS...: runs the load COUNT times (tags TAG-1, TAG-2, ...; the first
# failure ends it); sets R (the first run's result line, empty when a run failed), MEDIAN (seconds),
# RUNS ("median of N, min–max s") and RSS (the peak over all runs).
measure_repeated() {
	local count=$1 tag=$2 i first="" all=()
	shift 2
	rss_reset
	for i in $(seq 1 "$count"); do
		if R=$(load "$tag-$i" "$@" 2>$OUT/$t-$tag.err); then :; else
			R=""
			echo "  $label $tag: $(cat $OUT/$t-$tag.err)" >> $OUT/notes.txt
			break
		fi
		[ -n "$first" ] || first=$R
		all+=("$(field seconds "$R")")
	done
	RSS=$(rss_peak)
	[ -z "$R" ] || R=$first
	MEDIAN="" RUNS=""
	if [ -n "$R" ]; then
		read -r MEDIAN lo hi <<<"$(spread "${all[@]}")"
		RUNS="median of $count, $lo–$hi s"
	fi
}

# unmap_row NAME TAG [LOAD-ARGS...]: UNMAP of the whole thin LU, each command as large as the Block
# Limits page allows; a row saying what was sent (commands, descriptors, the largest descriptor's blocks,
# the page's limits), or the refusal's status and sense. On tgtd, whose LU is a file, the first
# $THIN_FILL bytes are written first and the row adds the file's allocated bytes before and after: tgtd
# 1.0.85 answers GOOD to a descriptor of 2^32 bytes or more yet punches no hole (the byte length seems
# to wrap at 32 bits: 8388608 blocks of 512 bytes punch nothing, 4194304 punch), so GOOD alone proves
# nothing there.
TGTD_DESCRIPTOR_BLOCKS=4194304
declare -A UNMAP_KEPT=() UNMAP_SENT=() # tag: yes when tgtd's file kept every block it had; what was sent
THIN_FILL=$((64 << 20))
unmap_row() {
	local name=$1 tag=$2 figure before=""
	shift 2
	if [ "$t" = tgtd ]; then
		load "fill-$tag" --lun "$THIN" --op fill --clone-bytes $THIN_FILL >/dev/null
		before=$(allocated $OUT/tgtd-thin.img)
	fi
	measure "$tag" --lun "$THIN" --op unmap-all "$@"
	if [ -n "$R" ]; then
		figure="$(field seconds "$R") s, $(field commands "$R") commands of $(field descriptors "$R") descriptors"
		figure="$figure (largest $(field largest_descriptor_blocks "$R") blocks; Block Limits: MAXIMUM UNMAP LBA COUNT"
		figure="$figure $(field max_unmap_lba_count "$R"), MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT $(field max_unmap_descriptors "$R"))"
	else
		figure="refused: $(sed -n 's/.*\(status .*\)"*$/\1/p' $OUT/$t-$tag.err | tr -d '"' | head -1)"
	fi
	if [ -n "$before" ]; then
		[ -z "$R" ] || UNMAP_SENT[$tag]="$(field commands "$R") command(s) with $(field descriptors "$R") descriptor(s), the largest of $(field largest_descriptor_blocks "$R") blocks"
		UNMAP_KEPT[$tag]=$([ "$(allocated $OUT/tgtd-thin.img)" = "$before" ] && echo yes || echo no)
		figure="$figure; file allocated: $before before (after a $((THIN_FILL >> 20)) MiB write), $(allocated $OUT/tgtd-thin.img) after"
	fi
	row "$name" "$label" "$figure" - - "$RSS" >> $results
}

# The bytes a file has allocated (its blocks, not its size), in MiB.
allocated() { stat -c '%b %B' "$1" | awk '{ printf "%.1f MiB", $1 * $2 / 1048576 }'; }

# The heartbeat's floor: pingpong at 8, 64 and 256 connections, both server shapes; rows to $results,
# FLOOR[n] the epoll shape's ops/s at n connections (the heartbeat rows' anchor: offload-iscsi serve's
# shape), THREADS_FLOOR[n] the thread-per-connection shape's, RT_FLOOR[n] the epoll shape's with its
# threads at SCHED_FIFO $LOOP_PRIORITY (the anchor of the heartbeat rows with real-time loops).
declare -A FLOOR=() THREADS_FLOOR=() RT_FLOOR=()
measure_floor() {
	local n shape p ops priority what
	for n in 8 64 256; do
		for shape in threads epoll ${LOOP_PRIORITY:+epoll-rt}; do
			priority=() what=$shape
			[ $shape = epoll-rt ] && priority=(--loop-priority "$LOOP_PRIORITY") what="epoll, SCHED_FIFO $LOOP_PRIORITY"
			if p=$($PINGPONG --shape ${shape%-rt} "${priority[@]}" --connections $n --seconds "$SECS" 2>$OUT/pingpong.err); then
				ops=$(field ops_per_s "$p")
				row "anchor: loopback ping-pong, $n connections, $what" host \
					"$ops ops/s; p50 $(field p50_us "$p") µs, p99 $(field p99_us "$p") µs, max $(field max_us "$p") µs; fairness $(field fairness "$p")" \
					- - - >> $results
				case $shape in
				epoll) FLOOR[$n]=$ops ;;
				epoll-rt) RT_FLOOR[$n]=$ops ;;
				*) THREADS_FLOOR[$n]=$ops ;;
				esac
			else
				row "anchor: loopback ping-pong, $n connections, $what" host "failed (see notes)" - - - >> $results
				echo "  pingpong $what $n: $(cat $OUT/pingpong.err)" >> $OUT/notes.txt
			fi
		done
	done
}

# heartbeat_rows TAG-SUFFIX NAME-SUFFIX FLOORS ANCHOR: the heartbeat rows of the target now running (8, 64
# and 256 sessions on their own slots, 16 contending), each against FLOORS[n] (an array's name), the
# floor named ANCHOR.
heartbeat_rows() {
	local suffix=$1 what=$2 anchor=$4 n args name figure refused floor
	local -n floors=$3
	for n in 8 64 256 16c; do
		args=(--sessions "${n%c}")
		name="ATS heartbeat, $n sessions$what"
		[ "$n" = 16c ] && { args+=(--contend); name="ATS lock contention, 16 sessions$what"; }
		measure "heartbeat-$n$suffix" --lun "$SRC" --op heartbeat --seconds "$SECS" "${args[@]}"
		if [ -n "$R" ]; then
			figure="$(field caw_per_s "$R") CAW/s"
			[ "$n" = 16c ] && figure="$figure ($(field miscompares "$R") MISCOMPAREs)"
			figure="$figure; p50 $(field p50_us "$R") µs, p99 $(field p99_us "$R") µs, max $(field max_us "$R") µs"
			figure="$figure; fairness $(field fairness "$R")"
			refused=$(field refused "$R")
			[ "$refused" = 0 ] || figure="$figure; $refused sessions refused at login (ran with $(field sessions "$R"))"
			floor=${floors[${n%c}]:-}
			if [ "$n" != 16c ] && [ -n "$floor" ]; then
				# CAW/s / the floor's ops/s: the share of what the machine's loopback allows.
				row "$name" "$label" "$figure" "ping-pong $n ($anchor)" \
					"$(ratio "$(field caw_per_s "$R")" "$floor")" "$RSS" >> $results
			else
				row "$name" "$label" "$figure" - - "$RSS" >> $results
			fi
		else
			row "$name" "$label" "failed (see notes)" - - "$RSS" >> $results
		fi
	done
}

# What the target counted as run beside another command on its unit between measurements $1 and $2 (a
# placeholder, filled in by fill_beside).
beside() { if [ "$t" = tgtd ]; then echo "(no counter)"; else echo "@beside:$1:$2@"; fi; }

# The LU pair shared by 2 hosts: the clone and the eager-zero from 2 sessions at once (a half each)
# against the same from 1 session ($1: the clone's median, $2: the eager-zero's), and 2 sessions writing
# their own ranges of one LU against the same 2 sessions on 2 LUs.
shared_lu_rows() {
	local one_host_clone=$1 one_host_zero=$2 one own rss name
	name="clone $gib, EXTENDED COPY, 2 hosts at once (a half each)"
	# The eager-zero zeroed the source: data again, as the 1-host clone copied (the model stores no zeros).
	load fill-a-again --lun "$SRC" --op fill --clone-bytes "$CLONE" >/dev/null
	measure_repeated "$REPEATS" clone-xcopy-2 --lun "$SRC" --dest-lun "$DST" --op clone-xcopy --clone-bytes "$CLONE" \
		--parallel 2
	if [ -n "$R" ] && [ -n "$one_host_clone" ]; then
		row "$name" "$label" "$MEDIAN s ($RUNS); $(beside eager-zero-$REPEATS clone-xcopy-2-$REPEATS)" \
			"1 host: $one_host_clone s" "$(ratio "$MEDIAN" "$one_host_clone")" "$RSS" >> $results
	else
		row "$name" "$label" "not supported" - - "$RSS" >> $results
	fi
	name="eager-zero $gib, WRITE SAME (16), 2 hosts at once (a half each)"
	measure_repeated "$REPEATS" eager-zero-2 --lun "$SRC" --op eager-zero --clone-bytes "$CLONE" --parallel 2
	if [ -n "$R" ] && [ -n "$one_host_zero" ]; then
		row "$name" "$label" "$MEDIAN s ($RUNS); $(beside clone-xcopy-2-$REPEATS eager-zero-2-$REPEATS)" \
			"1 host: $one_host_zero s" "$(ratio "$MEDIAN" "$one_host_zero")" "$RSS" >> $results
	else
		row "$name" "$label" "not supported" - - "$RSS" >> $results
	fi
	measure shared-lu --lun "$SRC" --op write --sessions 2 --blocks 512 --seconds "$SECS"
	one=$(field mb_per_s "$R") rss=$RSS
	measure own-lus --lun "$SRC" --lun-per-session --op write --sessions 2 --blocks 512 --seconds "$SECS"
	own=$(field mb_per_s "$R")
	row "one LU shared: 2 sessions WRITE 256 KiB, a range each" "$label" \
		"${one:-failed} MB/s; $(beside eager-zero-2-$REPEATS shared-lu)" "2 LUs, a session each: ${own:-failed} MB/s" \
		"$(ratio "$one" "$own")" "$rss" >> $results
}

results=$OUT/results.txt
clones=$OUT/clones.txt
: > $results
: > $clones
gib="$((CLONE >> 20)) MiB"
anchors=$($ANCHORS --bytes "$CLONE" --repeats "$REPEATS")
anchor() { sed -n "s/^$1=//p" <<<"$anchors"; }
memcpy=$(anchor memcpy)
memset=$(anchor memset)
first_touch=$(anchor memset_first_touch)
row "anchor: memcpy $gib (touched)" host "$memcpy s (median of $REPEATS, $(anchor memcpy_min)–$(anchor memcpy_max) s)" - - - >> $results
row "anchor: memset $gib (touched)" host "$memset s (median of $REPEATS, $(anchor memset_min)–$(anchor memset_max) s)" - - - >> $results
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
		method="EXTENDED COPY" count=$REPEATS
		[ "$op" = clone-rw ] && method="READ + WRITE" count=$RW_REPEATS
		measure_repeated "$count" "$op" --lun "$SRC" --dest-lun "$DST" --op "$op" --clone-bytes "$CLONE"
		if [ -n "$R" ]; then
			secs[$op]=$MEDIAN
			row "clone $gib, $method" "$label" "${secs[$op]} s ($RUNS)" memcpy "$(ratio "${secs[$op]}" "$memcpy")" "$RSS" >> $results
			initiator_bytes=$(( $(field data_in "$R") + $(field data_out "$R") ))
			row "$label" "$method" "${secs[$op]}" "$(field commands "$R")" "$initiator_bytes" "@$op-1" >> $clones
		else
			row "clone $gib, $method" "$label" "not supported" memcpy - "$RSS" >> $results
			row "$label" "$method" - - "not supported" - >> $clones
		fi
	done
	if [ -n "${secs[clone-xcopy]:-}" ] && [ -n "${secs[clone-rw]:-}" ]; then
		row "clone $gib, EXTENDED COPY speed-up" "$label" "$(ratio "${secs[clone-rw]}" "${secs[clone-xcopy]}")x" \
			"READ + WRITE" "$(ratio "${secs[clone-rw]}" "${secs[clone-xcopy]}")" - >> $results
	fi
	measure_repeated "$REPEATS" eager-zero --lun "$SRC" --op eager-zero --clone-bytes "$CLONE"
	zero_median=""
	if [ -n "$R" ]; then
		zero_median=$MEDIAN
		row "eager-zero $gib, WRITE SAME (16)" "$label" "$MEDIAN s ($RUNS), $(field commands "$R") commands" memset \
			"$(ratio "$MEDIAN" "$memset")" "$RSS" >> $results
	else
		row "eager-zero $gib, WRITE SAME (16)" "$label" "not supported" memset - "$RSS" >> $results
	fi
	unmap_row "UNMAP all of a 1 TiB thin LU" unmap-all
	shared_lu_rows "${secs[clone-xcopy]:-}" "$zero_median"
	# tgtd's descriptors: see unmap_row; the same UNMAP in descriptors it does punch.
	[ "$t" != tgtd ] || unmap_row "UNMAP all of a 1 TiB thin LU, $TGTD_DESCRIPTOR_BLOCKS-block descriptors" \
		unmap-all-small --unmap-descriptor-blocks $TGTD_DESCRIPTOR_BLOCKS
	if [ "$t" != tgtd ]; then
		[ -n "${FLOOR[64]:-}" ] || measure_floor
		heartbeat_rows "" "" FLOOR epoll
	fi
	rss_reset
	perf=$(timeout $((SECS + 20)) iscsi-perf -t "$SECS" -m 32 -b 8 "iscsi://127.0.0.1:$port/$NAME/$SRC" 2>&1 | tr '\r' '\n' |
		sed -n 's/.*iops average \([0-9]*\) (\([0-9]*\) MB\/s).*/\1 \2/p' | tail -1)
	anchor=tgtd
	[ "$t" = tgtd ] && anchor=-
	row "4 KiB READ, 32 in flight (iscsi-perf)" "$label" "${perf% *} IOPS" "$anchor" "@perf:${perf% *}" "$(rss_peak)" >> $results
	[ "$t" = tgtd ] && tgtd_iops=${perf% *}
	stop_server
	[ "$t" = tgtd ] || fill_beside
	# The target's own count, now that every connection has closed and logged it.
	for op in clone-xcopy clone-rw; do
		if [ "$t" = tgtd ]; then count="(no counter)"; else count=$(target_bytes "$op-1"); fi
		sed -i "s|@$op-1\$|$count|" $clones
	done
	# The heartbeat again with the worker loops at real-time priority, against the floor at the same.
	if [ "$t" != tgtd ] && [ -n "$LOOP_PRIORITY" ]; then
		start_target "$t" $((port + 50)) --loop-priority "$LOOP_PRIORITY"
		port=$((port + 50))
		heartbeat_rows "-rt" ", loops SCHED_FIFO $LOOP_PRIORITY" RT_FLOOR "epoll, SCHED_FIFO $LOOP_PRIORITY"
		stop_server
		port=$((port - 50))
	fi
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
say "tgtd IOPS; heartbeat: CAW/s / the floor's ops/s at as many connections). Clones and eager-zero: the"
say "median of $REPEATS runs ($RW_REPEATS for READ + WRITE), min–max beside it; their ratios are the medians'."
say "The clone's destination was written before the clone (committed memory, as a provisioned LU's is);"
say "the fresh-mapping memset shows what writing never-touched memory costs on top. Peak RSS: the server's"
say "VmHWM during that load (all runs of a repeated one), the units' memory written before it included."
say
{ row load target figure anchor ratio "peak RSS"; cat $results; } > $OUT/loads.tsv
show $OUT/loads.tsv
echo
say "Host-link bytes of the clones ($((CLONE >> 20)) MiB, 4 MiB per command; seconds: the median; bytes: the"
say "first run's):"
say
{ row target method seconds commands "host-link bytes (initiator)" "host-link bytes (target)"; cat $clones; } > $OUT/clone.tsv
show $OUT/clone.tsv
echo
say "The heartbeat's floor. The ping-pong rows are iscsi/examples/pingpong.rs: as many connections as the"
say "heartbeat has sessions, each a thread of one client process with one request outstanding (as the load"
say "example drives its sessions), sending a heartbeat-sized request (48-byte header and 1024 data bytes:"
say "one COMPARE AND WRITE of a 512-byte block) and waiting for a 48-byte answer from an echo server in"
say "another process that does no SCSI work, in two shapes: an epoll loop per core (the shape of"
say "offload-iscsi serve, whose connections are tasks on one event loop per core) and a thread per"
say "connection. Each round trip is a write, a wake-up of the server, its read and write, and a wake-up"
say "of the client's thread: with N blocking connections on $(nproc) vCPUs the figure is the loopback's and"
say "the scheduler's limit, not a server's work, and a target answering the same connections on this"
say "machine, with SCSI work on top, stays below it. The heartbeat rows' anchor is the epoll shape at as"
say "many connections; it is measured once, before the first target's heartbeat rows."
if [ -n "${FLOOR[64]:-}" ]; then
	say "Here 64 connections ping-pong at ${FLOOR[64]} ops/s with an epoll loop per core, ${THREADS_FLOOR[64]:-?} ops/s"
	say "with a thread per connection."
	if [ "${FLOOR[64]}" -lt 150000 ]; then
		say "150k CAW/s for 64 sessions is above what an echo server of the target's shape doing nothing"
		say "reaches on this machine; the ratio says how much of the floor the target keeps."
	fi
fi
say
if [ -n "$LOOP_PRIORITY" ]; then
	say "The rows marked \"loops SCHED_FIFO $LOOP_PRIORITY\" are the heartbeat again against a server started with"
	say "--loop-priority $LOOP_PRIORITY: its worker loops run at that real-time priority, so that the initiator threads"
	say "a loop wakes when it answers (on the same $(nproc) vCPUs) do not preempt it before it has answered the"
	say "other connections that are ready. Their anchor is the epoll floor with its loops at the same priority."
else
	say "No heartbeat rows with real-time loops: this machine refused SCHED_FIFO (BENCH_LOOP_PRIORITY)."
fi
say
say "offload-iscsi serve ran with GLIBC_TUNABLES=${SERVE_TUNABLES:-(none)}: glibc's memcpy streams its stores"
say "(non-temporal, no read of each destination line first) from that many bytes on, instead of from its"
say "default, derived from the cache sizes; serve sets it for itself (iscsi/README.md, 'Copies at memory speed')."
say
say "UNMAP: each target's Block Limits page sized the commands (its row says what was sent: commands,"
say "descriptors, the largest descriptor's blocks, and the page's limits). offload-iscsi's thin unit was"
say "never written."
if [ -n "${UNMAP_KEPT[unmap-all]:-}" ]; then
	say "tgtd's LU is a sparse 1 TiB file with thin_provisioning=1, its first $((THIN_FILL >> 20)) MiB written before"
	say "each UNMAP, the file's allocated bytes read before and after. tgtd reports no limits (FFFFFFFFh), so"
	say "the load sends it ${UNMAP_SENT[unmap-all]:-nothing}:"
	if [ "${UNMAP_KEPT[unmap-all]}" = yes ]; then
		say "tgtd answered GOOD and punched no hole (the file kept its blocks; a descriptor's byte length seems"
		say "to wrap at 32 bits, so a descriptor of 2^32 bytes or more frees nothing)."
	else
		say "the file gave its blocks back."
	fi
	say "The second tgtd row sends the same UNMAP in $TGTD_DESCRIPTOR_BLOCKS-block (2 GiB) descriptors, many per"
	say "command; tgtd punches a hole (FALLOC_FL_PUNCH_HOLE) per descriptor."
fi
if [ -s $OUT/notes.txt ]; then
	echo
	echo "notes:"
	cat $OUT/notes.txt
	{ echo; echo "Notes:"; echo; echo '```text'; cat $OUT/notes.txt; echo '```'; } >> $OUT/results.md
fi
mkdir -p "$(dirname "$REPORT")"
{ echo "$header"; echo; cat $OUT/results.md; } > "$REPORT.tmp"
mv "$REPORT.tmp" "$REPORT"
echo
echo "(tables in Markdown: $REPORT)"
