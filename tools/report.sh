#!/usr/bin/env bash
# Runs a program that prints figures and keeps what it printed in a Markdown report beside the part it
# measures (checked in). The report's first line says which command wrote it, when and on what machine;
# then comes the program's standard output, which also reaches the terminal as usual. The report is
# replaced only when the program succeeds, so a failed run leaves the last good one in place.
#
# usage: tools/report.sh [--code] REPORT COMMAND -- PROGRAM [ARG...]
#   REPORT   the report file, e.g. rtl/reports/synth.md
#   COMMAND  what to name as its writer, e.g. "make synth"
#   --code   put the output in a code block (for programs that print plain text rather than Markdown)
#
#        tools/report.sh --header COMMAND
# prints the first line alone, for scripts that assemble their report themselves, and
#        tools/report.sh --path REPORT
# prints where REPORT is written.
#
# OFFLOAD_REPORTS=DIR writes every report under DIR instead (same relative path): `make test` sets it to
# target/reports, so a CI or test run measures without rewriting the checked-in reports.
set -uo pipefail

# Where a report goes: beside its part, or under $OFFLOAD_REPORTS.
path() {
	if [ -n "${OFFLOAD_REPORTS:-}" ]; then echo "$OFFLOAD_REPORTS/$1"; else echo "$1"; fi
}

header() {
	local cpu load
	cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -1)
	load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
	echo "Written by \`$1\` on $(date -u +%Y-%m-%d) (UTC); nproc $(nproc), ${cpu:-CPU model unknown};" \
		"load average ${load:-unknown} at the start."
}

if [ "${1:-}" = --path ]; then
	[ $# -eq 2 ] || { echo "usage: tools/report.sh --path REPORT" >&2; exit 2; }
	path "$2"
	exit 0
fi

if [ "${1:-}" = --header ]; then
	[ $# -eq 2 ] || { echo "usage: tools/report.sh --header COMMAND" >&2; exit 2; }
	header "$2"
	exit 0
fi

code=""
if [ "${1:-}" = --code ]; then
	code=1
	shift
fi
if [ $# -lt 4 ] || [ "$3" != -- ]; then
	echo "usage: tools/report.sh [--code] REPORT COMMAND -- PROGRAM [ARG...]" >&2
	exit 2
fi
report=$(path "$1") command=$2
shift 3

mkdir -p "$(dirname "$report")"
tmp=$(mktemp "$report.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
	header "$command"
	echo
	[ -z "$code" ] || echo '```text'
} > "$tmp"
"$@" | tee -a "$tmp"
status=${PIPESTATUS[0]}
[ -z "$code" ] || echo '```' >> "$tmp"
if [ "$status" -eq 0 ]; then
	chmod 644 "$tmp"
	mv "$tmp" "$report"
else
	echo "report: $command failed (exit status $status); $report is unchanged" >&2
fi
exit "$status"
