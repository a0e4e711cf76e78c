# Fuzzing (fuzz/README.md): cargo-fuzz on stable Rust, without a sanitizer (`-s none`), with debug
# assertions (`-a`: integer overflow panics). Included by the root Makefile.
#
#   make fuzz-smoke          every target for FUZZ_SMOKE_SECONDS each, from the seeds and the regression
#                            inputs; fails on any crash, mismatch or hang (CI); the executions and rates
#                            also go to fuzz/reports/smoke.md
#   make fuzz T=<target>     one target for FUZZ_SECONDS (0: until stopped), niced; FUZZ_ARGS go to libFuzzer;
#                            a run that ends by itself writes its final counts to fuzz/reports/<target>.md
#   make fuzz-seeds          the seed corpora, built from vectors/data, in fuzz/corpus/<target>/
#   make fuzz-rtl-coverage   the RTL lines and branches engine_jobs_rtl's corpus reaches: a summary (also in
#                            fuzz/reports/rtl-coverage.md), and the RTL annotated with counts in
#                            build/fuzz-rtl-coverage/annotated/

FUZZ_TARGETS := cdb_model cdb_fastpath xcopy_list unmap_list command_sequence iscsi_wire engine_jobs_rtl
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_SECONDS ?= 3600
FUZZ_ARGS ?=
# Feature rtl: the RTL target, through offload-cosim (verilator, from make setup).
FUZZ_CARGO_FLAGS := --fuzz-dir fuzz -s none -a --features rtl
FUZZ_WORK := fuzz/target/fuzz-work
# Where cargo puts the fuzz crate's binaries: an absolute CARGO_TARGET_DIR, else fuzz/target. cargo fuzz
# puts the target binaries under <that>/<host triple>/release.
FUZZ_TARGET_DIR := $(if $(filter /%,$(CARGO_TARGET_DIR)),$(CARGO_TARGET_DIR),fuzz/target)
FUZZ_TRIPLE := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
# No --locked for the fuzz crate: `cargo fuzz build` cannot pass it, and brings fuzz/Cargo.lock up to date
# itself when the parts it depends on change their dependencies.
# The dictionaries each target uses (fuzz/dict/<name>.dict), concatenated into one file per target.
FUZZ_DICT_cdb_model := cdb
FUZZ_DICT_cdb_fastpath := cdb
FUZZ_DICT_xcopy_list := xcopy
FUZZ_DICT_unmap_list := unmap
FUZZ_DICT_command_sequence := cdb xcopy unmap
FUZZ_DICT_iscsi_wire := iscsi
FUZZ_DICT_engine_jobs_rtl :=
# libFuzzer's options for every run of target $$t (a shell variable): its dictionary if it has one, a
# hang is a failure, the final counts printed.
FUZZ_LIBFUZZER_ARGS = $$([ -s $(FUZZ_WORK)/$$t.dict ] && echo -dict=$(FUZZ_WORK)/$$t.dict) -timeout=10 -print_final_stats=1
# The corpus directories of target $$t: its growing corpus first (new inputs go there), then the named
# regression inputs, if any.
FUZZ_CORPORA = fuzz/corpus/$$t $$(ls -d fuzz/regressions/$$t 2>/dev/null)

FUZZ_RTL_COVERAGE := build/fuzz-rtl-coverage

# One Markdown table row from libFuzzer's final counts in log $$log, for target $$t with result $$result.
FUZZ_STATS_ROW = counter() { sed -n "s/^stat::$$1: *//p" $$log | tail -1; }; \
	echo "| \`$$t\` | $$(counter number_of_executed_units) | $$(counter average_exec_per_sec) | $$(counter new_units_added) | $$(counter peak_rss_mb) | $$result |"
FUZZ_STATS_HEADER = echo '| target | executions | execs/s | new inputs | peak RSS (MB) | result |'; echo '|---|---:|---:|---:|---:|---|'

.PHONY: fuzz-setup fuzz-build fuzz-seeds fuzz-test fuzz-smoke fuzz-smoke-runs fuzz fuzz-run fuzz-rtl-coverage \
	fuzz-rtl-coverage-summary

# cargo-fuzz, once (cargo install is idempotent but slow to find out).
fuzz-setup: setup
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked

fuzz-build: fuzz-setup
	$(CARGO) fuzz build $(FUZZ_CARGO_FLAGS)

fuzz-seeds: setup
	cd fuzz && $(CARGO) run -q --features seeds --bin offload-fuzz-seeds -- ../vectors/data corpus
	@mkdir -p $(FUZZ_WORK)
	@$(foreach t,$(FUZZ_TARGETS),cat /dev/null $(patsubst %,fuzz/dict/%.dict,$(FUZZ_DICT_$(t))) > $(FUZZ_WORK)/$(t).dict;)

# The fuzz crate's own tests: the pair, the sequence layout, and every seed through its target.
fuzz-test: setup
	cd fuzz && $(CARGO) test -q

fuzz-smoke: fuzz-build fuzz-seeds fuzz-test
	@nm $(FUZZ_TARGET_DIR)/$(FUZZ_TRIPLE)/release/engine_jobs_rtl | grep -q __start___libfuzzer_extra_counters \
		|| { echo "engine_jobs_rtl: built without the RTL coverage feedback (no __libfuzzer_extra_counters)"; exit 1; }
	@tools/report.sh fuzz/reports/smoke.md "make fuzz-smoke" -- $(MAKE) --no-print-directory -s fuzz-smoke-runs

# make fuzz-smoke's runs (tools/report.sh keeps what they print in fuzz/reports/smoke.md).
fuzz-smoke-runs:
	@echo "Every target for $(FUZZ_SMOKE_SECONDS) s under nice -n 10, from its corpus (seeded from the vectors) and its regression inputs:"; \
	echo; $(FUZZ_STATS_HEADER); \
	failed=0; \
	for t in $(FUZZ_TARGETS); do \
		log=$(FUZZ_WORK)/$$t.log; \
		if nice -n 10 $(CARGO) fuzz run $(FUZZ_CARGO_FLAGS) $$t $(FUZZ_CORPORA) -- \
			$(FUZZ_LIBFUZZER_ARGS) -max_total_time=$(FUZZ_SMOKE_SECONDS) >$$log 2>&1; \
		then result=ok; else result="FAILED (log: $$log)"; failed=1; fi; \
		$(FUZZ_STATS_ROW); \
		if [ "$$result" != ok ]; then grep -E "panicked|disagree|malformed|artifact_prefix|Test unit written" $$log | head -5 >&2; fi; \
	done; \
	exit $$failed

fuzz: fuzz-build fuzz-seeds
	@if [ -z "$(filter $(T),$(FUZZ_TARGETS))" ]; then echo "usage: make fuzz T=<target>, one of: $(FUZZ_TARGETS)"; exit 2; fi
	@tools/report.sh fuzz/reports/$(T).md "make fuzz T=$(T) FUZZ_SECONDS=$(FUZZ_SECONDS)$(if $(FUZZ_ARGS), FUZZ_ARGS='$(FUZZ_ARGS)')" \
		-- $(MAKE) --no-print-directory -s fuzz-run

# make fuzz's run: libFuzzer's output to the terminal (standard error) and $(FUZZ_WORK)/<target>.log, the
# final counts as a table (which tools/report.sh keeps in fuzz/reports/<target>.md).
fuzz-run:
	@set -o pipefail; t=$(T); log=$(FUZZ_WORK)/$$t.log; \
	echo "\`cargo fuzz run $(FUZZ_CARGO_FLAGS) $$t" $(FUZZ_CORPORA) \
		"-- -max_total_time=$(FUZZ_SECONDS)$(if $(strip $(FUZZ_ARGS)), $(FUZZ_ARGS))\` under nice -n 10:"; \
	nice -n 10 $(CARGO) fuzz run $(FUZZ_CARGO_FLAGS) $$t $(FUZZ_CORPORA) -- \
		$(FUZZ_LIBFUZZER_ARGS) -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS) 2>&1 | tee $$log >&2 \
		&& result=ok || { status=$$?; result=FAILED; }; \
	echo; $(FUZZ_STATS_HEADER); $(FUZZ_STATS_ROW); \
	echo; echo "corpus: $$(ls fuzz/corpus/$$t | wc -l) inputs in fuzz/corpus/$$t"; \
	exit $${status:-0}

# Replays the corpus (and the regression inputs) on the RTL with Verilator's line coverage, then has
# verilator_coverage mark every RTL line no input reached ("%000000" in the annotated copies).
fuzz-rtl-coverage: fuzz-seeds
	cd fuzz && $(CARGO) build -q --release --features rtl-coverage --bin offload-fuzz-rtl-coverage
	@mkdir -p $(FUZZ_RTL_COVERAGE)
	@tools/report.sh fuzz/reports/rtl-coverage.md "make fuzz-rtl-coverage" -- \
		$(MAKE) --no-print-directory -s fuzz-rtl-coverage-summary

# make fuzz-rtl-coverage's replay and summary (tools/report.sh keeps it in fuzz/reports/rtl-coverage.md).
fuzz-rtl-coverage-summary:
	@t=engine_jobs_rtl; echo "The corpus replayed: $(FUZZ_CORPORA) (fuzz/corpus is not in git: it is what this machine's runs left)."; echo
	@t=engine_jobs_rtl; $(FUZZ_TARGET_DIR)/release/offload-fuzz-rtl-coverage $(FUZZ_RTL_COVERAGE)/coverage.dat $(FUZZ_CORPORA)
	@rm -rf $(FUZZ_RTL_COVERAGE)/annotated
	@out=$$(verilator_coverage --annotate $(FUZZ_RTL_COVERAGE)/annotated --annotate-min 1 \
		$(FUZZ_RTL_COVERAGE)/coverage.dat) || exit 1; echo; echo "Lines (verilator_coverage): $$(echo "$$out" | head -1)"
	@echo; echo '| file | lines not reached |'; echo '|---|---:|'; \
	for f in $(FUZZ_RTL_COVERAGE)/annotated/*.sv; do \
		echo "| $$(basename $$f) | $$(grep -c '^%000000' $$f) |"; \
	done; \
	echo; echo "(every RTL file not listed: all lines reached; details in $(FUZZ_RTL_COVERAGE)/annotated/)"
