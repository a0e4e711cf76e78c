#!/usr/bin/env bash
# report.pl's own test: hand-written iscsi-test-cu logs (in the shape CUnit 2.1 and libiscsi 1.19
# print them) for every way a test can end, and the outcome each must get. Exits non-zero on any
# difference. `make conformance` runs it before the suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=target/conformance-report-test
rm -rf $OUT
mkdir -p $OUT/col

cat > $OUT/tests.txt <<'EOF'
SCSI
SCSI.Grp
SCSI.Grp.Pass
SCSI.Grp.Tagged
SCSI.Grp.Skipping
SCSI.Grp.Untagged
SCSI.Grp.Fail
SCSI.Grp.FailAfterSkip
SCSI.Grp.Hung
SCSI.Grp.Never
SCSI.Crash
SCSI.Crash.Done
SCSI.Crash.Lost
iSCSI
iSCSI.Missing
iSCSI.Missing.Only
EOF
# The unexpected outcomes a known list does not cover; one of them listed.
cat > $OUT/known.txt <<'EOF'
col  Grp.Tagged  skip  listed
EOF

# Grp: timed out (124) while in Hung.
cat > $OUT/col/Grp.log <<'EOF'
    [SKIPPED] PERSISTENT RESERVE IN is not implemented.
Suite: Grp
  Test: Pass ...passed    Send PRIN/READ_KEYS
    [SKIPPED] PERSISTENT RESERVE IN is not implemented.
  Test: Tagged ...    [SKIPPED] READ6 is not implemented.
passed
  Test: Skipping ...
    [SKIPPING] No MAXIMUM WRITE SAME LENGTH - skipping asserts.
passed
  Test: Untagged ...
--dataloss flag is not set in. Skipping write
passed
  Test: Fail ...
    [FAILED] WRITE10 failed with wrong sense.
FAILED
    1. test_x.c:10  - CU_ASSERT_EQUAL(ret,0)
    2. test_x.c:10  - CU_ASSERT_EQUAL(ret,0)
  Test: FailAfterSkip ...
    [SKIPPED] VERIFY10 is not implemented.
FAILED
    1. test_y.c:20  - CU_FAIL
  Test: Hung ...
    Send READ10 (Expecting SUCCESS)
EOF
echo 124 > $OUT/col/Grp.status
# Crash: a signal (139) after Done.
printf 'Suite: Crash\n  Test: Done ...passed\n  Test: Lost ...\n' > $OUT/col/Crash.log
echo 139 > $OUT/col/Crash.status
# Missing: no log at all.

: > $OUT/unexpected.txt
status=0
perl iscsi/conformance/report.pl $OUT $OUT/tests.txt $OUT/known.txt "Grp Crash Missing" col "col" \
	$OUT/report.md $OUT/unexpected.txt > $OUT/stdout.txt || status=$?

failures=0
expect() {
	local test=$1 outcome=$2 reason=$3 row
	row=$(grep -F "| $test |" $OUT/report.md | head -1)
	if ! grep -qF "| $test | $outcome |" <<<"$row" && ! grep -qF "| $test | **$outcome** |" <<<"$row"; then
		echo "report-test: $test: expected $outcome, got: ${row:-no row}"
		failures=$((failures + 1))
	fi
	if [ -n "$reason" ] && ! grep -F "$test" $OUT/report.md | grep -qF -- "$reason"; then
		echo "report-test: $test: reason lacks \"$reason\""
		failures=$((failures + 1))
	fi
}
expect Grp.Pass pass ""
expect Grp.Tagged skip "READ6 is not implemented."
expect Grp.Skipping skip "No MAXIMUM WRITE SAME LENGTH"
expect Grp.Untagged skip "--dataloss flag is not set in. Skipping write"
expect Grp.Fail fail "WRITE10 failed with wrong sense. \\| test_x.c:10 CU_ASSERT_EQUAL(ret,0) |"
# Each distinct assertion line once.
[ "$(grep -F '| col | Grp.Fail |' $OUT/report.md | grep -o 'test_x.c:10' | wc -l)" -eq 1 ] ||
	{ echo "report-test: Grp.Fail's repeated assertion line is not merged"; failures=$((failures + 1)); }
expect Grp.FailAfterSkip fail "test_y.c:20 CU_FAIL"
expect Grp.Hung "not run" "hung: the group timed out in this test"
expect Grp.Never "not run" "the group timed out before this test"
expect Crash.Done pass ""
expect Crash.Lost "not run" "exit status 139"
expect Missing.Only "not run" "no log"
# The listed skip is known; the other unexpected outcomes fail the run and are in the pending list.
grep -F '| col | Grp.Tagged | skip | known: listed |' $OUT/report.md >/dev/null ||
	{ echo "report-test: Grp.Tagged not reported as known"; failures=$((failures + 1)); }
[ "$status" -eq 1 ] || { echo "report-test: report.pl exited $status, expected 1"; failures=$((failures + 1)); }
[ "$(wc -l < $OUT/unexpected.txt)" -eq 8 ] ||
	{ echo "report-test: $(wc -l < $OUT/unexpected.txt) unexpected outcomes listed, expected 8"; failures=$((failures + 1)); }
grep -q 'col Grp: timed out' $OUT/report.md || { echo "report-test: the timed-out group is not named"; failures=$((failures + 1)); }
perl iscsi/conformance/report.pl --pending $OUT/unexpected.txt > $OUT/pending.md
grep -q '^8 unexpected outcomes (test × column) in 3 groups' $OUT/pending.md ||
	{ echo "report-test: pending list: $(head -1 $OUT/pending.md)"; failures=$((failures + 1)); }

[ "$failures" -eq 0 ] || { echo "report-test: $failures failures (files under $OUT)"; exit 1; }
echo "report-test: report.pl classifies every ending as expected"
