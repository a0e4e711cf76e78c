# The RTL flow (included by the root Makefile). All outputs go to build/rtl/.
#
#   make lint       verilator --lint-only -Wall: the block at 64 and 32 bits, 2 and 4 queues, 512-byte
#                   blocks, and the FPGA wrapper; zero warnings (no waivers are needed)
#   make synth      Yosys 0.23 generic synthesis of offload_top (64 and 32 bits): fails on any latch;
#                   prints logic cells, flip-flops and memories
#   make fpga       the 32-bit build on an iCE40 HX8K: synth_ice40, nextpnr-ice40, icepack; prints logic
#                   cells, block RAMs and post-route Fmax
#   make rtl-smoke  the SystemVerilog bench under Verilator (64 and 32 bits) and Icarus: every engine,
#                   every error path, reset, two queues, the vectors' $readmemh replay; beats per cycle
#   make rtl-report synth + fpga, the table in rtl/README.md
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
	@echo "| build | DataWidth | queues | logic cells | flip-flops | memories | latches |"
	@echo "|---|---:|---:|---:|---:|---:|---:|"
	@rtl/scripts/synth.sh $(CURDIR)/$(RTL_BUILD) 64 2
	@rtl/scripts/synth.sh $(CURDIR)/$(RTL_BUILD) 32 2

fpga: setup
	@echo "| build | DataWidth | queues | logic cells | block RAM | Fmax |"
	@echo "|---|---:|---:|---:|---:|---:|"
	@rtl/scripts/fpga.sh $(CURDIR)/$(RTL_BUILD)

rtl-smoke: setup
	rtl/scripts/smoke.sh $(CURDIR)/$(RTL_BUILD)/smoke

rtl-report: synth fpga
