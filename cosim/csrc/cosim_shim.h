// The port image exchanged with Rust once per evaluation (mirrored by src/rtl.rs: keep the field order).
#ifndef COSIM_SHIM_H
#define COSIM_SHIM_H

#include <stdint.h>

struct CosimIn {
  uint64_t job_src, job_dst, rdata;
  uint32_t job_blocks;
  uint16_t job_tag;
  uint8_t job_op, job_block_shift, job_valid, comp_ready, rst_n;
  uint8_t arready, rvalid, rresp, rlast, awready, wready, bvalid, bresp;
};

struct CosimOut {
  uint64_t comp_fault_address, comp_cycles, araddr, awaddr, wdata;
  uint32_t comp_blocks_done, comp_miscompare_offset, comp_commit;
  uint16_t comp_tag;
  uint8_t job_ready, comp_valid, comp_status, comp_queue;
  uint8_t arvalid, arlen, arsize, arburst, rready;
  uint8_t awvalid, awlen, awsize, awburst, awuser, wvalid, wstrb, wlast, bready, idle;
};

#endif
