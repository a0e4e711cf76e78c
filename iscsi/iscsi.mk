# The iSCSI target's own make targets (iscsi/), included by the root Makefile.
#
#   make iscsi-bench   offload-iscsi (model and fast path) and tgtd on loopback: IOPS and MB/s for
#                      READ, WRITE and COMPARE AND WRITE, and the host-link bytes of cloning 1 GiB with
#                      EXTENDED COPY versus READ + WRITE (about two minutes; see iscsi/bench.sh); the
#                      tables also go to iscsi/reports/bench.md
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
	$(CARGO) build --release --locked -p offload-iscsi --bin offload-iscsi --example load
	BENCH_COMMAND="make iscsi-bench" nice -n 10 iscsi/bench.sh

# QEMU's iSCSI driver is a separate Debian module matching the installed qemu-utils: iscsi/interop/qemu.sh
# fetches it into target/qemu (run.sh calls it).
interop: iscsi
	INTEROP_COMMAND="make interop" iscsi/interop/run.sh

iscsi-footprint: setup
	@tools/report.sh iscsi/reports/footprint.md "make iscsi-footprint" -- \
		$(CARGO) run --release --locked -q -p offload-iscsi --example footprint
