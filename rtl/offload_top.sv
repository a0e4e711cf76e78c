// offload_top: the offload block. Jobs in (one channel per queue), completions out (one per queue), one
// AXI4 master to memory. See rtl/README.md for the block diagram, the interface timing, the error and
// the reset behaviour.
//
// Parameters match the model's TimingParams (vectors/src/timing.rs): DataWidth = 8 * bus_bytes,
// BlockBytes, BurstBeats, MaxOutstandingReads, NumQueues = queues, LockEntries. The memory's latencies
// (read_latency, write_latency) are properties of the memory, not of this block.
//
// Reset: rst_ni is asynchronous, active low, and must be the reset of the memory system as well (one
// reset domain, as AXI requires): every transaction in flight disappears with it, so a reset in the
// middle of a job leaves nothing half issued, and the block is idle, with empty queues, the cycle after
// reset is released. The commit counter restarts at 0.
`default_nettype none

module offload_top #(
  parameter int DataWidth           = 64,
  parameter int BlockBytes          = 4096,
  parameter int BurstBeats          = 16,
  parameter int MaxOutstandingReads = 4,
  parameter int NumQueues           = 2,
  parameter int LockEntries         = 4
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,

  // Jobs. job_valid_i[q] offers the job on the shared fields to queue q (at most one bit at a time);
  // valid and fields are held until the cycle job_ready_o[q] is high, when the job is taken (the third
  // cycle after it is offered, at the earliest; a queue takes its next job once the completion of its
  // previous one has been accepted).
  input  logic [NumQueues-1:0]   job_valid_i,
  output logic [NumQueues-1:0]   job_ready_o,
  input  logic [7:0]             job_op_i,
  input  logic [7:0]             job_block_shift_i,
  input  logic [15:0]            job_tag_i,
  input  logic [31:0]            job_blocks_i,
  input  logic [63:0]            job_src_i,
  input  logic [63:0]            job_dst_i,

  // Completions. comp_valid_o[q] (at most one bit at a time) offers queue q's completion on the shared
  // fields; it is held until comp_ready_i[q]. comp_cycles_o: cycles from grant to comp_valid_o (32 bits).
  output logic [NumQueues-1:0]   comp_valid_o,
  input  logic [NumQueues-1:0]   comp_ready_i,
  output logic [7:0]             comp_status_o,
  output logic [7:0]             comp_queue_o,
  output logic [15:0]            comp_tag_o,
  output logic [31:0]            comp_blocks_done_o,
  output logic [31:0]            comp_miscompare_offset_o,
  output logic [31:0]            comp_commit_o,
  output logic [63:0]            comp_fault_address_o,
  output logic [63:0]            comp_cycles_o,

  // Memory: AXI4 master, one ID (in order), INCR bursts of BurstBeats beats of DataWidth bits.
  output logic                   m_axi_arvalid_o,
  input  logic                   m_axi_arready_i,
  output logic [63:0]            m_axi_araddr_o,
  output logic [7:0]             m_axi_arlen_o,
  output logic [2:0]             m_axi_arsize_o,
  output logic [1:0]             m_axi_arburst_o,
  input  logic                   m_axi_rvalid_i,
  output logic                   m_axi_rready_o,
  input  logic [DataWidth-1:0]   m_axi_rdata_i,
  input  logic [1:0]             m_axi_rresp_i,
  input  logic                   m_axi_rlast_i,
  output logic                   m_axi_awvalid_o,
  input  logic                   m_axi_awready_i,
  output logic [63:0]            m_axi_awaddr_o,
  output logic [7:0]             m_axi_awlen_o,
  output logic [2:0]             m_axi_awsize_o,
  output logic [1:0]             m_axi_awburst_o,
  output logic [1:0]             m_axi_awuser_o,
  output logic                   m_axi_wvalid_o,
  input  logic                   m_axi_wready_i,
  output logic [DataWidth-1:0]   m_axi_wdata_o,
  output logic [DataWidth/8-1:0] m_axi_wstrb_o,
  output logic                   m_axi_wlast_o,
  input  logic                   m_axi_bvalid_i,
  output logic                   m_axi_bready_o,
  input  logic [1:0]             m_axi_bresp_i,

  // Nothing queued, nothing running.
  output logic                   idle_o
);
  localparam int NumEng     = 3;
  localparam int BusBytes   = DataWidth / 8;
  localparam int MinShift   = $clog2(BusBytes * BurstBeats);
  localparam int MaxShift   = $clog2(BlockBytes);
  localparam int ShiftWidth = 4;
  localparam int MaxOutstandingWrites = 4;

  // ---- scheduler
  logic [NumEng-1:0]            start, backward, reject;
  logic [NumEng*3-1:0]          ctx_op;
  logic [NumEng*ShiftWidth-1:0] ctx_shift;
  logic [NumEng*32-1:0]         ctx_blocks, ctx_commit;
  logic [NumEng*64-1:0]         ctx_src, ctx_dst;
  logic [63:0]                  setup_rd_start, setup_wr_start;
  logic [NumEng*8-1:0]          ctx_queue;
  logic [NumEng*16-1:0]         ctx_tag;
  logic                         sched_idle;

  offload_sched #(
    .NumQueues  (NumQueues),
    .LockEntries(LockEntries),
    .MinShift   (MinShift),
    .MaxShift   (MaxShift),
    .ShiftWidth (ShiftWidth),
    .NumEng     (NumEng)
  ) u_sched (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .job_valid_i      (job_valid_i),
    .job_ready_o      (job_ready_o),
    .job_op_i         (job_op_i),
    .job_block_shift_i(job_block_shift_i),
    .job_tag_i        (job_tag_i),
    .job_blocks_i     (job_blocks_i),
    .job_src_i        (job_src_i),
    .job_dst_i        (job_dst_i),
    .start_o          (start),
    .ctx_op_o         (ctx_op),
    .ctx_shift_o      (ctx_shift),
    .ctx_blocks_o     (ctx_blocks),
    .ctx_src_o        (ctx_src),
    .ctx_dst_o        (ctx_dst),
    .setup_rd_start_o (setup_rd_start),
    .setup_wr_start_o (setup_wr_start),
    .ctx_backward_o   (backward),
    .ctx_reject_o     (reject),
    .ctx_queue_o      (ctx_queue),
    .ctx_tag_o        (ctx_tag),
    .ctx_commit_o     (ctx_commit),
    .release_i        (ack),
    .idle_o           (sched_idle)
  );

  // ---- engines
  logic [NumEng-1:0]            done, ack, shown;
  logic [NumEng*8-1:0]          status;
  logic [NumEng*32-1:0]         blocks_done, mis_offset, cycles;
  logic [NumEng*64-1:0]         fault;
  logic [NumEng-1:0]            e_ar_valid, e_ar_ready, e_r_valid, e_aw_valid, e_aw_ready;
  logic [NumEng-1:0]            e_w_valid, e_w_ready, e_w_last, e_b_valid;
  logic [NumEng*64-1:0]         e_ar_addr, e_aw_addr;
  logic [NumEng*2-1:0]          e_aw_user;
  logic [NumEng*DataWidth-1:0]  e_w_data;
  logic [NumEng*BusBytes-1:0]   e_w_strb;
  logic [DataWidth-1:0]         e_r_data;
  logic                         e_r_err, e_r_last, e_b_err;

  for (genvar e = 0; e < NumEng; e++) begin : g_eng
    offload_engine #(
      .Kind                (e),
      .DataWidth           (DataWidth),
      .BlockBytes          (BlockBytes),
      .BurstBeats          (BurstBeats),
      .MaxOutstandingReads (MaxOutstandingReads),
      .MaxOutstandingWrites(MaxOutstandingWrites),
      .ShiftWidth          (ShiftWidth)
    ) u_engine (
      .clk_i        (clk_i),
      .rst_ni       (rst_ni),
      .start_i      (start[e]),
      .op_i         (ctx_op[3*e +: 3]),
      .shift_i      (ctx_shift[ShiftWidth*e +: ShiftWidth]),
      .blocks_i     (ctx_blocks[32*e +: 32]),
      .src_i        (ctx_src[64*e +: 64]),
      .dst_i        (ctx_dst[64*e +: 64]),
      .rd_start_i   (setup_rd_start),
      .wr_start_i   (setup_wr_start),
      .backward_i   (backward[e]),
      .reject_i     (reject[e]),
      .done_o       (done[e]),
      .shown_i      (shown[e]),
      .ack_i        (ack[e]),
      .status_o     (status[8*e +: 8]),
      .blocks_done_o(blocks_done[32*e +: 32]),
      .mis_offset_o (mis_offset[32*e +: 32]),
      .fault_o      (fault[64*e +: 64]),
      .cycles_o     (cycles[32*e +: 32]),
      .ar_valid_o   (e_ar_valid[e]),
      .ar_ready_i   (e_ar_ready[e]),
      .ar_addr_o    (e_ar_addr[64*e +: 64]),
      .r_valid_i    (e_r_valid[e]),
      .r_data_i     (e_r_data),
      .r_err_i      (e_r_err),
      .r_last_i     (e_r_last),
      .aw_valid_o   (e_aw_valid[e]),
      .aw_ready_i   (e_aw_ready[e]),
      .aw_addr_o    (e_aw_addr[64*e +: 64]),
      .aw_user_o    (e_aw_user[2*e +: 2]),
      .w_valid_o    (e_w_valid[e]),
      .w_ready_i    (e_w_ready[e]),
      .w_data_o     (e_w_data[DataWidth*e +: DataWidth]),
      .w_strb_o     (e_w_strb[BusBytes*e +: BusBytes]),
      .w_last_o     (e_w_last[e]),
      .b_valid_i    (e_b_valid[e]),
      .b_err_i      (e_b_err)
    );
  end

  offload_axi_mux #(
    .NumEng              (NumEng),
    .DataWidth           (DataWidth),
    .BurstBeats          (BurstBeats),
    .MaxOutstandingReads (MaxOutstandingReads),
    .MaxOutstandingWrites(MaxOutstandingWrites)
  ) u_mux (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .e_ar_valid_i(e_ar_valid),
    .e_ar_ready_o(e_ar_ready),
    .e_ar_addr_i (e_ar_addr),
    .e_r_valid_o (e_r_valid),
    .e_r_data_o  (e_r_data),
    .e_r_err_o   (e_r_err),
    .e_r_last_o  (e_r_last),
    .e_aw_valid_i(e_aw_valid),
    .e_aw_ready_o(e_aw_ready),
    .e_aw_addr_i (e_aw_addr),
    .e_aw_user_i (e_aw_user),
    .e_w_valid_i (e_w_valid),
    .e_w_ready_o (e_w_ready),
    .e_w_data_i  (e_w_data),
    .e_w_strb_i  (e_w_strb),
    .e_w_last_i  (e_w_last),
    .e_b_valid_o (e_b_valid),
    .e_b_err_o   (e_b_err),
    .ar_valid_o  (m_axi_arvalid_o),
    .ar_ready_i  (m_axi_arready_i),
    .ar_addr_o   (m_axi_araddr_o),
    .ar_len_o    (m_axi_arlen_o),
    .ar_size_o   (m_axi_arsize_o),
    .ar_burst_o  (m_axi_arburst_o),
    .r_valid_i   (m_axi_rvalid_i),
    .r_ready_o   (m_axi_rready_o),
    .r_data_i    (m_axi_rdata_i),
    .r_resp_i    (m_axi_rresp_i),
    .r_last_i    (m_axi_rlast_i),
    .aw_valid_o  (m_axi_awvalid_o),
    .aw_ready_i  (m_axi_awready_i),
    .aw_addr_o   (m_axi_awaddr_o),
    .aw_len_o    (m_axi_awlen_o),
    .aw_size_o   (m_axi_awsize_o),
    .aw_burst_o  (m_axi_awburst_o),
    .aw_user_o   (m_axi_awuser_o),
    .w_valid_o   (m_axi_wvalid_o),
    .w_ready_i   (m_axi_wready_i),
    .w_data_o    (m_axi_wdata_o),
    .w_strb_o    (m_axi_wstrb_o),
    .w_last_o    (m_axi_wlast_o),
    .b_valid_i   (m_axi_bvalid_i),
    .b_ready_o   (m_axi_bready_o),
    .b_resp_i    (m_axi_bresp_i)
  );

  // ---- completions: one engine's at a time on the shared fields, held until accepted.
  localparam int EngW = 2;
  logic            sel_lock_q;
  logic [EngW-1:0] sel_q, sel, pick;
  logic            any_done, accept;
  logic [7:0]      sel_queue;

  // (A block whose outputs other blocks read builds them in locals and writes each once: Icarus 11
  // wakes always_comb blocks spuriously, and a default overridden in the same pass would change the
  // output on every pass, a zero-delay loop; see offload_engine.)
  always_comb begin : c_pick
    logic [EngW-1:0] p;
    p = '0;
    for (int e = NumEng - 1; e >= 0; e--) begin
      if (done[e]) begin
        p = EngW'(e);
      end
    end
    pick = p;
  end
  assign any_done  = |done;
  assign sel       = sel_lock_q ? sel_q : pick;
  assign sel_queue = sel_queue_mux;
  always_comb begin
    comp_valid_o = '0;
    for (int q = 0; q < NumQueues; q++) begin
      comp_valid_o[q] = any_done && (sel_queue == 8'(q));
    end
  end
  assign accept = |(comp_valid_o & comp_ready_i);
  always_comb begin
    for (int e = 0; e < NumEng; e++) begin
      ack[e]   = accept && (sel == EngW'(e));
      shown[e] = any_done && (sel == EngW'(e));
    end
  end

  // The selected engine's fields (decoded by hand, engine 0 the default: see offload_sched).
  logic [7:0]  sel_queue_mux;
  always_comb begin : c_fields
    logic [7:0]  queue, status_sel;
    logic [15:0] tag;
    logic [31:0] done_sel, mis_sel, commit, cyc_sel;
    logic [63:0] fault_sel;
    {queue, status_sel, tag, done_sel, mis_sel, commit, fault_sel, cyc_sel} = '0;
    for (int e = 0; e < NumEng; e++) begin
      if (e == 0 || sel == EngW'(e)) begin
        queue      = ctx_queue[8*e +: 8];
        status_sel = status[8*e +: 8];
        tag        = ctx_tag[16*e +: 16];
        done_sel   = blocks_done[32*e +: 32];
        mis_sel    = mis_offset[32*e +: 32];
        commit     = ctx_commit[32*e +: 32];
        fault_sel  = fault[64*e +: 64];
        cyc_sel    = cycles[32*e +: 32];
      end
    end
    sel_queue_mux            = queue;
    comp_status_o            = status_sel;
    comp_tag_o               = tag;
    comp_blocks_done_o       = done_sel;
    comp_miscompare_offset_o = mis_sel;
    comp_commit_o            = commit;
    comp_fault_address_o     = fault_sel;
    comp_cycles_o            = {32'd0, cyc_sel};
  end
  assign comp_queue_o = sel_queue;

  // An offered completion stays selected until accepted. The accept (ack) sends the engine back to
  // idle and releases its locks and queue in the scheduler: both are free from the next cycle.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sel_lock_q <= 1'b0;
      sel_q      <= '0;
    end else begin
      sel_lock_q <= any_done && !accept;
      sel_q      <= sel;
    end
  end

  assign idle_o = sched_idle && !any_done;
endmodule
