# The iSCSI target's own make targets (iscsi/), included by the root Makefile.
#
#   make iscsi-bench   offload-iscsi (model and fast path) and tgtd on loopback under VMware-shaped
#                      loads, each next to its anchor measured in the same run (memcpy, memset, the
#                      loopback ping-pong floor, tgtd): 1 GiB clone by EXTENDED COPY and by READ + WRITE
#                      and WRITE SAME eager-zero (medians of repeated runs), UNMAP of a 1 TiB thin LU
#                      (tgtd too), ATS heartbeat storms (8/64/256 sessions, 16 contending), 4 KiB READ
#                      with 32 in flight; peak RSS per load (about two minutes, measured on this 2-vCPU
#                      VM; see iscsi/bench.sh); the table also goes to iscsi/reports/bench.md
#   make interop       QEMU's own iSCSI client (qemu-img, qemu-io) against offload-iscsi on loopback,
#                      both back ends: pattern write and read, qemu-img map, convert -C between two LUs
#                      and between two targets, write -z [-u], discard, flush, a 3 TiB LU — each check
#                      proved from the target's counters and QEMU's iscsi_xcopy trace; then CHAP
#                      with libiscsi and QEMU (iscsi/interop/chap.sh); tables, also in
#                      iscsi/reports/interop.md (see iscsi/interop/run.sh). In make test.
#   make iscsi-footprint
#                      the resident memory of both back ends on 3 TiB thin units: built, after writes
#                      (scattered and contiguous), after UNMAP, and opening a 3 TiB sparse image; the
#                      table also goes to iscsi/reports/footprint.md

.PHONY: iscsi-bench interop iscsi-footprint

iscsi-bench: setup setup-peer
	$(CARGO) build --release --locked -p offload-iscsi --bin offload-iscsi --example load --example anchors --example pingpong
	BENCH_COMMAND="make iscsi-bench" nice -n 10 iscsi/bench.sh

# QEMU's iSCSI driver is a separate Debian module matching the installed qemu-utils: iscsi/interop/qemu.sh
# fetches it into target/qemu (run.sh calls it).
interop: iscsi
	INTEROP_COMMAND="make interop" iscsi/interop/run.sh

iscsi-footprint: setup
	@tools/report.sh iscsi/reports/footprint.md "make iscsi-footprint" -- \
		$(CARGO) run --release --locked -q -p offload-iscsi --example footprint
