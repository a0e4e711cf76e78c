#!/usr/bin/env bash
# libiscsi's conformance suite (iscsi-test-cu) against offload-iscsi on loopback — a thick and a thin
# unit, on each execution back end — and, with `peer`, against tgt's tgtd configured the same way, side
# by side. Prints pass / fail / skip per test and the totals (report.pl); exits non-zero when an
# outcome of ours is neither a pass nor listed, with its reason, in known.txt. A run that passes writes
# the same as a Markdown report: iscsi/reports/conformance.md (conformance-peer.md with `peer`) for the
# default groups and back ends, else target/conformance/report.md.
#
# usage: iscsi/conformance/run.sh [peer]
#   CONFORMANCE_BACKENDS  back ends to run (default: "model fastpath")
#   CONFORMANCE_PORT      first loopback port used (default: 3270)
#   CONFORMANCE_GROUPS    the iscsi-test-cu groups (default: the thirteen below; SCSI or iSCSI family,
#                         e.g. CONFORMANCE_GROUPS=iSCSIResiduals)
#   CONFORMANCE_REPORT    where the report goes instead
#   CONFORMANCE_COMMAND   how the report names the command that wrote it (make passes "make conformance")
set -euo pipefail
cd "$(dirname "$0")/../.."
source iscsi/servers.sh

MODE=${1:-offload}
BIN=target/release/offload-iscsi
OUT=target/conformance
TEST_GROUPS=${CONFORMANCE_GROUPS:-CompareAndWrite ExtendedCopy ReceiveCopyResults WriteSame10 WriteSame16 Unmap GetLBAStatus Inquiry ReportSupportedOpcodes ReadCapacity16 Write10 Write16 ModeSense6}
BACKENDS=${CONFORMANCE_BACKENDS:-model fastpath}
PORT=${CONFORMANCE_PORT:-3270}
IQN=iqn.2026-11.org.offload:target
PEER_IQN=iqn.2026-11.org.offload:tgtd
PEER_PORT=$((PORT + 20))
PEER_CONTROL=$((PORT + 20))
SIZE=128MiB
if [ -n "${CONFORMANCE_REPORT:-}" ]; then
	REPORT=$CONFORMANCE_REPORT
elif [ -z "${CONFORMANCE_GROUPS:-}${CONFORMANCE_BACKENDS:-}" ]; then
	REPORT=$(tools/report.sh --path iscsi/reports/conformance$([ "$MODE" = offload ] || echo "-$MODE").md)
else
	REPORT=$OUT/report.md
fi
COMMAND=${CONFORMANCE_COMMAND:-$(for v in CONFORMANCE_BACKENDS CONFORMANCE_GROUPS; do
	[ -z "${!v:-}" ] || printf '%s="%s" ' $v "${!v}"; done)iscsi/conformance/run.sh${1:+ $1}}

for tool in iscsi-test-cu stdbuf perl; do
	command -v $tool >/dev/null || { echo "conformance: $tool is missing (make conformance installs it)"; exit 1; }
done
[ -x $BIN ] || { echo "conformance: $BIN is missing (make conformance builds it)"; exit 1; }

header=$(tools/report.sh --header "$COMMAND")
rm -rf $OUT
mkdir -p $OUT
pids=()
peer_up=""
# The servers this script started are stopped when it ends.
cleanup() { [ ${#pids[@]} -eq 0 ] || stop_servers "${pids[@]}"; }
trap cleanup EXIT

iscsi-test-cu --list > $OUT/tests.txt 2>&1 || true
version=$(dpkg-query -W -f '${Version}' libiscsi-bin 2>/dev/null || echo unknown)

columns=()
urls=()
port=$PORT
for backend in $BACKENDS; do
	port_free $port
	# target.json: LUN 0 thick (512n), LUN 1 thin on 4 KiB physical blocks (512e), both $SIZE.
	$BIN serve --backend "$backend" --listen 127.0.0.1:$port --config iscsi/conformance/target.json \
		--quiet > $OUT/offload-$backend.log 2>&1 &
	pids+=($!)
	wait_port $port
	columns+=("$backend/thick" "$backend/thin")
	urls+=("iscsi://127.0.0.1:$port/$IQN/0" "iscsi://127.0.0.1:$port/$IQN/1")
	port=$((port + 1))
done

if [ "$MODE" = peer ]; then
	command -v tgtd >/dev/null || { echo "conformance: tgtd is missing (make conformance-peer installs tgt)"; exit 1; }
	truncate -s $SIZE $OUT/tgtd-thick.img $OUT/tgtd-thin.img
	port_free $PEER_PORT
	tgtd -f -C $PEER_CONTROL --iscsi portal=127.0.0.1:$PEER_PORT > $OUT/tgtd.log 2>&1 &
	pids+=($!)
	wait_port $PEER_PORT
	adm() { tgtadm -C $PEER_CONTROL --lld iscsi "$@"; }
	for _ in $(seq 1 50); do adm --mode target --op show >/dev/null 2>&1 && break; sleep 0.1; done
	adm --mode target --op new --tid 1 --targetname $PEER_IQN
	adm --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$PWD/$OUT/tgtd-thick.img"
	adm --mode logicalunit --op new --tid 1 --lun 2 --backing-store "$PWD/$OUT/tgtd-thin.img"
	adm --mode logicalunit --op update --tid 1 --lun 2 --params thin_provisioning=1,lbppbe=3
	adm --mode target --op bind --tid 1 --initiator-address ALL
	columns+=("tgtd/thick" "tgtd/thin")
	urls+=("iscsi://127.0.0.1:$PEER_PORT/$PEER_IQN/1" "iscsi://127.0.0.1:$PEER_PORT/$PEER_IQN/2")
	peer_up=1
fi

info=("libiscsi-bin $version (iscsi-test-cu --dataloss), groups: $TEST_GROUPS.")
echo "conformance: libiscsi-bin $version, groups: $TEST_GROUPS"
for i in "${!columns[@]}"; do
	column=${columns[$i]}
	mkdir -p "$OUT/$column"
	start=$SECONDS
	for group in $TEST_GROUPS; do
		# Line-buffered, so that "[SKIPPED]" lines land inside the test that printed them.
		# The suite's family: SCSI for the command groups, iSCSI for e.g. iSCSIResiduals.
		family=$(grep -m1 -oE "^i?SCSI\.$group\." $OUT/tests.txt | cut -d. -f1 || true)
		timeout 900 stdbuf -oL -eL iscsi-test-cu --dataloss --test="${family:-SCSI}.$group" "${urls[$i]}" \
			> "$OUT/$column/$group.log" 2>&1 || echo "iscsi-test-cu exit status $?" >> "$OUT/$column/$group.log"
	done
	echo "conformance: $column (${urls[$i]}): $((SECONDS - start)) s"
done
if [ -n "$peer_up" ]; then
	peer_version=$(tgtd --version 2>&1 | head -1)
	echo "conformance: tgtd $peer_version"
	info+=("The peer: tgtd $peer_version.")
fi
echo
perl iscsi/conformance/report.pl $OUT $OUT/tests.txt iscsi/conformance/known.txt "$TEST_GROUPS" "${columns[*]}" "model/* fastpath/*"
# Every outcome as expected (report.pl exits non-zero otherwise, and set -e ends the run): the report.
mkdir -p "$(dirname "$REPORT")"
{
	echo "$header"
	echo
	printf '%s\n' "${info[@]}"
	echo
	cat $OUT/results.md
} > "$REPORT.tmp"
mv "$REPORT.tmp" "$REPORT"
echo "conformance: report in $REPORT"
