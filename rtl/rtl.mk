# The RTL flow (included by the root Makefile). Build outputs go to build/rtl/; the figures synth, fpga
# and rtl-smoke print are also written to rtl/reports/<target>.md (tools/report.sh), which are checked in.
#
#   make lint       verilator --lint-only -Wall: the block at 64 and 32 bits, 2 and 4 queues, 512-byte
#                   blocks, and the FPGA wrapper; zero warnings (no waivers are needed)
#   make synth      Yosys generic synthesis of offload_top (64 and 32 bits): fails on any latch;
#                   logic cells, flip-flops and memories (rtl/reports/synth.md)
#   make fpga       the 32-bit build on an iCE40 HX8K: synth_ice40, nextpnr-ice40, icepack; logic cells,
#                   block RAMs, post-route Fmax and the critical path (rtl/reports/fpga.md)
#   make rtl-smoke  the SystemVerilog bench under Verilator (64 and 32 bits) and Icarus: every engine,
#                   every error path, reset, two queues, the vectors' $readmemh replay; beats per cycle
#                   (rtl/reports/smoke.md)
#   make rtl-report synth + fpga: both reports
#   make rtl-package  regenerate rtl/offload_pkg.sv from the contract (vectors/src); lint checks it is current

RTL_BUILD := build/rtl
RTL_FILES := $(addprefix rtl/,$(shell cat rtl/offload.f))
RTL_LINT := verilator --lint-only -Wall -Irtl $(RTL_FILES)

.PHONY: lint synth fpga rtl-smoke rtl-report rtl-package

rtl-package:
	$(CARGO) run -q --locked -p offload-vectors --bin offload-sv-package -- rtl/offload_pkg.sv

lint: setup
	$(CARGO) run -q --locked -p offload-vectors --bin offload-sv-package -- --check rtl/offload_pkg.sv
	$(RTL_LINT) --top-module offload_top
	$(RTL_LINT) --top-module offload_top -GDataWidth=32
	$(RTL_LINT) --top-module offload_top -GNumQueues=4 -GLockEntries=8 -GBlockBytes=512
	$(RTL_LINT) rtl/fpga/offload_fpga_mem.sv rtl/fpga/offload_fpga_top.sv --top-module offload_fpga_top
	@echo "lint: clean"

synth: setup
	@tools/report.sh rtl/reports/synth.md "make synth" -- bash -c 'set -e; yosys -V; echo; \
		echo "| build | DataWidth | queues | logic cells | flip-flops | memories | latches |"; \
		echo "|---|---:|---:|---:|---:|---:|---:|"; \
		rtl/scripts/synth.sh $(CURDIR)/$(RTL_BUILD) 64 2; \
		rtl/scripts/synth.sh $(CURDIR)/$(RTL_BUILD) 32 2'

fpga: setup
	@tools/report.sh rtl/reports/fpga.md "make fpga" -- rtl/scripts/fpga.sh $(CURDIR)/$(RTL_BUILD)

rtl-smoke: setup
	tools/report.sh rtl/reports/smoke.md "make rtl-smoke" -- rtl/scripts/smoke.sh $(CURDIR)/$(RTL_BUILD)/smoke

rtl-report: synth fpga
