# The repository's own tools (tools/), included by the root Makefile.
#
#   make module-cycles   builds tools/module-cycles and runs it over every library and binary root of
#                        every crate: one line per root, the cycles among its modules if any; fails
#                        when a root has one (see tools/module-cycles/src/lib.rs for what counts)

MODULE_CYCLES := $(or $(CARGO_TARGET_DIR),target)/release/module-cycles
MODULE_CYCLES_ROOTS := scsi/src/lib.rs \
	vectors/src/lib.rs vectors/src/bin/offload_sv_package.rs \
	model/src/lib.rs model/src/bin/offload.rs \
	fastpath/src/lib.rs \
	iscsi/src/lib.rs iscsi/src/bin/offload-iscsi.rs \
	cosim/src/lib.rs cosim/src/main.rs \
	fuzz/src/lib.rs $(wildcard fuzz/src/bin/*.rs) $(wildcard fuzz/fuzz_targets/*.rs) \
	tools/module-cycles/src/lib.rs tools/module-cycles/src/main.rs

.PHONY: module-cycles

module-cycles:
	$(CARGO) build --release --locked -p offload-module-cycles
	@$(MODULE_CYCLES) $(MODULE_CYCLES_ROOTS)
