// offload_fpga_top: a pin-light wrapper of the offload block for FPGA place and route (the bare block
// has more I/O than any iCE40 package). Nine pins:
//
//   ser_i, shift_i  shift a job in, LSB first: 256 bits of the job word (offload_pkg layout), then one
//                   bit choosing the queue (0 or 1); shift_i high shifts one bit per clock.
//   push_i          offer the shifted job (the wrapper holds valid until the block takes it).
//   cpl_o           a completion is waiting.
//   ser_o, rd_i     the waiting completion word (offload_pkg layout; cycles: the block's count),
//                   bit rd_ptr at ser_o two cycles after rd_ptr moves; rd_i steps to the next bit.
//   pop_i           accept the waiting completion.
//   idle_o          the block is idle.
// Memory is an on-chip RAM behind offload_fpga_mem (Words words; other addresses answer DECERR).
// Control pins are synchronised (two flops); ser_i is sampled with shift_i.
`default_nettype none

module offload_fpga_top #(
  parameter int DataWidth = 32,
  parameter int Words     = 1024
) (
  input  logic clk_i,
  input  logic rst_ni,
  input  logic ser_i,
  input  logic shift_i,
  input  logic push_i,
  input  logic rd_i,
  input  logic pop_i,
  output logic ser_o,
  output logic cpl_o,
  output logic idle_o
);
  localparam int NumQueues = 2;

  // ---- pins
  logic [1:0] shift_sync_q, push_sync_q, rd_sync_q, pop_sync_q, ser_sync_q;
  logic       push_prev_q, rd_prev_q, pop_prev_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      shift_sync_q <= '0;
      push_sync_q  <= '0;
      rd_sync_q    <= '0;
      pop_sync_q   <= '0;
      ser_sync_q   <= '0;
      push_prev_q  <= 1'b0;
      rd_prev_q    <= 1'b0;
      pop_prev_q   <= 1'b0;
    end else begin
      shift_sync_q <= {shift_sync_q[0], shift_i};
      push_sync_q  <= {push_sync_q[0], push_i};
      rd_sync_q    <= {rd_sync_q[0], rd_i};
      pop_sync_q   <= {pop_sync_q[0], pop_i};
      ser_sync_q   <= {ser_sync_q[0], ser_i};
      push_prev_q  <= push_sync_q[1];
      rd_prev_q    <= rd_sync_q[1];
      pop_prev_q   <= pop_sync_q[1];
    end
  end

  // ---- job in
  logic [256:0]         job_q;
  logic                 pending_q;
  logic [NumQueues-1:0] job_valid, job_ready;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      job_q     <= '0;
      pending_q <= 1'b0;
    end else begin
      if (shift_sync_q[1] && !pending_q) begin
        job_q <= {ser_sync_q[1], job_q[256:1]};
      end
      if (push_sync_q[1] && !push_prev_q) begin
        pending_q <= 1'b1;
      end else if (|(job_valid & job_ready)) begin
        pending_q <= 1'b0;
      end
    end
  end
  assign job_valid = pending_q ? (job_q[256] ? 2'b10 : 2'b01) : 2'b00;

  // ---- completion out
  logic [NumQueues-1:0] comp_valid, comp_ready;
  logic [7:0]           comp_status, comp_queue;
  logic [15:0]          comp_tag;
  logic [31:0]          comp_blocks_done, comp_mis, comp_commit;
  logic [63:0]          comp_fault, comp_cycles;
  logic [255:0]         comp_word;
  logic [7:0]           rd_ptr_q;
  logic [15:0]          ser_mid, ser_mid_q;
  always_comb begin
    comp_word = '0;
    comp_word[offload_pkg::CompletionStatusLsb +: 8]            = comp_status;
    comp_word[offload_pkg::CompletionQueueLsb +: 8]             = comp_queue;
    comp_word[offload_pkg::CompletionTagLsb +: 16]              = comp_tag;
    comp_word[offload_pkg::CompletionBlocksDoneLsb +: 32]       = comp_blocks_done;
    comp_word[offload_pkg::CompletionMiscompareOffsetLsb +: 32] = comp_mis;
    comp_word[offload_pkg::CompletionCommitLsb +: 32]           = comp_commit;
    comp_word[offload_pkg::CompletionFaultAddressLsb +: 64]     = comp_fault;
    comp_word[offload_pkg::CompletionCyclesLsb +: 64]           = comp_cycles;
  end
  // The 256-to-1 bit select in two registered steps, the same multiplexers as one: bit i of ser_mid
  // is bit rd_ptr[3:0] of the word's 16-bit group i; then group rd_ptr[7:4]. (The completion fields
  // come from the engines through the block's completion multiplexer, late in the cycle.)
  always_comb begin : c_ser_mid
    logic [15:0] group, mid;
    mid = '0;
    for (int i = 0; i < 16; i++) begin
      group  = comp_word[16*i +: 16];
      mid[i] = group[rd_ptr_q[3:0]];
    end
    ser_mid = mid;
  end
  assign comp_ready = (pop_sync_q[1] && !pop_prev_q) ? '1 : '0;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_ptr_q <= '0;
    end else if (|(comp_valid & comp_ready)) begin
      rd_ptr_q <= '0;
    end else if (rd_sync_q[1] && !rd_prev_q) begin
      rd_ptr_q <= rd_ptr_q + 8'd1;
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ser_mid_q <= '0;
      ser_o     <= 1'b0;
      cpl_o     <= 1'b0;
    end else begin
      ser_mid_q <= ser_mid;
      ser_o     <= ser_mid_q[rd_ptr_q[7:4]];
      cpl_o     <= |comp_valid;
    end
  end

  // ---- the block and its memory
  logic                   arvalid, arready, rvalid, rready, rlast, awvalid, awready, wvalid, wready;
  logic                   wlast, bvalid, bready, idle;
  logic [63:0]            araddr, awaddr;
  logic [7:0]             arlen, awlen;
  logic [2:0]             arsize, awsize;
  logic [1:0]             arburst, awburst, awuser, rresp, bresp;
  logic [DataWidth-1:0]   rdata, wdata;
  logic [DataWidth/8-1:0] wstrb;

  offload_top #(
    .DataWidth(DataWidth),
    .NumQueues(NumQueues)
  ) u_offload (
    .clk_i                   (clk_i),
    .rst_ni                  (rst_ni),
    .job_valid_i             (job_valid),
    .job_ready_o             (job_ready),
    .job_op_i                (job_q[offload_pkg::JobOpLsb +: 8]),
    .job_block_shift_i       (job_q[offload_pkg::JobBlockShiftLsb +: 8]),
    .job_tag_i               (job_q[offload_pkg::JobTagLsb +: 16]),
    .job_blocks_i            (job_q[offload_pkg::JobBlocksLsb +: 32]),
    .job_src_i               (job_q[offload_pkg::JobSrcLsb +: 64]),
    .job_dst_i               (job_q[offload_pkg::JobDstLsb +: 64]),
    .comp_valid_o            (comp_valid),
    .comp_ready_i            (comp_ready),
    .comp_status_o           (comp_status),
    .comp_queue_o            (comp_queue),
    .comp_tag_o              (comp_tag),
    .comp_blocks_done_o      (comp_blocks_done),
    .comp_miscompare_offset_o(comp_mis),
    .comp_commit_o           (comp_commit),
    .comp_fault_address_o    (comp_fault),
    .comp_cycles_o           (comp_cycles),
    .m_axi_arvalid_o         (arvalid),
    .m_axi_arready_i         (arready),
    .m_axi_araddr_o          (araddr),
    .m_axi_arlen_o           (arlen),
    .m_axi_arsize_o          (arsize),
    .m_axi_arburst_o         (arburst),
    .m_axi_rvalid_i          (rvalid),
    .m_axi_rready_o          (rready),
    .m_axi_rdata_i           (rdata),
    .m_axi_rresp_i           (rresp),
    .m_axi_rlast_i           (rlast),
    .m_axi_awvalid_o         (awvalid),
    .m_axi_awready_i         (awready),
    .m_axi_awaddr_o          (awaddr),
    .m_axi_awlen_o           (awlen),
    .m_axi_awsize_o          (awsize),
    .m_axi_awburst_o         (awburst),
    .m_axi_awuser_o          (awuser),
    .m_axi_wvalid_o          (wvalid),
    .m_axi_wready_i          (wready),
    .m_axi_wdata_o           (wdata),
    .m_axi_wstrb_o           (wstrb),
    .m_axi_wlast_o           (wlast),
    .m_axi_bvalid_i          (bvalid),
    .m_axi_bready_o          (bready),
    .m_axi_bresp_i           (bresp),
    .idle_o                  (idle)
  );

  offload_fpga_mem #(
    .DataWidth(DataWidth),
    .Words    (Words)
  ) u_mem (
    .clk_i    (clk_i),
    .rst_ni   (rst_ni),
    .arvalid_i(arvalid),
    .arready_o(arready),
    .araddr_i (araddr),
    .arlen_i  (arlen),
    .rvalid_o (rvalid),
    .rready_i (rready),
    .rdata_o  (rdata),
    .rresp_o  (rresp),
    .rlast_o  (rlast),
    .awvalid_i(awvalid),
    .awready_o(awready),
    .awaddr_i (awaddr),
    .wvalid_i (wvalid),
    .wready_o (wready),
    .wdata_i  (wdata),
    .wstrb_i  (wstrb),
    .wlast_i  (wlast),
    .bvalid_o (bvalid),
    .bready_i (bready),
    .bresp_o  (bresp)
  );

  assign idle_o = idle;

  // The wrapper's memory takes only INCR bursts of the block's one shape; the hint is for a thin unit.
  logic unused;
  assign unused = ^{arsize, arburst, awlen, awsize, awburst, awuser};
endmodule
