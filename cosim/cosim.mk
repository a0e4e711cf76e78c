# The co-simulation (cosim/, see cosim/README.md): the Verilated RTL driven from Rust and held to the
# model, job by job and cycle by cycle. Included by the root Makefile.
#
#   make cosim        every golden vector, a seeded random regression on two queues with random latency
#                     and backpressure, a cycle-checked single-queue one, the shared-port model's gate
#                     (1 to 4 queues at fixed latency, three seeds each, and 4 queues on the RTL built with
#                     two lock entries: every job's grant and completion predicted), and the deliberate-fault tests; the runs' tables and RTL coverage also
#                     go to cosim/reports/cosim.md
#   make cosim-long   100 000 random jobs (a few minutes on an idle 2-core machine); cosim/reports/long.md
#   make timing-speed 100 000 random jobs on two queues at 16:8, and the esxi workload of `offload perf`,
#                     each simulated in the RTL and predicted by the shared-port model in one run: the
#                     time of each and their ratio (the contention table's last columns);
#                     cosim/reports/timing-speed.md
#
# make cosim also measures the RTL line coverage of the vectors and of the random regression
# (build/cosim-coverage/: coverage.dat files, and the RTL annotated with counts, "%000000" where nothing
# reached a line).

COSIM := target/release/cosim
COSIM_SEED ?= 1
COSIM_COVERAGE := build/cosim-coverage
# The shared-port model's gate (cosim/src/contention.rs): every queue count at the model's fixed latency,
# several seeds, each run's prediction held to the RTL job by job.
COSIM_GATE_QUEUES := 1 2 3 4
COSIM_GATE_SEEDS := 1 2 3
COSIM_GATE_JOBS := 3000
# Latencies outside the cycle equations' domain (reads not covering the round trip; write responses
# slower than three bursts) and far below it: the shared-port model holds there too.
COSIM_GATE_LATENCIES := 48:8 16:64 2:1
# cosim's output as Markdown: a blank line wherever table rows start or end, so that the table and the
# lines around it stay apart.
COSIM_MARKDOWN := awk '{ t = /^\|/ } NR > 1 && t != p { print "" } { print; fflush(); p = t }'

.PHONY: cosim cosim-runs cosim-long cosim-long-run timing-speed timing-speed-run

cosim: setup
	$(CARGO) build --release --locked -p offload-cosim --features fault-models,coverage,parameter-variants
	@mkdir -p $(COSIM_COVERAGE)
	@tools/report.sh cosim/reports/cosim.md "make cosim" -- $(MAKE) --no-print-directory -s cosim-runs
	$(CARGO) test --release --locked -p offload-cosim --features fault-models,coverage,parameter-variants

# make cosim's runs (tools/report.sh keeps what they print in cosim/reports/cosim.md).
cosim-runs:
	@echo '## `cosim run vectors/data`'; echo
	@set -o pipefail; $(COSIM) --coverage $(COSIM_COVERAGE)/vectors.dat run vectors/data | $(COSIM_MARKDOWN)
	@echo; echo '## `cosim random --seed $(COSIM_SEED) --jobs 4000 --queues 2 --latency 2-48 --backpressure 20 --timing-gate`'; echo
	@set -o pipefail; $(COSIM) --coverage $(COSIM_COVERAGE)/random.dat random --seed $(COSIM_SEED) --jobs 4000 --queues 2 \
		--latency 2-48 --backpressure 20 --timing-gate | $(COSIM_MARKDOWN)
	@echo; echo '## `cosim random --seed $(COSIM_SEED) --jobs 1500 --queues 1`'; echo
	@set -o pipefail; $(COSIM) random --seed $(COSIM_SEED) --jobs 1500 --queues 1 | $(COSIM_MARKDOWN)
	@for q in $(COSIM_GATE_QUEUES); do for seed in $(COSIM_GATE_SEEDS); do \
		echo; echo "## \`cosim random --seed $$seed --jobs $(COSIM_GATE_JOBS) --queues $$q --latency 16:8 --timing-gate\`"; echo; \
		set -o pipefail; $(COSIM) random --seed $$seed --jobs $(COSIM_GATE_JOBS) --queues $$q --latency 16:8 \
			--timing-gate | $(COSIM_MARKDOWN) || exit 1; \
	done; done
	@for latency in $(COSIM_GATE_LATENCIES); do \
		echo; echo "## \`cosim random --seed 4 --jobs 1500 --queues 4 --latency $$latency --timing-gate\`"; echo; \
		set -o pipefail; $(COSIM) random --seed 4 --jobs 1500 --queues 4 --latency $$latency \
			--timing-gate | $(COSIM_MARKDOWN) || exit 1; \
	done
	@for seed in $(COSIM_GATE_SEEDS); do \
		echo; echo "## \`cosim random --seed $$seed --jobs $(COSIM_GATE_JOBS) --queues 4 --lock-entries 2 --latency 16:8 --timing-gate\`"; \
		echo; set -o pipefail; $(COSIM) random --seed $$seed --jobs $(COSIM_GATE_JOBS) --queues 4 --lock-entries 2 \
			--latency 16:8 --timing-gate | $(COSIM_MARKDOWN) || exit 1; \
	done
	@verilator_coverage --write $(COSIM_COVERAGE)/both.dat $(COSIM_COVERAGE)/vectors.dat $(COSIM_COVERAGE)/random.dat
	@echo; echo '## RTL lines reached (`verilator_coverage`, annotated copies in $(COSIM_COVERAGE)/)'; echo
	@echo '| run | lines |'; echo '|---|---|'; \
	for run in vectors random both; do \
		rm -rf $(COSIM_COVERAGE)/annotated-$$run; \
		out=$$(verilator_coverage --annotate $(COSIM_COVERAGE)/annotated-$$run --annotate-min 1 \
			$(COSIM_COVERAGE)/$$run.dat) || exit 1; \
		echo "| $$run | $$(echo "$$out" | head -1) |"; \
	done

cosim-long: setup
	$(CARGO) build --release --locked -p offload-cosim
	@tools/report.sh cosim/reports/long.md "make cosim-long" -- $(MAKE) --no-print-directory -s cosim-long-run

# make cosim-long's run (tools/report.sh keeps what it prints in cosim/reports/long.md).
COSIM_LONG := random --seed 11 --jobs 100000 --queues 2 --latency 4-40 --backpressure 20
cosim-long-run:
	@echo '## `cosim $(COSIM_LONG)` (under nice -n 10)'; echo
	@set -o pipefail; nice -n 10 $(COSIM) $(COSIM_LONG) | $(COSIM_MARKDOWN)

timing-speed: setup
	$(CARGO) build --release --locked -p offload-cosim
	@tools/report.sh cosim/reports/timing-speed.md "make timing-speed" -- $(MAKE) --no-print-directory -s timing-speed-run

# make timing-speed's run: the RTL's run time (Verilator, the slave, the scoreboard) against the model's
# prediction of the same jobs, measured one after the other in one process.
TIMING_SPEED := random --seed 21 --jobs 100000 --queues 2 --latency 16:8 --timing-gate
timing-speed-run:
	@echo '## `cosim $(TIMING_SPEED)`'; echo
	@set -o pipefail; $(COSIM) $(TIMING_SPEED) | $(COSIM_MARKDOWN)
	@echo; echo '## `cosim workload --preset esxi --timing-gate` (the `offload perf` preset: 4 MiB clones)'; echo
	@set -o pipefail; $(COSIM) workload --preset esxi --timing-gate | $(COSIM_MARKDOWN)
