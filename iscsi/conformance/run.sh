#!/usr/bin/env bash
# libiscsi's conformance suite (iscsi-test-cu) against offload-iscsi on loopback — a thick and a thin
# unit, on each execution back end — and, with `peer`, against tgt's tgtd configured the same way, side
# by side. Four passes, each a table of pass / fail / skip / not run per test with totals (report.pl):
#
#   one path         every group iscsi-test-cu --list names (SCSI and iSCSI families) on each unit;
#   two paths        the groups that want a second I_T nexus — those whose one-path log says
#                    "Multipath unavailable" (MPATH_SKIP_IF_UNAVAILABLE) or "cloning sd1 for second
#                    session" (mpath_sd2_get_or_clone) — with the LU's URL given twice, the second path
#                    logged in as the second initiator name (-I);
#   CHAP             a target that requires CHAP (--auth, a fresh secret), the credentials in the URL
#                    (libiscsi 1.19 has no CHAP-specific test: it only passes the URL's user and password
#                    to every login, iscsi-support.c:509), with CHAP_GROUPS over two paths — plus two
#                    logins that must be refused: a wrong secret and no credentials;
#   write-protected  the groups whose one-path log says "Logical unit is not write-protected"
#                    (CHECK_FOR_READONLY) on the write-protected unit (LUN 2, MODE SENSE WP=1).
#
# Every group runs under `timeout` (a hung group is reported, its tests "not run", and fails the run
# unless known). The run exits non-zero when an outcome of ours is neither a pass nor listed, with its
# reason, in known.txt, or when a refused login was let in. A run that passes writes the Markdown report:
# iscsi/reports/conformance.md (conformance-peer.md with `peer`) for the default groups and back ends,
# else target/conformance/report.md; every run leaves target/conformance/results.md and pending.md (the
# unexpected outcomes by group).
#
# usage: iscsi/conformance/run.sh [peer]
#   CONFORMANCE_BACKENDS   back ends to run (default: "model fastpath")
#   CONFORMANCE_PORT       first loopback port used, one per offload-iscsi server (default: 3270; four
#                          servers with both back ends)
#   CONFORMANCE_PEER_PORT  tgtd's port (default: CONFORMANCE_PORT + 20)
#   CONFORMANCE_GROUPS     the one-path groups (default: every group of --list; SCSI or iSCSI family,
#                          e.g. CONFORMANCE_GROUPS=iSCSIResiduals)
#   CONFORMANCE_CHAP_GROUPS  the CHAP pass's groups (default: below)
#   CONFORMANCE_TIMEOUT    seconds one group may take (default: 300)
#   CONFORMANCE_REPORT     where the report goes instead
#   CONFORMANCE_COMMAND    how the report names the command that wrote it (make passes "make conformance")
set -euo pipefail
cd "$(dirname "$0")/../.."
source iscsi/servers.sh

MODE=${1:-offload}
BIN=target/release/offload-iscsi
OUT=target/conformance
BACKENDS=${CONFORMANCE_BACKENDS:-model fastpath}
PORT=${CONFORMANCE_PORT:-3270}
PEER_PORT=${CONFORMANCE_PEER_PORT:-$((PORT + 20))}
PEER_CONTROL=$PEER_PORT
GROUP_TIMEOUT=${CONFORMANCE_TIMEOUT:-300}
# A sample for the CHAP pass: plain I/O, the offload commands, and the groups that log in again
# mid-test (Reserve6.Logout and .ITNexusLoss, MultipathIO over two authenticated sessions, iSCSITMF).
# MultipathIO first, on fresh units: its CompareAndWrite test reads LBA 256 without writing it first
# (known.txt).
CHAP_GROUPS=${CONFORMANCE_CHAP_GROUPS:-MultipathIO Inquiry Read10 Write10 CompareAndWrite ExtendedCopy Reserve6 iSCSITMF}
IQN=iqn.2026-11.org.offload:target
PEER_IQN=iqn.2026-11.org.offload:tgtd
PEER_CHAP_IQN=iqn.2026-11.org.offload:tgtd-chap
# libiscsi's own default initiator names, given explicitly: the second is the second path's.
INITIATOR=iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test
INITIATOR_2=iqn.2007-10.com.github:sahlberg:libiscsi:iscsi-test-2
CHAP_USER=conformance
# target.json's LUNs.
THICK=0 THIN=1 PROTECTED=2
SIZE=128MiB
if [ -n "${CONFORMANCE_REPORT:-}" ]; then
	REPORT=$CONFORMANCE_REPORT
elif [ -z "${CONFORMANCE_GROUPS:-}${CONFORMANCE_BACKENDS:-}${CONFORMANCE_CHAP_GROUPS:-}" ]; then
	REPORT=$(tools/report.sh --path iscsi/reports/conformance$([ "$MODE" = offload ] || echo "-$MODE").md)
else
	REPORT=$OUT/report.md
fi
COMMAND=${CONFORMANCE_COMMAND:-$(for v in CONFORMANCE_BACKENDS CONFORMANCE_GROUPS CONFORMANCE_CHAP_GROUPS; do
	[ -z "${!v:-}" ] || printf '%s="%s" ' $v "${!v}"; done)iscsi/conformance/run.sh${1:+ $1}}

for tool in iscsi-test-cu stdbuf timeout perl; do
	command -v $tool >/dev/null || { echo "conformance: $tool is missing (make conformance installs it)"; exit 1; }
done
[ -x $BIN ] || { echo "conformance: $BIN is missing (make conformance builds it)"; exit 1; }

header=$(tools/report.sh --header "$COMMAND")
rm -rf $OUT
mkdir -p $OUT
pids=()
# The servers this script started are stopped when it ends.
cleanup() { [ ${#pids[@]} -eq 0 ] || stop_servers "${pids[@]}"; }
trap cleanup EXIT

iscsi-test-cu --list > $OUT/tests.txt 2>&1 || true
version=$(dpkg-query -W -f '${Version}' libiscsi-bin 2>/dev/null || echo unknown)

# The groups as FAMILY.GROUP: every group of the SCSI and iSCSI families (ALL repeats them; LINUX is the
# subset for SG_IO devices), or the ones CONFORMANCE_GROUPS names.
suite_of() { grep -m1 -E "^i?SCSI\.$1\$" $OUT/tests.txt || { echo "conformance: no group $1 in iscsi-test-cu --list" >&2; exit 1; }; }
suites() {
	local g
	for g in "$@"; do suite_of "$g"; done
}
if [ -n "${CONFORMANCE_GROUPS:-}" ]; then
	# shellcheck disable=SC2086 # a list of names
	ONE_PATH=$(suites $CONFORMANCE_GROUPS)
else
	ONE_PATH=$(grep -E '^i?SCSI\.[A-Za-z0-9_]+$' $OUT/tests.txt)
fi
# shellcheck disable=SC2086
CHAP_SUITES=$(suites $CHAP_GROUPS)

# One CHAP account for every initiator (the target's "default" account), with a fresh secret.
CHAP_SECRET=$($BIN chap-secret)
(umask 077 && printf '{ "default": { "user": "%s", "secret": "%s" } }\n' $CHAP_USER "$CHAP_SECRET" > $OUT/auth.json)

# url PORT TARGET LUN [USER%SECRET]
url() { echo "iscsi://${4:+$4@}127.0.0.1:$1/$2/$3"; }

# Columns of each pass: name and URL (the two-path and CHAP passes give the URL twice).
one_columns=() one_urls=() wp_columns=() wp_urls=() chap_columns=() chap_urls=() refused=()
port=$PORT
for backend in $BACKENDS; do
	port_free $port $((port + 1))
	# target.json: LUN 0 thick (512n), LUN 1 thin on 4 KiB physical blocks (512e), LUN 2 thin and
	# write-protected, each $SIZE.
	$BIN serve --backend "$backend" --listen 127.0.0.1:$port --config iscsi/conformance/target.json \
		--quiet > $OUT/offload-$backend.log 2>&1 &
	pids+=($!)
	$BIN serve --backend "$backend" --listen 127.0.0.1:$((port + 1)) --config iscsi/conformance/target.json \
		--auth $OUT/auth.json --quiet > $OUT/offload-$backend-chap.log 2>&1 &
	pids+=($!)
	wait_port $port
	wait_port $((port + 1))
	one_columns+=("$backend/thick" "$backend/thin")
	one_urls+=("$(url $port $IQN $THICK)" "$(url $port $IQN $THIN)")
	wp_columns+=("$backend/protected")
	wp_urls+=("$(url $port $IQN $PROTECTED)")
	chap_columns+=("$backend/thin+chap")
	chap_urls+=("$(url $((port + 1)) $IQN $THIN $CHAP_USER%$CHAP_SECRET)")
	refused+=("$backend" "$(url $((port + 1)) $IQN $THIN)")
	port=$((port + 2))
done

peer_up=""
if [ "$MODE" = peer ]; then
	command -v tgtd >/dev/null || { echo "conformance: tgtd is missing (make conformance-peer installs tgt)"; exit 1; }
	truncate -s $SIZE $OUT/tgtd-thick.img $OUT/tgtd-thin.img $OUT/tgtd-protected.img $OUT/tgtd-chap.img
	port_free $PEER_PORT
	tgtd -f -C $PEER_CONTROL --iscsi portal=127.0.0.1:$PEER_PORT > $OUT/tgtd.log 2>&1 &
	pids+=($!)
	wait_port $PEER_PORT
	adm() { tgtadm -C $PEER_CONTROL --lld iscsi "$@"; }
	for _ in $(seq 1 50); do adm --mode target --op show >/dev/null 2>&1 && break; sleep 0.1; done
	# tid 1: the same three units as target.json (tgtd's LUN 0 is its controller); tid 2: a thin unit
	# behind CHAP.
	adm --mode target --op new --tid 1 --targetname $PEER_IQN
	adm --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$PWD/$OUT/tgtd-thick.img"
	adm --mode logicalunit --op new --tid 1 --lun 2 --backing-store "$PWD/$OUT/tgtd-thin.img"
	adm --mode logicalunit --op update --tid 1 --lun 2 --params thin_provisioning=1,lbppbe=3
	adm --mode logicalunit --op new --tid 1 --lun 3 --backing-store "$PWD/$OUT/tgtd-protected.img"
	adm --mode logicalunit --op update --tid 1 --lun 3 --params thin_provisioning=1,readonly=1
	adm --mode target --op bind --tid 1 --initiator-address ALL
	adm --mode target --op new --tid 2 --targetname $PEER_CHAP_IQN
	adm --mode logicalunit --op new --tid 2 --lun 1 --backing-store "$PWD/$OUT/tgtd-chap.img"
	adm --mode logicalunit --op update --tid 2 --lun 1 --params thin_provisioning=1,lbppbe=3
	adm --mode account --op new --user $CHAP_USER --password "$CHAP_SECRET"
	adm --mode account --op bind --tid 2 --user $CHAP_USER
	adm --mode target --op bind --tid 2 --initiator-address ALL
	one_columns+=("tgtd/thick" "tgtd/thin")
	one_urls+=("$(url $PEER_PORT $PEER_IQN 1)" "$(url $PEER_PORT $PEER_IQN 2)")
	wp_columns+=("tgtd/protected")
	wp_urls+=("$(url $PEER_PORT $PEER_IQN 3)")
	chap_columns+=("tgtd/thin+chap")
	chap_urls+=("$(url $PEER_PORT $PEER_CHAP_IQN 1 $CHAP_USER%$CHAP_SECRET)")
	refused+=("tgtd" "$(url $PEER_PORT $PEER_CHAP_IQN 1)")
	peer_up=1
fi

# run_group COLUMN SUITE URL...: one group in one column, under the timeout; its log and iscsi-test-cu's
# exit status (124 or 137: timed out) beside it. Line-buffered, so that "[SKIPPED]" lines land inside
# the test that printed them; --Verbose-scsi, because some skips are logged only at that level
# (test_startstopunit_pwrcnd.c:36, test_nomedia_sbc.c:230); --allow-sanitize, so that the SANITIZE
# tests check what the unit reports instead of stopping at the flag.
run_group() {
	local column=$1 suite=$2 status=0
	shift 2
	mkdir -p "$OUT/$column"
	timeout -k 10 "$GROUP_TIMEOUT" stdbuf -oL -eL iscsi-test-cu --dataloss --allow-sanitize --Verbose-scsi \
		-i $INITIATOR -I $INITIATOR_2 --test="$suite" "$@" > "$OUT/$column/${suite#*.}.log" 2>&1 || status=$?
	echo $status > "$OUT/$column/${suite#*.}.status"
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || echo "conformance: $column ${suite#*.} timed out after $GROUP_TIMEOUT s"
}

# run_pass NAME SUITES PATHS COLUMN URL [COLUMN URL...]: every suite in every column (PATHS 2: the URL
# given twice); the wall time per column goes to timings.
timings=()
run_pass() {
	local name=$1 list=$2 paths=$3 column urls start suite
	shift 3
	[ -n "$list" ] || return 0
	echo "conformance: $name: $(echo "$list" | sed 's/^i\?SCSI\.//' | tr '\n' ' ')"
	while [ $# -gt 0 ]; do
		column=$1
		urls=("$2")
		[ "$paths" = 1 ] || urls+=("$2")
		shift 2
		start=$SECONDS
		for suite in $list; do run_group "$column" "$suite" "${urls[@]}"; done
		echo "conformance: $column: $((SECONDS - start)) s"
		timings+=("| $name | $column | $(echo "$list" | wc -l) | $((SECONDS - start)) |")
	done
}
# interleave COLUMNS-ARRAY-NAME URLS-ARRAY-NAME [SUFFIX]: "column url column url ...".
interleave() {
	local -n cs=$1 us=$2
	local i
	for i in "${!cs[@]}"; do printf '%s%s\n%s\n' "${cs[$i]}" "${3:-}" "${us[$i]}"; done
}
# The groups whose one-path logs (any column) carry PATTERN.
logged() { grep -l -E "$1" "$OUT"/*/*/*.log 2>/dev/null | xargs -r -n1 basename | sed 's/\.log$//' | sort -u; }

echo "conformance: libiscsi-bin $version, per-group timeout $GROUP_TIMEOUT s"
mapfile -t args < <(interleave one_columns one_urls)
run_pass "one path" "$ONE_PATH" 1 "${args[@]}"
# shellcheck disable=SC2046 # a list of names
TWO_PATH=$(suites $(logged 'Multipath unavailable|cloning sd1 for second session'))
# shellcheck disable=SC2046
PROTECTED_SUITES=$(suites $(logged 'Logical unit is not write-protected'))
mapfile -t args < <(interleave one_columns one_urls +2paths)
run_pass "two paths" "$TWO_PATH" 2 "${args[@]}"
mapfile -t args < <(interleave chap_columns chap_urls)
run_pass "CHAP" "$CHAP_SUITES" 2 "${args[@]}"
mapfile -t args < <(interleave wp_columns wp_urls)
run_pass "write-protected" "$PROTECTED_SUITES" 1 "${args[@]}"

# Logins the CHAP targets must refuse: a wrong secret, and no credentials at all.
refusals=("| target | login | expected | iscsi-test-cu said |" "|---|---|---|---|")
refused_in=0
for ((i = 0; i < ${#refused[@]}; i += 2)); do
	target=${refused[$i]} plain=${refused[$((i + 1))]}
	for login in "wrong secret" "no credentials"; do
		u=$plain
		[ "$login" = "no credentials" ] || u=${plain/iscsi:\/\//iscsi://$CHAP_USER%not-the-secret-0123@}
		if out=$(timeout 60 iscsi-test-cu -i $INITIATOR --test=SCSI.TestUnitReady "$u" 2>&1); then
			said="let in"
			refused_in=$((refused_in + 1))
		else
			said=$(echo "$out" | grep -m1 -i 'login failed' || echo "$out" | head -1)
		fi
		echo "conformance: CHAP $target, $login: $said"
		refusals+=("| $target | $login | refused | ${said//|/\\|} |")
	done
done

if [ -n "$peer_up" ]; then
	peer_version=$(tgtd --version 2>&1 | head -1)
	echo "conformance: tgtd $peer_version"
fi
echo

# report SECTION SUITES COLUMN...: report.pl's table for one pass; its Markdown appended to results.md.
failed=0
: > $OUT/results.md
: > $OUT/unexpected.txt
report() {
	local section=$1 list=$2
	shift 2
	[ -n "$list" ] || return 0
	echo "== $section"
	perl iscsi/conformance/report.pl $OUT $OUT/tests.txt iscsi/conformance/known.txt \
		"$(echo "$list" | sed 's/^i\?SCSI\.//' | tr '\n' ' ')" "$*" "model/* fastpath/*" $OUT/section.md \
		$OUT/unexpected.txt || failed=1
	{
		echo "## $section"
		echo
		cat $OUT/section.md
		echo
	} >> $OUT/results.md
	echo
}
report "One path: every group" "$ONE_PATH" "${one_columns[@]}"
mapfile -t cols < <(printf '%s+2paths\n' "${one_columns[@]}")
report "Two paths (the LU's URL twice; second initiator $INITIATOR_2)" "$TWO_PATH" "${cols[@]}"
report "CHAP (user $CHAP_USER, a fresh secret, in the URL; two paths)" "$CHAP_SUITES" "${chap_columns[@]}"
report "Write-protected unit (LUN 2, MODE SENSE WP=1)" "$PROTECTED_SUITES" "${wp_columns[@]}"
{
	echo "## CHAP: logins that must be refused"
	echo
	printf '%s\n' "${refusals[@]}"
	echo
	echo "## Wall time per column"
	echo
	echo "| pass | column | groups | seconds |"
	echo "|---|---|---|---|"
	printf '%s\n' "${timings[@]}"
} >> $OUT/results.md
perl iscsi/conformance/report.pl --pending $OUT/unexpected.txt > $OUT/pending.md

[ "$refused_in" -eq 0 ] || { echo "conformance: a CHAP target let $refused_in logins in that it must refuse"; failed=1; }
[ "$failed" -eq 0 ] || { echo "conformance: FAILED (unexpected outcomes by group: $OUT/pending.md)"; exit 1; }

# Every outcome as expected: the report.
info=("libiscsi-bin $version (iscsi-test-cu --dataloss --allow-sanitize --Verbose-scsi), each group under a $GROUP_TIMEOUT s timeout.")
[ -z "$peer_up" ] || info+=("The peer: tgtd $peer_version.")
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
