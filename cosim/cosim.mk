# The co-simulation (cosim/, see cosim/README.md): the Verilated RTL driven from Rust and held to the
# model, job by job and cycle by cycle. Included by the root Makefile.
#
#   make cosim        every golden vector, a seeded random regression on two queues with random latency
#                     and backpressure, a cycle-checked single-queue one, and the deliberate-fault tests
#   make cosim-long   100 000 random jobs (reported in cosim/README.md; about 20 minutes on 2 cores)

COSIM := target/release/cosim
COSIM_SEED ?= 1

.PHONY: cosim cosim-long

cosim: setup
	$(CARGO) build --release --locked -p offload-cosim --features fault-models
	$(COSIM) run vectors/data
	$(COSIM) random --seed $(COSIM_SEED) --jobs 4000 --queues 2 --latency 2-48 --backpressure 20
	$(COSIM) random --seed $(COSIM_SEED) --jobs 1500 --queues 1
	$(CARGO) test --release --locked -p offload-cosim --features fault-models

cosim-long: setup
	$(CARGO) build --release --locked -p offload-cosim
	nice -n 10 $(COSIM) random --seed 11 --jobs 100000 --queues 2 --latency 4-40 --backpressure 20
