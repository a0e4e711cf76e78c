// offload_engine: one engine of the offload block, by Kind:
//   KindCopy (0)  the copy engine: read stream -> FIFO -> write stream, blocks forward, or backward
//                 when the destination starts inside the source (memmove semantics);
//   KindZero (1)  the zero engine: zero, deallocate and anchor write zeros (the AWUSER hint tells which)
//                 with no reads; pattern reads its one block once into a buffer and writes it to every
//                 destination block;
//   KindCaw  (2)  the compare-and-write unit: a compare pass reading both sides (dst and src bursts
//                 interleaved) to the end, then, only if every byte matched, a write pass that copies
//                 the write data (src + blocks) to dst. A compare (OpCompare) is the compare pass
//                 alone: it completes as a miscompare does, matched or not, with nothing written.
//
// The job (from the scheduler's context registers) is stable from start_i until the completion is
// accepted (ack_i). Cycle by cycle the engine hits the model's timing equations (model/README.md): with
// the grant in cycle t, start_i is high in t+1 (dispatch), the first read address goes out in t+2.
// Read data go into the FIFO as they arrive (the head is valid the next cycle: the P stage); the write
// response is registered by the AXI mux; the completion is a register (E).
//
// Memory errors: an error response marks the block it belongs to (its index in processing order) as
// failed; the first failure in the model's order wins (a block's read comes before its write). From then
// on no read address is issued, no write burst is started for a block at or after the failing one, and
// beats still owed to a burst whose address was already accepted go out with WSTRB = 0. The engine
// then drains: every outstanding read burst is received, every started write burst finished, every write
// response collected. Then it computes the failing block's address and completes. So nothing is left
// half-issued and blocks before the failing one are all written (blocks_done counts them).
//
// Icarus 11 wakes always_comb processes spuriously: its time-0 trigger chains their sensitivity events
// together, so an event for one wakes others too. A pass that writes a variable another block reads twice
// with different values (a default, then an override) makes events on every pass, which wake the chain
// again: a zero-delay loop. So an always_comb whose outputs other blocks read writes each of them once
// (from locals where it needs a default).
`default_nettype none

module offload_engine #(
  parameter int Kind                 = 0,
  parameter int DataWidth            = 64,
  parameter int BlockBytes           = 4096,
  parameter int BurstBeats           = 16,
  parameter int MaxOutstandingReads  = 4,
  parameter int MaxOutstandingWrites = 4,
  parameter int ShiftWidth           = 4
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  // The job.
  input  logic                   start_i,
  input  logic [2:0]             op_i,
  input  logic [ShiftWidth-1:0]  shift_i,
  input  logic [31:0]            blocks_i,
  input  logic [63:0]            src_i,
  input  logic [63:0]            dst_i,
  input  logic [63:0]            rd_start_i,  // first read block (dispatch cycle only)
  input  logic [63:0]            wr_start_i,  // first write block (dispatch cycle only)
  input  logic                   backward_i,
  input  logic                   reject_i,
  // The completion: held from done_o until ack_i; shown_i says it is the one on the block's ports.
  output logic                   done_o,
  input  logic                   shown_i,
  input  logic                   ack_i,
  output logic [7:0]             status_o,
  output logic [31:0]            blocks_done_o,
  output logic [31:0]            mis_offset_o,
  output logic [63:0]            fault_o,
  output logic [31:0]            cycles_o,
  // Memory, through the AXI mux (bursts of BurstBeats beats; read data always accepted).
  output logic                   ar_valid_o,
  input  logic                   ar_ready_i,
  output logic [63:0]            ar_addr_o,
  input  logic                   r_valid_i,
  input  logic [DataWidth-1:0]   r_data_i,
  input  logic                   r_err_i,
  input  logic                   r_last_i,
  output logic                   aw_valid_o,
  input  logic                   aw_ready_i,
  output logic [63:0]            aw_addr_o,
  output logic [1:0]             aw_user_o,
  output logic                   w_valid_o,
  input  logic                   w_ready_i,
  output logic [DataWidth-1:0]   w_data_o,
  output logic [DataWidth/8-1:0] w_strb_o,
  output logic                   w_last_o,
  input  logic                   b_valid_i,
  input  logic                   b_err_i
);
  localparam bit IsCopy = (Kind == 0);
  localparam bit IsZero = (Kind == 1);
  localparam bit IsCaw  = (Kind == 2);
  localparam bit HasFifo = IsCopy || IsCaw;

  localparam int BusBytes   = DataWidth / 8;
  localparam int BeatShift  = $clog2(BusBytes);
  localparam int BurstBytes = BusBytes * BurstBeats;
  localparam int MinShift   = $clog2(BurstBytes);
  localparam int MaxShift   = $clog2(BlockBytes);
  localparam int BeatW      = $clog2(BurstBeats);
  localparam int BibW       = (MaxShift > MinShift) ? MaxShift - MinShift : 1;
  localparam int FifoDepth  = 1 << $clog2(MaxOutstandingReads * BurstBeats);
  localparam int CountW     = $clog2(FifoDepth) + 1;
  localparam int OutW       = $clog2(MaxOutstandingReads + 1);
  localparam int BOutW      = $clog2(MaxOutstandingWrites + 1);
  localparam int PatW       = MaxShift - BeatShift;
  localparam int WalkW      = $clog2(MaxOutstandingReads + MaxOutstandingWrites + 4) + 1;

  // ---------------------------------------------------------------------------------------------
  // Job decode (the inputs are stable for the whole job).
  // ---------------------------------------------------------------------------------------------
  logic is_pattern, is_fill, is_compare, backward;
  assign is_pattern = IsZero && ({5'd0, op_i} == offload_pkg::OpPattern);
  assign is_compare = IsCaw && ({5'd0, op_i} == offload_pkg::OpCompare);
  assign is_fill    = IsZero && !is_pattern;
  assign backward   = IsCopy && backward_i;  // only copies run backward

  // Bursts per block minus one: a decode of shift_i.
  logic [BibW-1:0] bib_last;
  always_comb begin
    for (int b = 0; b < BibW; b++) begin
      bib_last[b] = (32'(shift_i) > MinShift + b);
    end
  end

  // ---------------------------------------------------------------------------------------------
  // State.
  // ---------------------------------------------------------------------------------------------
  typedef enum logic [3:0] {
    StIdle, StSetup, StSetup2, StRun, StMisEnd, StFinAlign, StFinWalk, StDone
  } state_e;

  state_e state_q, state_d;
  logic [31:0] cyc_q;
  logic        wpass_q, wpass_d;   // compare-and-write: the write pass
  logic        pat_q, pat_d;       // pattern fill: reading the pattern block

  // Read side. ar_blk: the block of the next read burst (of the pair, in the compare pass).
  logic            ar_on_q, ar_on_d, ar_side_q, ar_side_d, ar_hold_q;
  logic            ar_valid_q, ar_more_q, ar_more_d;  // (see "Reads" below)
  logic [BibW-1:0] ar_bib_q, ar_bib_d;
  logic [31:0]     ar_blk_q, ar_blk_d;
  logic [OutW-1:0] ar_out_q, ar_out_d;
  logic            r_side_q, r_side_d;
  logic [BibW-1:0] r_bib_q, r_bib_d;
  logic [31:0]     r_blk_q, r_blk_d;
  logic [CountW-1:0] resv_q, resv_d;

  // Write side. w_blk: the block of the next write burst.
  logic             w_on_q, w_on_d, w_burst_q, w_burst_d, aw_done_q, aw_done_d, w_dd_q, w_dd_d;
  logic             w_stop_q, w_stop_d;
  logic [BeatW-1:0] w_beat_q, w_beat_d;
  logic [BibW-1:0]  w_bib_q, w_bib_d;
  logic [31:0]      w_blk_q, w_blk_d;
  logic             w_more_q, w_more_d;  // w_blk_q != blocks_i, set whenever w_blk_q is
  logic [BOutW-1:0] b_out_q, b_out_d;
  logic [BibW-1:0]  b_bib_q, b_bib_d;
  logic [31:0]      b_blk_q, b_blk_d;

  // Failure: the first failing block in processing order.
  logic        fail_q, fail_d, fail_wr_q, fail_wr_d, fail_side_q, fail_side_d, fail_cmp_q, fail_cmp_d;
  logic [31:0] fail_idx_q, fail_idx_d;
  // Walk back to the failing block: blocks stepped so far (the stream is at most a few blocks ahead).
  logic [WalkW-1:0] walk_q, walk_d;

  // Compare (compare-and-write).
  logic                cmp_v_q, cmp_v_d, cmp_last_q, cmp_last_d, mis_q, mis_d;
  logic [BusBytes-1:0] cmp_diff_q, cmp_diff_d;
  logic [31:0]         cmp_pos_q, cmp_pos_d, mis_pos_q, mis_pos_d;
  logic [BusBytes-1:0] mis_lanes_q, mis_lanes_d;

  // Address streams (offload_stream): A reads (for compare-and-write: dst in the compare pass, and the
  // write address in the write pass), B reads the compare-and-write source and write data, W writes.
  logic        a_load, a_pre, a_step, a_up, b_load, b_step, b_up, wc_load, wc_pre, wc_step, wc_up;
  logic [63:0] a_load_val, wc_load_val;
  logic [63:0] a_addr, b_addr, wc_addr;

  // FIFO (copy, compare-and-write).
  logic                 fifo_push, fifo_pop, fifo_clr, fifo_empty;
  logic [DataWidth-1:0] fifo_data;
  logic [CountW-1:0]    fifo_count;

  // Pattern buffer (zero engine).
  logic [DataWidth-1:0] pat_rdata;

  // ---------------------------------------------------------------------------------------------
  // Memory channel handshakes.
  // ---------------------------------------------------------------------------------------------
  logic ar_fire, r_fire, aw_fire, w_fire, b_fire;
  logic r_burst_end, r_final, w_burst_end;
  logic ar_more, data_avail, blk_ok, w_more, w_start;
  logic [31:0] rd_blocks;

  assign ar_fire = ar_valid_o && ar_ready_i;
  assign r_fire  = r_valid_i;
  assign aw_fire = aw_valid_o && aw_ready_i;
  assign w_fire  = w_valid_o && w_ready_i;
  assign b_fire  = b_valid_i;

  // Reads: enough credit (FIFO space reserved for a whole burst), fewer than MaxOutstandingReads bursts
  // in flight, and no failure. An address once presented stays until accepted (AXI), even if a
  // failure arrives meanwhile. ARVALID depends on state only, so it is computed from the next state
  // and registered: the AXI mux's arbitration then starts from a flip-flop (the FPGA's critical path
  // ran through this logic, the arbitration and back). ar_more_q likewise: ar_blk_q != rd_blocks,
  // set whenever ar_blk_q is (rd_blocks is stable from the dispatch to the completion).
  logic credit_ok_d, ar_valid_d, ar_more_inc, ar_more_zero;
  assign rd_blocks    = is_pattern ? 32'd1 : blocks_i;
  assign ar_more      = ar_more_q;
  assign ar_more_inc  = (ar_blk_q + 32'd1 != rd_blocks);
  assign ar_more_zero = (rd_blocks != '0);
  assign credit_ok_d  = !HasFifo || (IsCaw && !wpass_d) ||
                        (32'(resv_d) + BurstBeats <= FifoDepth);
  assign ar_valid_d   = (ar_valid_o && !ar_ready_i) ||
                        (ar_on_d && ar_more_d && !fail_d &&
                         (32'(ar_out_d) < MaxOutstandingReads) && credit_ok_d);
  assign ar_valid_o   = ar_valid_q;
  assign r_burst_end = r_fire && r_last_i;

  // Writes: a burst starts (address and first beat together) when its data are at hand, its block is
  // before any failing block, and fewer than MaxOutstandingWrites responses are owed. A write failure
  // stops every later burst; a read failure stops the burst of the failing block (w_blk never passes
  // a block whose data has not arrived).
  logic w_more_inc;
  assign w_more     = w_more_q;
  assign w_more_inc = (w_blk_q + 32'd1 != blocks_i);
  assign blk_ok     = !w_stop_q && !(fail_q && !fail_wr_q && w_blk_q == fail_idx_q);
  assign data_avail = HasFifo ? !fifo_empty : 1'b1;
  assign w_start    = w_on_q && !w_burst_q && w_more && blk_ok && data_avail &&
                      (32'(b_out_q) < MaxOutstandingWrites);
  assign aw_valid_o = w_start || (w_burst_q && !aw_done_q);
  assign w_valid_o  = (w_start || (w_burst_q && !w_dd_q)) && data_avail;
`ifdef OFFLOAD_FAULT_BURST_SHORT
  // Deliberate fault for the co-simulation (cosim/): the last burst of each block is one beat short.
  assign w_last_o   = (w_beat_q == BeatW'(BurstBeats - ((w_bib_q == bib_last) ? 2 : 1)));
`else
  assign w_last_o   = (w_beat_q == BeatW'(BurstBeats - 1));
`endif
  assign w_strb_o   = blk_ok ? '1 : '0;
  assign w_burst_end = (aw_done_q || aw_fire) && (w_dd_q || (w_fire && w_last_o));

  // Burst addresses: the stream's block plus the burst's offset in it (blocks are aligned).
  logic [63:0] burst_off_ar, burst_off_w;
  assign burst_off_ar = 64'(ar_bib_q) << MinShift;
  assign burst_off_w  = 64'(w_bib_q) << MinShift;
  always_comb begin
    if (IsZero) begin
      ar_addr_o = src_i | burst_off_ar;
    end else if (IsCaw && (wpass_q || ar_side_q)) begin
      ar_addr_o = b_addr | burst_off_ar;
    end else begin
      ar_addr_o = a_addr | burst_off_ar;
    end
    aw_addr_o = (IsCaw ? a_addr : wc_addr) | burst_off_w;
  end

  always_comb begin
    if (IsZero && {5'd0, op_i} == offload_pkg::OpDeallocate) begin
      aw_user_o = offload_pkg::HintDeallocate;
    end else if (IsZero && {5'd0, op_i} == offload_pkg::OpAnchor) begin
      aw_user_o = offload_pkg::HintAnchor;
    end else begin
      aw_user_o = offload_pkg::HintData;
    end
  end
  always_comb begin
    if (HasFifo) begin
      w_data_o = fifo_data;
    end else if (is_pattern) begin
      w_data_o = pat_rdata;
    end else begin
      w_data_o = '0;
    end
  end

  // The last beat of the last read burst of the stream.
  assign r_final = r_burst_end && !ar_more && (ar_out_q == OutW'(1)) && !ar_fire;

  // ---------------------------------------------------------------------------------------------
  // Failure candidates this cycle. Reads run ahead of writes: a read error's block is never before
  // a block whose write has failed or is in flight, and write responses come in order.
  // ---------------------------------------------------------------------------------------------
  logic rd_cand, wr_cand, take_wr;
  assign rd_cand = r_fire && r_err_i && !fail_q;
  assign wr_cand = b_fire && b_err_i && (!fail_q || (!fail_wr_q && b_blk_q != fail_idx_q));
  // Both at once: the earlier block wins; a block's read comes before its write.
  assign take_wr = wr_cand && (!rd_cand || b_blk_q != r_blk_q);

  // ---------------------------------------------------------------------------------------------
  // Next state.
  // ---------------------------------------------------------------------------------------------
  logic drained, walk_done;

  always_comb begin
    state_d     = state_q;
    wpass_d     = wpass_q;
    pat_d       = pat_q;
    ar_on_d     = ar_on_q;
    ar_side_d   = ar_side_q;
    ar_bib_d    = ar_bib_q;
    ar_blk_d    = ar_blk_q;
    ar_more_d   = ar_more_q;
    ar_out_d    = ar_out_q;
    r_side_d    = r_side_q;
    r_bib_d     = r_bib_q;
    r_blk_d     = r_blk_q;
    resv_d      = resv_q;
    w_on_d      = w_on_q;
    w_burst_d   = w_burst_q;
    aw_done_d   = aw_done_q;
    w_dd_d      = w_dd_q;
    w_stop_d    = w_stop_q;
    w_beat_d    = w_beat_q;
    w_bib_d     = w_bib_q;
    w_blk_d     = w_blk_q;
    w_more_d    = w_more_q;
    b_out_d     = b_out_q;
    b_bib_d     = b_bib_q;
    b_blk_d     = b_blk_q;
    fail_d      = fail_q;
    fail_wr_d   = fail_wr_q;
    fail_side_d = fail_side_q;
    fail_cmp_d  = fail_cmp_q;
    fail_idx_d  = fail_idx_q;
    cmp_v_d     = 1'b0;
    cmp_last_d  = 1'b0;
    cmp_diff_d  = cmp_diff_q;
    cmp_pos_d   = cmp_pos_q;
    mis_d       = mis_q;
    mis_pos_d   = mis_pos_q;
    mis_lanes_d = mis_lanes_q;
    fifo_clr    = 1'b0;

    a_load  = 1'b0; a_pre  = 1'b0; a_step  = 1'b0; a_up  = 1'b1; a_load_val  = IsCaw ? wr_start_i : rd_start_i;
    b_load  = 1'b0;                b_step  = 1'b0; b_up  = 1'b1;
    wc_load = 1'b0; wc_pre = 1'b0; wc_step = 1'b0; wc_up = !backward; wc_load_val = wr_start_i;
    walk_d  = walk_q;
    if (IsCopy) begin
      a_up = !backward;
    end

    // --- read addresses
    if (ar_fire) begin
      ar_out_d = ar_out_d + OutW'(1);
      if (HasFifo && !(IsCaw && !wpass_q)) begin
        resv_d = resv_d + CountW'(BurstBeats);
      end
      if (IsCaw && !wpass_q && !ar_side_q) begin
        // Compare pass: a dst burst, then the src burst at the same offset.
        ar_side_d = 1'b1;
        a_step    = (ar_bib_q == bib_last);
      end else begin
        ar_side_d = 1'b0;
        if (IsCaw) begin
          b_step = (ar_bib_q == bib_last);
        end else if (IsCopy) begin
          a_step = (ar_bib_q == bib_last);
        end
        if (ar_bib_q == bib_last) begin
          ar_bib_d = '0;
          ar_blk_d = ar_blk_q + 32'd1;
          ar_more_d = ar_more_inc;
        end else begin
          ar_bib_d = ar_bib_q + BibW'(1);
        end
      end
    end

    // --- read data
    if (r_burst_end) begin
      ar_out_d = ar_out_d - OutW'(1);
      if (IsCaw && !wpass_q && !r_side_q) begin
        r_side_d = 1'b1;
      end else begin
        r_side_d = 1'b0;
        if (r_bib_q == bib_last) begin
          r_bib_d = '0;
          r_blk_d = r_blk_q + 32'd1;
        end else begin
          r_bib_d = r_bib_q + BibW'(1);
        end
      end
    end
    if (IsCaw && !wpass_q && r_fire && r_side_q) begin
      // A src beat meets the dst beat at the FIFO head: compare byte lanes next cycle.
      cmp_v_d    = 1'b1;
      cmp_last_d = r_final;
      for (int l = 0; l < BusBytes; l++) begin
        cmp_diff_d[l] = (fifo_data[8*l +: 8] != r_data_i[8*l +: 8]);
      end
    end
    if (IsCaw && cmp_v_q) begin
      cmp_pos_d = cmp_pos_q + 32'(BusBytes);
      if (!mis_q && (cmp_diff_q != '0)) begin
        mis_d       = 1'b1;
        mis_pos_d   = cmp_pos_q;
        mis_lanes_d = cmp_diff_q;
      end
    end

    // --- write bursts
    if (aw_fire) begin
      b_out_d = b_out_d + BOutW'(1);
      if (IsCaw) begin
        a_step = (w_bib_q == bib_last);
      end else begin
        wc_step = (w_bib_q == bib_last);
      end
    end
    if (w_start || w_burst_q) begin
      w_burst_d = !w_burst_end;
      aw_done_d = (aw_done_q || aw_fire) && !w_burst_end;
    end
    if (w_fire) begin
      w_beat_d = w_beat_q + BeatW'(1);
      if (w_last_o) begin
        w_dd_d = 1'b1;
      end
    end
    if (w_burst_end) begin
      w_dd_d   = 1'b0;
      w_beat_d = '0;
      if (w_bib_q == bib_last) begin
        w_bib_d = '0;
        w_blk_d = w_blk_q + 32'd1;
        w_more_d = w_more_inc;
      end else begin
        w_bib_d = w_bib_q + BibW'(1);
      end
    end
    if (HasFifo && fifo_pop && !(IsCaw && !wpass_q)) begin
      resv_d = resv_d - CountW'(1);
    end

    // --- write responses
    if (b_fire) begin
      b_out_d = b_out_d - BOutW'(1);
      if (b_bib_q == bib_last) begin
        b_bib_d = '0;
        b_blk_d = b_blk_q + 32'd1;
      end else begin
        b_bib_d = b_bib_q + BibW'(1);
      end
    end

    // --- failures
    if (take_wr) begin
      fail_d     = 1'b1;
      fail_wr_d  = 1'b1;
      fail_cmp_d = 1'b0;
      fail_idx_d = b_blk_q;
      w_stop_d   = 1'b1;
    end else if (rd_cand) begin
      fail_d      = 1'b1;
      fail_wr_d   = 1'b0;
      fail_idx_d  = r_blk_q;
      fail_side_d = r_side_q;
      fail_cmp_d  = IsCaw && !wpass_q;
    end

    // --- engine state
    unique case (state_q)
      StIdle: begin
        if (start_i) begin
          state_d = StSetup;
        end
      end

      StSetup: begin
        // Registers of the previous job are cleared here; the first read address goes out next cycle.
        ar_side_d   = 1'b0;
        ar_bib_d    = '0;
        ar_blk_d    = '0;
        ar_more_d   = ar_more_zero;
        ar_out_d    = '0;
        r_side_d    = 1'b0;
        r_bib_d     = '0;
        r_blk_d     = '0;
        resv_d      = '0;
        w_burst_d   = 1'b0;
        aw_done_d   = 1'b0;
        w_dd_d      = 1'b0;
        w_stop_d    = 1'b0;
        w_beat_d    = '0;
        w_bib_d     = '0;
        w_blk_d     = '0;
        w_more_d    = (blocks_i != '0);
        b_out_d     = '0;
        b_bib_d     = '0;
        b_blk_d     = '0;
        fail_d      = 1'b0;
        fail_wr_d   = 1'b0;
        fail_side_d = 1'b0;
        fail_cmp_d  = 1'b0;
        fail_idx_d  = '0;  // (blocks_done of a rejected job)
        cmp_pos_d   = '0;
        mis_d       = 1'b0;
        wpass_d     = 1'b0;
        pat_d       = 1'b0;
        fifo_clr    = 1'b1;
        // First blocks: the source and destination, or (copying backward) the ends of their ranges,
        // one block down.
        a_load      = 1'b1;
        a_step      = 1'b0;
        a_pre       = backward;
        b_load      = 1'b1;
        b_step      = 1'b0;
        wc_load     = 1'b1;
        wc_step     = 1'b0;
        wc_pre      = backward;
        walk_d      = '0;
        if (reject_i) begin
          // Not runnable: a write error at dst (the write stream holds it), nothing done.
          fail_d    = 1'b1;
          fail_wr_d = 1'b1;
          state_d   = StDone;
        end else if (blocks_i == '0) begin
          state_d = StDone;
        end else if (is_fill) begin
          // Zero fill: dispatch, then the write address (A) a cycle later, with the first beat.
          state_d = StSetup2;
        end else begin
          ar_on_d = 1'b1;
          if (is_pattern) begin
            pat_d = 1'b1;
          end else if (IsCopy) begin
            w_on_d = 1'b1;
          end
          state_d = StRun;
        end
      end

      StSetup2: begin
        w_on_d  = 1'b1;
        state_d = StRun;
      end

      StRun: begin
        if (IsCaw && !wpass_q) begin
          // Compare pass. It ends when the last comparison is in cmp_diff_q (or, after a read error,
          // when every outstanding read has come back).
          if (fail_q && ar_out_q == '0 && !ar_hold_q && !r_fire) begin
            ar_on_d = 1'b0;
            state_d = StFinAlign;
          end else if (cmp_v_q && cmp_last_q && !fail_q) begin
            ar_on_d = 1'b0;
            if (mis_q || cmp_diff_q != '0 || is_compare) begin
              // A miscompare, or a compare's end: no write pass (the model's M(n) either way).
              state_d = StMisEnd;
            end else begin
              // Everything matched: the write pass reads src + blocks (where B stopped) into the
              // FIFO and writes dst (A, reloaded).
              wpass_d    = 1'b1;
              ar_on_d    = 1'b1;
              ar_side_d  = 1'b0;
              ar_bib_d   = '0;
              ar_blk_d   = '0;
              ar_more_d  = ar_more_zero;
              r_side_d   = 1'b0;
              r_bib_d    = '0;
              r_blk_d    = '0;
              resv_d     = '0;
              w_on_d     = 1'b1;
              fifo_clr   = 1'b1;
              a_load     = 1'b1;
              a_step     = 1'b0;
              a_load_val = dst_i;  // (rd_start_i belongs to the dispatch cycle only)
            end
          end
        end else if (is_pattern && pat_q) begin
          // Pattern read: the writes start the cycle after the last pattern beat is stored.
          if (fail_q && ar_out_q == '0 && !ar_hold_q && !r_fire) begin
            ar_on_d = 1'b0;
            state_d = StFinAlign;
          end else if (r_final && !rd_cand && !fail_q) begin
            ar_on_d = 1'b0;
            pat_d   = 1'b0;
          end
        end else if (!w_on_q) begin
          // The pattern has just been stored: writes from next cycle.
          w_on_d = 1'b1;
        end else if (!fail_d && !w_more && !w_burst_q && b_out_d == '0) begin
          // All written and acknowledged: the completion is valid next cycle.
          ar_on_d = 1'b0;
          w_on_d  = 1'b0;
          state_d = StDone;
        end else if (fail_q && drained) begin
          ar_on_d = 1'b0;
          w_on_d  = 1'b0;
          state_d = StFinAlign;
        end
      end

      StMisEnd: begin
        // The miscompare offset (if any) is complete: the completion is valid next cycle.
        state_d = StDone;
      end

      StFinAlign: begin
        // The failing block's address: its stream walks back to it, a block a cycle (it is at most a
        // few blocks ahead). In the compare pass the dst stream may be a block ahead of the pair count.
        fifo_clr = 1'b1;
        if (IsCaw && !wpass_q && ar_side_q && ar_bib_q == bib_last) begin
          a_step = 1'b1;
          a_up   = 1'b0;
        end
        ar_side_d = 1'b0;
        state_d   = StFinWalk;
      end

      StFinWalk: begin
        if (walk_done) begin
          state_d = StDone;
        end else begin
          walk_d = walk_q + WalkW'(1);
          if (fail_wr_q) begin
            if (IsCaw) begin
              a_step = 1'b1;
              a_up   = 1'b0;
            end else begin
              wc_step = 1'b1;
              wc_up   = backward;
            end
          end else begin
            a_step = 1'b1;
            a_up   = backward;
            b_step = 1'b1;
            b_up   = 1'b0;
          end
        end
      end

      StDone: begin
        if (ack_i) begin
          state_d = StIdle;
        end
      end

      default: state_d = StIdle;
    endcase
  end

  // Walked back to the failing block (a pattern block read failure needs no walk: it is src). The
  // stream's block is the index counter less the blocks walked; only the low bits differ.
  logic [WalkW-1:0] walk_pos;
  assign walk_pos  = (fail_wr_q ? w_blk_q[WalkW-1:0] : ar_blk_q[WalkW-1:0]) - walk_q;
  assign walk_done = (IsZero && !fail_wr_q) || (walk_pos == fail_idx_q[WalkW-1:0]);

  // Nothing left to write: every block before the failing one (or all of them) written, or writes off.
  logic writes_over;
  assign writes_over = !w_more || !blk_ok || !w_on_q;

  // Drained after a failure: nothing outstanding, no burst going, nothing left to write.
  assign drained = (ar_out_q == '0) && !ar_hold_q && !r_fire && (!HasFifo || fifo_empty) && !w_burst_q &&
                   !w_start && (b_out_q == '0) && !b_fire && writes_over;

  // The FIFO: read data in, write beats (or, after a failure, discarded beats) out. In the compare
  // pass dst beats go in and each src beat takes the dst beat at the head. After a failure only the
  // beats no write will take are discarded: a burst of a block before the failing one may still be
  // waiting for a free write-response slot, and its data are at the head.
  logic drop;
  assign drop      = HasFifo && !(IsCaw && !wpass_q) && fail_q && !w_burst_q && !w_start && !fifo_empty &&
                     writes_over;
  assign fifo_push = HasFifo && r_fire && !(IsCaw && !wpass_q && r_side_q);
  assign fifo_pop  = HasFifo && (w_fire || drop || (IsCaw && !wpass_q && r_fire && r_side_q));

  // ---------------------------------------------------------------------------------------------
  // Registers.
  // ---------------------------------------------------------------------------------------------
  // Control registers reset; the datapath registers (block indices, counters, compare state) are set
  // before use and have none, so that their clears cost no logic (an FPGA flop's synchronous reset).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= StIdle;
      wpass_q   <= 1'b0;
      pat_q     <= 1'b0;
      ar_on_q   <= 1'b0;
      ar_side_q <= 1'b0;
      ar_hold_q <= 1'b0;
      ar_valid_q <= 1'b0;
      ar_out_q  <= '0;
      w_on_q    <= 1'b0;
      w_burst_q <= 1'b0;
      aw_done_q <= 1'b0;
      w_dd_q    <= 1'b0;
      w_stop_q  <= 1'b0;
      b_out_q   <= '0;
      fail_q    <= 1'b0;
      fail_wr_q <= 1'b0;
      cmp_v_q   <= 1'b0;
      mis_q     <= 1'b0;
    end else begin
      state_q   <= state_d;
      wpass_q   <= wpass_d;
      pat_q     <= pat_d;
      ar_on_q   <= ar_on_d;
      ar_side_q <= ar_side_d;
      ar_hold_q <= ar_valid_o && !ar_ready_i;
      ar_valid_q <= ar_valid_d;
      ar_out_q  <= ar_out_d;
      w_on_q    <= w_on_d;
      w_burst_q <= w_burst_d;
      aw_done_q <= aw_done_d;
      w_dd_q    <= w_dd_d;
      w_stop_q  <= w_stop_d;
      b_out_q   <= b_out_d;
      fail_q    <= fail_d;
      fail_wr_q <= fail_wr_d;
      cmp_v_q   <= cmp_v_d;
      mis_q     <= mis_d;
    end
  end

  always_ff @(posedge clk_i) begin
    // Cycles since the grant: 1 in the dispatch cycle, frozen once the completion is valid on the
    // block's ports (it may wait there for another engine's completion to be taken).
    if (state_q == StIdle) begin
      cyc_q <= 32'd1;
    end else if (!(state_q == StDone && shown_i)) begin
      cyc_q <= cyc_q + 32'd1;
    end
    ar_bib_q    <= ar_bib_d;
    ar_blk_q    <= ar_blk_d;
    ar_more_q   <= ar_more_d;
    r_side_q    <= r_side_d;
    r_bib_q     <= r_bib_d;
    r_blk_q     <= r_blk_d;
    resv_q      <= resv_d;
    w_beat_q    <= w_beat_d;
    w_bib_q     <= w_bib_d;
    w_blk_q     <= w_blk_d;
    w_more_q    <= w_more_d;
    b_bib_q     <= b_bib_d;
    b_blk_q     <= b_blk_d;
    fail_side_q <= fail_side_d;
    fail_cmp_q  <= fail_cmp_d;
    fail_idx_q  <= fail_idx_d;
    walk_q      <= walk_d;
    cmp_last_q  <= cmp_last_d;
    cmp_diff_q  <= cmp_diff_d;
    cmp_pos_q   <= cmp_pos_d;
    mis_pos_q   <= mis_pos_d;
    mis_lanes_q <= mis_lanes_d;
  end

  // ---------------------------------------------------------------------------------------------
  // Address streams, FIFO, pattern buffer.
  // ---------------------------------------------------------------------------------------------
  if (IsCopy || IsCaw) begin : g_a
    offload_stream #(
      .MinShift  (MinShift),
      .MaxShift  (MaxShift),
      .ShiftWidth(ShiftWidth)
    ) u_a (
      .clk_i     (clk_i),
      .shift_i   (shift_i),
      .load_i    (a_load),
      .load_val_i(a_load_val),
      .pre_dec_i (a_pre),
      .step_i    (a_step),
      .up_i      (a_up),
      .addr_o    (a_addr)
    );
  end else begin : g_no_a
    assign a_addr = '0;
    logic unused_a;
    assign unused_a = ^{a_load, a_pre, a_step, a_up, a_load_val};
  end

  if (IsCaw) begin : g_b
    offload_stream #(
      .MinShift  (MinShift),
      .MaxShift  (MaxShift),
      .ShiftWidth(ShiftWidth)
    ) u_b (
      .clk_i     (clk_i),
      .shift_i   (shift_i),
      .load_i    (b_load),
      .load_val_i(rd_start_i),
      .pre_dec_i (1'b0),
      .step_i    (b_step),
      .up_i      (b_up),
      .addr_o    (b_addr)
    );
  end else begin : g_no_b
    assign b_addr = '0;
    logic unused_b;
    assign unused_b = ^{b_load, b_step, b_up};
  end

  if (!IsCaw) begin : g_w
    offload_stream #(
      .MinShift  (MinShift),
      .MaxShift  (MaxShift),
      .ShiftWidth(ShiftWidth)
    ) u_w (
      .clk_i     (clk_i),
      .shift_i   (shift_i),
      .load_i    (wc_load),
      .load_val_i(wc_load_val),
      .pre_dec_i (wc_pre),
      .step_i    (wc_step),
      .up_i      (wc_up),
      .addr_o    (wc_addr)
    );
  end else begin : g_no_w
    assign wc_addr = '0;
    logic unused_w;
    assign unused_w = ^{wc_load, wc_pre, wc_step, wc_up, wc_load_val};
  end

  if (HasFifo) begin : g_fifo
    offload_fifo #(
      .Width(DataWidth),
      .Depth(FifoDepth)
    ) u_fifo (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .clr_i  (fifo_clr),
      .push_i (fifo_push),
      .data_i (r_data_i),
      .pop_i  (fifo_pop),
      .data_o (fifo_data),
      .empty_o(fifo_empty),
      .count_o(fifo_count)
    );
  end else begin : g_no_fifo
    assign fifo_data  = '0;
    assign fifo_empty = 1'b1;
    assign fifo_count = '0;
    logic unused_fifo;
    assign unused_fifo = ^{fifo_push, fifo_pop, fifo_clr};
  end

  if (IsZero) begin : g_pat
    // Pattern beat index in the block: written {burst, beat} as read data arrive; read one ahead of
    // the write beats so that the RAM output register holds the beat being written.
    logic [BeatW-1:0]      r_beat_q;
    logic [BibW+BeatW-1:0] widx_full, ridx_full;
    logic [PatW-1:0]       pat_widx, pat_ridx, pat_ridx_next, pat_mask;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        r_beat_q <= '0;
      end else if (state_q == StSetup) begin
        r_beat_q <= '0;
      end else if (r_fire) begin
        r_beat_q <= r_beat_q + BeatW'(1);
      end
    end
    assign widx_full = {r_bib_q, r_beat_q};
    assign ridx_full = {w_bib_q, w_beat_q};
    assign pat_widx  = widx_full[PatW-1:0];
    assign pat_ridx  = ridx_full[PatW-1:0];
    always_comb begin
      for (int i = 0; i < PatW; i++) begin
        pat_mask[i] = (i + BeatShift < 32'(shift_i));
      end
    end
    assign pat_ridx_next = (pat_ridx + PatW'(1)) & pat_mask;

    offload_ram #(
      .Width(DataWidth),
      .Depth(1 << PatW)
    ) u_pat (
      .clk_i  (clk_i),
      .we_i   (r_fire && pat_q),
      .waddr_i(pat_widx),
      .wdata_i(r_data_i),
      .raddr_i(w_fire ? pat_ridx_next : pat_ridx),
      .rdata_o(pat_rdata)
    );
  end else begin : g_no_pat
    assign pat_rdata = '0;
  end

  // ---------------------------------------------------------------------------------------------
  // Completion.
  // ---------------------------------------------------------------------------------------------
  // The first differing byte: the lowest differing lane of the first differing beat.
  logic [BeatShift-1:0] mis_lane;
  always_comb begin : c_mis_lane
    logic [BeatShift-1:0] lane;
    lane = '0;
    for (int l = BusBytes - 1; l >= 0; l--) begin
      if (mis_lanes_q[l]) begin
        lane = BeatShift'(l);
      end
    end
    mis_lane = lane;
  end

  // The failing block: the stream that walked back to it (a bad pattern block: src itself).
  logic [63:0] fault_block;
  always_comb begin
    if (IsCaw) begin
      fault_block = (fail_wr_q || (fail_cmp_q && !fail_side_q)) ? a_addr : b_addr;
    end else if (IsZero) begin
      fault_block = fail_wr_q ? wc_addr : src_i;
    end else begin
      fault_block = fail_wr_q ? wc_addr : a_addr;
    end
  end

  assign done_o   = (state_q == StDone);
  assign cycles_o = cyc_q;
  logic [31:0] mis_byte;
  assign mis_byte = {mis_pos_q[31:BeatShift], mis_lane};
  always_comb begin : c_completion
    logic [7:0]  status;
    logic [31:0] blocks_done, mis_offset;
    logic [63:0] fault;
    status      = offload_pkg::StatusOk;
    blocks_done = is_compare ? '0 : blocks_i;  // a compare writes nothing
    mis_offset  = '0;
    fault       = '0;
    if (fail_q) begin
      status      = fail_wr_q ? offload_pkg::StatusWriteError : offload_pkg::StatusReadError;
      blocks_done = fail_cmp_q ? '0 : fail_idx_q;
      fault       = fault_block;
    end else if (IsCaw && mis_q) begin
      status      = offload_pkg::StatusMiscompare;
      blocks_done = '0;
`ifdef OFFLOAD_FAULT_MISCOMPARE_OFFSET
      // Deliberate fault for the co-simulation (cosim/): the offset is one byte too far.
      mis_offset  = mis_byte + 32'd1;
`else
      mis_offset  = mis_byte;
`endif
    end
    // Each output written once (Icarus: see the top of the file).
    status_o      = status;
    blocks_done_o = blocks_done;
    mis_offset_o  = mis_offset;
    fault_o       = fault;
  end

  // Unused: the FIFO fill level (the reservation counter covers it).
  logic unused_count;
  assign unused_count = ^fifo_count;

`ifndef SYNTHESIS
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni) begin
      if (r_fire && state_q != StRun) begin
        $error("offload_engine %0d: read data while not running", Kind);
      end
      if (b_fire && b_out_q == '0) begin
        $error("offload_engine %0d: write response with none outstanding", Kind);
      end
      // The registered ARVALID, ar_more and w_more equal their definitions from the current state.
      if (state_q != StIdle && state_q != StSetup && w_more_q != (w_blk_q != blocks_i)) begin
        $error("offload_engine %0d: w_more_q is not w_blk_q != blocks_i", Kind);
      end
      if (state_q != StIdle && state_q != StSetup && ar_more_q != (ar_blk_q != rd_blocks)) begin
        $error("offload_engine %0d: ar_more_q is not ar_blk_q != rd_blocks", Kind);
      end
      if (ar_valid_q != (ar_hold_q || (ar_on_q && (ar_blk_q != rd_blocks) && !fail_q &&
                                       (32'(ar_out_q) < MaxOutstandingReads) &&
                                       (!HasFifo || (IsCaw && !wpass_q) ||
                                        (32'(resv_q) + BurstBeats <= FifoDepth))))) begin
        $error("offload_engine %0d: registered ARVALID differs from its definition", Kind);
      end
    end
  end
`endif
endmodule
