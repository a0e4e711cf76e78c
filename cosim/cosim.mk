# The co-simulation (cosim/, see cosim/README.md): the Verilated RTL driven from Rust and held to the
# model, job by job and cycle by cycle. Included by the root Makefile.
#
#   make cosim        every golden vector, a seeded random regression on two queues with random latency
#                     and backpressure, a cycle-checked single-queue one, and the deliberate-fault tests
#   make cosim-long   100 000 random jobs (reported in cosim/README.md; about 20 minutes on 2 cores)
#
# make cosim also measures the RTL line coverage of the vectors and of the random regression
# (build/cosim-coverage/: coverage.dat files, and the RTL annotated with counts, "%000000" where nothing
# reached a line).

COSIM := target/release/cosim
COSIM_SEED ?= 1
COSIM_COVERAGE := build/cosim-coverage

.PHONY: cosim cosim-long

cosim: setup
	$(CARGO) build --release --locked -p offload-cosim --features fault-models,coverage
	@mkdir -p $(COSIM_COVERAGE)
	$(COSIM) --coverage $(COSIM_COVERAGE)/vectors.dat run vectors/data
	$(COSIM) --coverage $(COSIM_COVERAGE)/random.dat random --seed $(COSIM_SEED) --jobs 4000 --queues 2 --latency 2-48 --backpressure 20
	$(COSIM) random --seed $(COSIM_SEED) --jobs 1500 --queues 1
	@verilator_coverage --write $(COSIM_COVERAGE)/both.dat $(COSIM_COVERAGE)/vectors.dat $(COSIM_COVERAGE)/random.dat
	@echo "RTL lines reached (verilator_coverage):"; \
	for run in vectors random both; do \
		rm -rf $(COSIM_COVERAGE)/annotated-$$run; \
		out=$$(verilator_coverage --annotate $(COSIM_COVERAGE)/annotated-$$run --annotate-min 1 \
			$(COSIM_COVERAGE)/$$run.dat) || exit 1; \
		printf '  %-8s %s\n' $$run "$$(echo "$$out" | head -1)"; \
	done
	$(CARGO) test --release --locked -p offload-cosim --features fault-models,coverage

cosim-long: setup
	$(CARGO) build --release --locked -p offload-cosim
	nice -n 10 $(COSIM) random --seed 11 --jobs 100000 --queues 2 --latency 4-40 --backpressure 20
