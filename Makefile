# offload — verification kit for a SCSI offload block.
#
#   make run     the main job: every example script through the reference model, with a summary
#   make test    everything CI checks: formatting, clippy, all tests, the README's commands, the RTL flow,
#                the co-simulation, a fuzzing pass, libiscsi's conformance suite
#
# Both install what they need first (make setup), so they work on a fresh Debian machine.

SHELL := /bin/bash
CARGO ?= cargo
# Debian packages the kit uses: sg3-utils decodes sense and VPD bytes offline (README examples);
# libiscsi-bin brings iscsi-test-cu, libiscsi's conformance suite (make conformance); the RTL flow
# needs verilator (with g++, make and zlib1g-dev, which it does not pull in), iverilog, yosys,
# nextpnr-ice40 and fpga-icestorm.
APT_PACKAGES := sg3-utils libiscsi-bin verilator g++ make zlib1g-dev iverilog yosys nextpnr-ice40 fpga-icestorm
# The peer target for make conformance-peer: tgt's tgtd (installed only for that target).
PEER_PACKAGES := tgt
OFFLOAD := target/release/offload
SCRIPTS := $(wildcard model/scripts/*.jsonl)

.PHONY: all setup build run test fmt-check clippy unit-tests readme-check footprint bench perf perf-run vectors vectors-check doc clean \
	setup-peer iscsi conformance conformance-peer

all: test

# Idempotent: apt-get runs only when a package is missing.
setup:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "setup: installing$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@command -v $(CARGO) >/dev/null || { echo "setup: cargo (Rust 1.95) is required"; exit 1; }

build: setup
	$(CARGO) build --release --locked -p offload-model

# The iSCSI target (iscsi/): `target/release/offload-iscsi serve`.
iscsi: setup
	$(CARGO) build --release --locked -p offload-iscsi

# Like setup, for the packages only make conformance-peer needs.
setup-peer:
	@missing=""; for p in $(PEER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "setup-peer: installing$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# libiscsi's iscsi-test-cu against offload-iscsi on loopback: every group of the SCSI and iSCSI families
# (from iscsi-test-cu --list) on a thick and a thin unit, with the model and with the fast path as the
# back end; then the groups that want a second I_T nexus over two paths, a sample of groups against a
# CHAP-enabled target (credentials in the URL) and the write-protection group on a write-protected unit;
# each group under a timeout. Pass / fail / skip / not run per test and totals, also in
# iscsi/reports/conformance.md. Fails on any outcome not listed in iscsi/conformance/known.txt
# (report-test.sh first checks report.pl on hand-written logs).
conformance: iscsi
	iscsi/conformance/report-test.sh
	CONFORMANCE_COMMAND="make conformance" iscsi/conformance/run.sh

# The same, side by side with tgt's tgtd (the same units, a CHAP target) on loopback: iscsi/reports/conformance-peer.md.
conformance-peer: iscsi setup-peer
	iscsi/conformance/report-test.sh
	CONFORMANCE_COMMAND="make conformance-peer" iscsi/conformance/run.sh peer

# The main job: regenerate the golden vectors from the model, check the fast path and the RTL (through
# the co-simulation) against every one of them, run the example scripts, and print a summary.
run: build
	@$(OFFLOAD) vectors vectors
	@echo "== vectors (vectors/COVERAGE.md)"
	@sed -n '/^| cases |/,/^| required bins/p' vectors/COVERAGE.md
	@echo "== fast path against the vectors"
	@$(CARGO) test --locked --release -q -p offload-fastpath --test vectors -- --nocapture 2>&1 \
		| grep -E '^fast path:|disagree|panicked' || { echo "fast path check failed"; exit 1; }
	@echo "== the RTL against the vectors (co-simulation: every engine job, its completion, memory and cycles)"
	@$(CARGO) build --locked --release -q -p offload-cosim
	@set -o pipefail; target/release/cosim run vectors/data 2>/dev/null | tail -3
	@echo "== example scripts through the model"
	@total=0; checks=0; \
	for s in $(SCRIPTS); do \
		out=$$($(OFFLOAD) run $$s 2>/dev/null) || exit 1; \
		n=$$(grep -c '^{' <<<"$$out"); c=$$(grep -c '"status":2' <<<"$$out" || true); \
		printf '%-40s %4d commands  %3d CHECK CONDITION\n' $$s $$n $$c; \
		total=$$((total + n)); checks=$$((checks + c)); \
	done; \
	printf 'summary: %d scripts, %d commands, %d CHECK CONDITION (as the scripts expect)\n' $(words $(SCRIPTS)) $$total $$checks

# Reports: a target that prints figures also writes them, with a first line saying which command wrote
# them, when and on what machine, into a Markdown report beside the part (tools/report.sh), checked in.

# Memory of sparse 1 TiB units as blocks are written: a table (the store's own count and the RSS growth),
# also in model/reports/footprint.md.
footprint: setup
	@tools/report.sh model/reports/footprint.md "make footprint" -- $(CARGO) run --release --locked -q -p offload-model --example footprint

# The fast path against copy_within, copy_from_slice, fill(0) and slice equality at 4 KiB to 16 MiB, and
# the model on the same commands (criterion, a few minutes on two cores), then the table: size, primitive,
# std ns, fast path ns, ratio, model ns — also in fastpath/reports/bench.md.
bench: setup
	$(CARGO) bench --locked -p offload-fastpath --bench primitives
	$(CARGO) bench --locked -p offload-model --bench throughput
	@tools/report.sh fastpath/reports/bench.md "make bench" -- $(CARGO) run --locked --release -q -p offload-fastpath --example bench_table

# The shared-port timing model as a design-space tool (`offload perf`): the esxi preset swept over
# outstanding reads and over lock entries, the tables in model/reports/perf-esxi.md and a plot of each
# sweep beside it (SVG); the points cosim can check are marked (`offload perf --check` runs them in the RTL).
PERF_SWEEPS := max_outstanding_reads=1..8 lock_entries=1..4
perf: build
	@tools/report.sh model/reports/perf-esxi.md "make perf" -- $(MAKE) --no-print-directory -s perf-run

perf-run:
	@for sweep in $(PERF_SWEEPS); do \
		name=$${sweep%%=*}; \
		echo "## \`offload perf --preset esxi --sweep $$sweep\`"; echo; \
		$(OFFLOAD) perf --preset esxi --sweep $$sweep --plot model/reports/perf-esxi-$$name.svg || exit 1; \
		echo; echo "![throughput and latency against $$name](perf-esxi-$$name.svg)"; echo; \
	done

# The golden vectors: regenerate them from the model, or check that the checked-in ones are current.
vectors: build
	$(OFFLOAD) vectors vectors

vectors-check: build
	$(OFFLOAD) vectors --check vectors

fmt-check:
	$(CARGO) fmt --all -- --check

clippy: setup
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# Then the linearizability checker against a deliberately broken COMPARE AND WRITE lock (a test-only
# feature): it must say "not linearizable", or the passing run above proves nothing.
unit-tests: setup
	$(CARGO) test --locked --workspace --no-fail-fast
	$(CARGO) test --locked -p offload-iscsi --features test-broken-lock --test linearizability broken

# The README's example commands, run as written.
readme-check: build
	@echo '{"cdb": "000000000000"}' | $(OFFLOAD) run - >/dev/null
	@$(OFFLOAD) run model/scripts/vaai-tour.jsonl >/dev/null
	@$(OFFLOAD) run --units 4 --capacity 1TiB --access iqn.2026-11.example:esxi-b=1 \
		model/scripts/vaai-tour.jsonl 2>&1 | grep -q '11 commands, 3 with CHECK CONDITION'
	@echo '{"cdb": "9e10000000000000000000000020000000"}' | $(OFFLOAD) run --block-size 4096 --thick - \
		| grep -q '"data_in":"000000000003ffff00001000'
	@$(OFFLOAD) run model/scripts/vaai-tour.jsonl 2>/dev/null | tail -1 \
		| sed 's/.*"sense":"\([0-9a-f]*\)".*/\1/' | xargs sg_decode_sense -n | grep -q 'Invalid field in cdb'
	@$(OFFLOAD) config >/dev/null
	@$(OFFLOAD) perf --preset esxi --sweep lock_entries=1..4 --plot target/readme-perf.svg \
		| grep -q '^| 4 | ✓ |'
	@echo "readme-check: ok"

# CI: the Rust checks (formatting, clippy, no import circle between the modules of any crate, every
# test), the vectors, the RTL flow (lint, synthesis, place and route of the FPGA build, the smoke bench),
# the co-simulation, a bounded fuzzing pass, libiscsi's conformance suite and QEMU's iSCSI client.
# Reports go to target/reports here: a test run measures without rewriting the checked-in ones.
test: export OFFLOAD_REPORTS = $(CURDIR)/target/reports
test: setup fmt-check clippy module-cycles unit-tests readme-check vectors-check lint synth fpga rtl-smoke cosim \
	fuzz-smoke conformance interop

doc:
	$(CARGO) doc --no-deps -p offload-model

clean:
	$(CARGO) clean

# Each part's own flow lives beside it: the RTL (lint, synth, fpga, rtl-smoke), the co-simulation, the
# fuzzers, the iSCSI target and the repository's tools (module-cycles).
-include rtl/rtl.mk cosim/cosim.mk fuzz/fuzz.mk iscsi/iscsi.mk tools/tools.mk
