// offload_tb: smoke bench of the offload block, plain SystemVerilog for Verilator (--binary --timing)
// and Icarus (-g2012). One run does one thing, chosen by plusargs:
//
//   +case=DIR      replay a $readmemh export (vectors/memh/<case>/): the jobs of jobs.memh one at a
//                  time, each on the queue its expected completion names, on init.memh, with blocks of
//                  faults.memh failing; every completion field but cycles must match completions.memh,
//                  memory must match final.memh. Prints one CYCLES line per job (model vs RTL).
//   +test=NAME     a directed test: perf (64 KiB copy, fill, pattern, compare-and-write and compare:
//                  beats per cycle), errors (every error path of every engine), reset (reset in the middle of a
//                  job), concurrent (two queues: overlap, conflicts, age order), random (random jobs on
//                  two queues at once, with bad blocks, against the reference below in commit order).
//   +stall=PCT     the memory drops its readies, and the bench its completion ready, at random.
//   +seed=N        seed of the random test and data.
//
// The reference: tasks ref_* below are execute.rs (model/src/engine/execute.rs) in SystemVerilog, on a
// second copy of the bench memory; the memh replay checks the RTL against the model itself.
//
// Ends with "PASS" or "FAIL: n errors" (and $finish).
`timescale 1ns / 1ps
`default_nettype none

module offload_tb;
  parameter int DataWidth = 64;
  localparam int NumQueues  = 2;
  localparam int BurstBeats = 16;
  localparam int BusBytes   = DataWidth / 8;
  localparam int Words      = 1 << 21;
  localparam int RegionWordBits = offload_pkg::BenchRegionByteBits - 3;

  logic clk = 1'b0;
  logic rst_n = 1'b0;
  always #5 clk = ~clk;

  // ---- the block
  logic [NumQueues-1:0] job_valid = '0, job_ready;
  logic [7:0]           job_op = '0, job_shift = '0;
  logic [15:0]          job_tag = '0;
  logic [31:0]          job_blocks = '0;
  logic [63:0]          job_src = '0, job_dst = '0;
  logic [NumQueues-1:0] comp_valid, comp_ready = '1;
  logic [7:0]           comp_status, comp_queue;
  logic [15:0]          comp_tag;
  logic [31:0]          comp_blocks_done, comp_mis, comp_commit;
  logic [63:0]          comp_fault, comp_cycles;
  logic                 idle;

  logic                   arvalid, arready, rvalid, rready, rlast, awvalid, awready, wvalid, wready;
  logic                   wlast, bvalid, bready;
  logic [63:0]            araddr, awaddr;
  logic [7:0]             arlen, awlen;
  logic [2:0]             arsize, awsize;
  logic [1:0]             arburst, awburst, awuser, rresp, bresp;
  logic [DataWidth-1:0]   rdata, wdata;
  logic [DataWidth/8-1:0] wstrb;

  offload_top #(
    .DataWidth(DataWidth),
    .NumQueues(NumQueues),
    .BurstBeats(BurstBeats)
  ) u_dut (
    .clk_i                   (clk),
    .rst_ni                  (rst_n),
    .job_valid_i             (job_valid),
    .job_ready_o             (job_ready),
    .job_op_i                (job_op),
    .job_block_shift_i       (job_shift),
    .job_tag_i               (job_tag),
    .job_blocks_i            (job_blocks),
    .job_src_i               (job_src),
    .job_dst_i               (job_dst),
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

  offload_tb_mem #(
    .DataWidth (DataWidth),
    .BurstBeats(BurstBeats)
  ) u_mem (
    .clk_i    (clk),
    .rst_ni   (rst_n),
    .arvalid_i(arvalid),
    .arready_o(arready),
    .araddr_i (araddr),
    .arlen_i  (arlen),
    .arsize_i (arsize),
    .arburst_i(arburst),
    .rvalid_o (rvalid),
    .rready_i (rready),
    .rdata_o  (rdata),
    .rresp_o  (rresp),
    .rlast_o  (rlast),
    .awvalid_i(awvalid),
    .awready_o(awready),
    .awaddr_i (awaddr),
    .awlen_i  (awlen),
    .awsize_i (awsize),
    .awburst_i(awburst),
    .awuser_i (awuser),
    .wvalid_i (wvalid),
    .wready_o (wready),
    .wdata_i  (wdata),
    .wstrb_i  (wstrb),
    .wlast_i  (wlast),
    .bvalid_o (bvalid),
    .bready_i (bready),
    .bresp_o  (bresp)
  );

  // ---- bookkeeping
  longint cyc = 0;
  always @(posedge clk) cyc <= cyc + 1;
  bit heartbeat = 1'b0;
  always @(posedge clk) if (heartbeat && cyc % 5000 == 0) $display("HEARTBEAT %0d n_log=%0d n_offered=%0d", cyc, n_log, n_offered);

  int     errors = 0;
  int     stall_pct = 0;
  longint engine_overlap = 0;  // cycles in which more than one engine was busy

  task automatic error(input string what);
    errors++;
    $display("ERROR cycle %0d: %s", cyc, what);
  endtask

  // ---- words
  function automatic logic [63:0] field(input logic [255:0] w, input int lsb, input int width);
    logic [255:0] shifted;
    shifted = w >> lsb;
    field = (width == 64) ? shifted[63:0] : shifted[63:0] & ((64'd1 << width) - 64'd1);
  endfunction

  function automatic logic [255:0] job_word(input logic [7:0] op, input int shift, input logic [15:0] tag,
                                            input logic [31:0] blocks, input logic [63:0] src,
                                            input logic [63:0] dst);
    job_word = '0;
    job_word[offload_pkg::JobOpLsb +: 8]         = op;
    job_word[offload_pkg::JobBlockShiftLsb +: 8] = 8'(shift);
    job_word[offload_pkg::JobTagLsb +: 16]       = tag;
    job_word[offload_pkg::JobBlocksLsb +: 32]    = blocks;
    job_word[offload_pkg::JobSrcLsb +: 64]       = src;
    job_word[offload_pkg::JobDstLsb +: 64]       = dst;
  endfunction

  function automatic logic [255:0] comp_word(input logic [7:0] status, input logic [7:0] queue,
                                             input logic [15:0] tag, input logic [31:0] done,
                                             input logic [31:0] mis, input logic [31:0] commit,
                                             input logic [63:0] fault, input logic [63:0] cycles);
    comp_word = '0;
    comp_word[offload_pkg::CompletionStatusLsb +: 8]            = status;
    comp_word[offload_pkg::CompletionQueueLsb +: 8]             = queue;
    comp_word[offload_pkg::CompletionTagLsb +: 16]              = tag;
    comp_word[offload_pkg::CompletionBlocksDoneLsb +: 32]       = done;
    comp_word[offload_pkg::CompletionMiscompareOffsetLsb +: 32] = mis;
    comp_word[offload_pkg::CompletionCommitLsb +: 32]           = commit;
    comp_word[offload_pkg::CompletionFaultAddressLsb +: 64]     = fault;
    comp_word[offload_pkg::CompletionCyclesLsb +: 64]           = cycles;
  endfunction

  function automatic string describe(input logic [255:0] c);
    describe = $sformatf("status %0d queue %0d tag %0h done %0d mis %0d commit %0d fault %h",
      field(c, offload_pkg::CompletionStatusLsb, 8), field(c, offload_pkg::CompletionQueueLsb, 8),
      field(c, offload_pkg::CompletionTagLsb, 16), field(c, offload_pkg::CompletionBlocksDoneLsb, 32),
      field(c, offload_pkg::CompletionMiscompareOffsetLsb, 32), field(c, offload_pkg::CompletionCommitLsb, 32),
      field(c, offload_pkg::CompletionFaultAddressLsb, 64));
  endfunction

  // Every field but cycles.
  function automatic logic [255:0] no_cycles(input logic [255:0] c);
    no_cycles = c;
    no_cycles[offload_pkg::CompletionCyclesLsb +: 64] = '0;
  endfunction

  // ---- the job driver: offers the jobs of offer_word/offer_q in order, one at a time, each to its
  // queue, as soon as that queue is ready. Jobs are set up at a negedge (valid for the second half of
  // the cycle); a job is taken at the posedge after a negedge that saw its queue ready.
  logic [255:0] offer_word [256];
  int           offer_q [256];
  int           n_offer = 0, n_offered = 0;
  bit           offering = 1'b0, took = 1'b0;
  int           off_q = 0;
  always @(negedge clk) begin
    if (!rst_n) begin
      offering  = 1'b0;
      took      = 1'b0;
      job_valid = '0;
    end else begin
      if (offering && took) begin
        offering  = 1'b0;
        job_valid = '0;
        n_offered++;
      end
      took = 1'b0;
      if (!offering && n_offered < n_offer) begin
        off_q      = offer_q[n_offered];
        job_op     = offer_word[n_offered][offload_pkg::JobOpLsb +: 8];
        job_shift  = offer_word[n_offered][offload_pkg::JobBlockShiftLsb +: 8];
        job_tag    = offer_word[n_offered][offload_pkg::JobTagLsb +: 16];
        job_blocks = offer_word[n_offered][offload_pkg::JobBlocksLsb +: 32];
        job_src    = offer_word[n_offered][offload_pkg::JobSrcLsb +: 64];
        job_dst    = offer_word[n_offered][offload_pkg::JobDstLsb +: 64];
        job_valid[off_q] = 1'b1;
        offering   = 1'b1;
      end
      if (offering && job_ready[off_q]) took = 1'b1;
    end
  end

  // ---- the completion log: every accepted completion (cycles: the block's own count), the cycle it
  // was first valid and the cycle its job was granted (each queue runs one job at a time, so the last
  // grant on the queue is its job's), and the R and W beats the memory carried from grant to completion
  // (the job's own traffic when it runs alone, as in +test=perf).
  logic [255:0] log_word [256];
  longint       log_valid_at [256], log_grant_at [256], log_reads [256], log_writes [256];
  int           n_log = 0;
  longint       valid_since [NumQueues], last_grant [NumQueues], grant_reads [NumQueues], grant_writes [NumQueues];
  always @(negedge clk) begin
    if (!rst_n) begin
      for (int q = 0; q < NumQueues; q++) valid_since[q] = -1;
    end else begin
      if (u_dut.u_sched.gnt) begin
        last_grant[u_dut.u_sched.gq]   = cyc;
        grant_reads[u_dut.u_sched.gq]  = longint'(u_mem.read_beats);
        grant_writes[u_dut.u_sched.gq] = longint'(u_mem.write_beats);
      end
      if ($countones(u_dut.u_sched.eng_busy_q) > 1) engine_overlap++;
      for (int q = 0; q < NumQueues; q++) begin
        if (comp_valid[q] && valid_since[q] < 0) valid_since[q] = cyc;
        if (comp_valid[q] && comp_ready[q]) begin
          log_word[n_log] = comp_word(comp_status, comp_queue, comp_tag, comp_blocks_done, comp_mis, comp_commit,
                                      comp_fault, comp_cycles);
          log_valid_at[n_log] = valid_since[q];
          log_grant_at[n_log] = last_grant[q];
          log_reads[n_log]    = longint'(u_mem.read_beats) - grant_reads[q];
          log_writes[n_log]   = longint'(u_mem.write_beats) - grant_writes[q];
          if (comp_queue != 8'(q)) error($sformatf("completion valid on queue %0d names queue %0d", q, comp_queue));
          if (u_mem.trace) $display("TRACE %0d COMPLETION %s", cyc, describe(log_word[n_log]));
          n_log++;
          valid_since[q] = -1;
        end
      end
    end
  end
  // Random completion readiness, changed just after the clock edge (stable when sampled at negedge).
  always @(posedge clk) begin
    #1;
    if (stall_pct > 0) comp_ready = NumQueues'($urandom_range((1 << NumQueues) - 1));
  end

  task automatic reset_block;
    @(negedge clk);
    rst_n = 1'b0;
    repeat (3) @(negedge clk);
    n_offer   = 0;
    n_offered = 0;
    n_log     = 0;
    rst_n = 1'b1;
    @(negedge clk);
  endtask

  // ---- the reference: execute.rs on expmem
  bit [63:0] expmem [Words];

  // The bench word index of an address (-1: outside the bench memory).
  function automatic int map(input logic [63:0] addr);
    map = u_mem.bench_index(addr);
  endfunction

  // A block access per the bench memory's faults: 0 ok, 1 fails.
  function automatic bit bad(input logic [63:0] addr, input int bs, input bit writes);
    int first;
    bad = 1'b0;
    first = map(addr);
    if (first < 0) begin
      bad = 1'b1;
    end else begin
      for (int i = 0; i < u_mem.n_faults; i++) if (u_mem.fault_word[i] == 64'(first)) bad = 1'b1;
      for (int i = 0; i < u_mem.n_late; i++) if (u_mem.late_word[i] == 64'(first)) bad = 1'b1;
      if (writes) for (int i = 0; i < u_mem.n_wfaults; i++) if (u_mem.wfault_word[i] == 64'(first)) bad = 1'b1;
    end
  endfunction

  bit [63:0] blk_a [512];
  bit [63:0] blk_b [512];

  task automatic ref_read(input logic [63:0] addr, input int bs, input bit into_b);
    int index;
    index = map(addr);
    for (int i = 0; i < bs / 8; i++) begin
      if (into_b) blk_b[i] = expmem[index + i];
      else blk_a[i] = expmem[index + i];
    end
  endtask

  task automatic ref_write(input logic [63:0] addr, input int bs, input bit from_b, input bit zeros);
    int index;
    index = map(addr);
    for (int i = 0; i < bs / 8; i++) expmem[index + i] = zeros ? 64'd0 : (from_b ? blk_b[i] : blk_a[i]);
  endtask

  // A range that leaves its 2^48-byte region (it may end at the region's end).
  function automatic bit crosses(input logic [63:0] start, input logic [63:0] len);
    logic [63:0] last;
    last = start + len - 64'd1;
    crosses = (len != 0) && (last[63:48] != start[63:48]);
  endfunction

  // Applies job w to expmem; returns its completion (queue, commit and cycles zero).
  // One block of a copy (a copy job, or compare-and-write's write pass): read it from `from`, write it to
  // `to`; a bad block fails the job with `done` blocks done (c: the completion, stop: it failed).
  task automatic ref_copy_block(input logic [63:0] from, input logic [63:0] to, input int bs,
                                input logic [15:0] tag, input logic [31:0] done,
                                inout logic [255:0] c, inout bit stop);
    if (bad(from, bs, 1'b0)) begin
      c = comp_word(offload_pkg::StatusReadError, 8'd0, tag, done, 32'd0, 32'd0, from, 64'd0);
      stop = 1'b1;
    end else begin
      ref_read(from, bs, 1'b0);
      if (bad(to, bs, 1'b1)) begin
        c = comp_word(offload_pkg::StatusWriteError, 8'd0, tag, done, 32'd0, 32'd0, to, 64'd0);
        stop = 1'b1;
      end else begin
        ref_write(to, bs, 1'b0, 1'b0);
      end
    end
  endtask

  task automatic ref_apply(input logic [255:0] w, output logic [255:0] c);
    logic [7:0]  op;
    logic [15:0] tag;
    logic [31:0] blocks, done;
    logic [63:0] src, dst, at, bytes;
    int          bs;
    bit          backward, stop, differ;
    logic [31:0] mis;
    op     = w[offload_pkg::JobOpLsb +: 8];
    bs     = 1 << w[offload_pkg::JobBlockShiftLsb +: 8];
    tag    = w[offload_pkg::JobTagLsb +: 16];
    blocks = w[offload_pkg::JobBlocksLsb +: 32];
    src    = w[offload_pkg::JobSrcLsb +: 64];
    dst    = w[offload_pkg::JobDstLsb +: 64];
    bytes  = 64'(blocks) * 64'(bs);
    c      = comp_word(offload_pkg::StatusOk, 8'd0, tag, blocks, 32'd0, 32'd0, 64'd0, 64'd0);
    stop   = 1'b0;
    // What the block cannot run completes at once: a write error at dst, nothing done (rtl/README.md).
    if (op >= 8'(offload_pkg::OpCount) || bs < BusBytes * BurstBeats || bs > 4096 || (dst % 64'(bs)) != 0 ||
        (!(op == offload_pkg::OpZero || op == offload_pkg::OpDeallocate || op == offload_pkg::OpAnchor) &&
         (src % 64'(bs)) != 0) ||
        crosses(dst, bytes) ||
        ((op == offload_pkg::OpCopy || op == offload_pkg::OpCompare) && crosses(src, bytes)) ||
        (op == offload_pkg::OpCompareAndWrite && crosses(src, 2 * bytes))) begin
      c = comp_word(offload_pkg::StatusWriteError, 8'd0, tag, 32'd0, 32'd0, 32'd0, dst, 64'd0);
      stop = 1'b1;
      op = 8'hFF;
    end else if (blocks == 0) begin
      stop = 1'b1;
    end
    if (op == offload_pkg::OpCopy) begin
      backward = (dst > src) && (dst < src + bytes);
      for (int d = 0; d < int'(blocks) && !stop; d++) begin
        int i;
        i = backward ? int'(blocks) - 1 - d : d;
        ref_copy_block(src + 64'(i) * 64'(bs), dst + 64'(i) * 64'(bs), bs, tag, 32'(d), c, stop);
      end
    end else if (op == offload_pkg::OpPattern) begin
      if (bad(src, bs, 1'b0)) begin
        c = comp_word(offload_pkg::StatusReadError, 8'd0, tag, 32'd0, 32'd0, 32'd0, src, 64'd0);
        stop = 1'b1;
      end else begin
        ref_read(src, bs, 1'b0);
      end
      for (int i = 0; i < int'(blocks) && !stop; i++) begin
        at = dst + 64'(i) * 64'(bs);
        if (bad(at, bs, 1'b1)) begin
          c = comp_word(offload_pkg::StatusWriteError, 8'd0, tag, 32'(i), 32'd0, 32'd0, at, 64'd0);
          stop = 1'b1;
        end else begin
          ref_write(at, bs, 1'b0, 1'b0);
        end
      end
    end else if (op == offload_pkg::OpZero || op == offload_pkg::OpDeallocate || op == offload_pkg::OpAnchor) begin
      for (int i = 0; i < int'(blocks) && !stop; i++) begin
        at = dst + 64'(i) * 64'(bs);
        if (bad(at, bs, 1'b1)) begin
          c = comp_word(offload_pkg::StatusWriteError, 8'd0, tag, 32'(i), 32'd0, 32'd0, at, 64'd0);
          stop = 1'b1;
        end else begin
          ref_write(at, bs, 1'b0, 1'b1);
        end
      end
    end else if (op == offload_pkg::OpCompareAndWrite || op == offload_pkg::OpCompare) begin
      differ = 1'b0;
      mis    = '0;
      for (int i = 0; i < int'(blocks) && !stop; i++) begin
        at = dst + 64'(i) * 64'(bs);
        if (bad(at, bs, 1'b0)) begin
          c = comp_word(offload_pkg::StatusReadError, 8'd0, tag, 32'd0, 32'd0, 32'd0, at, 64'd0);
          stop = 1'b1;
        end else begin
          ref_read(at, bs, 1'b0);
          at = src + 64'(i) * 64'(bs);
          if (bad(at, bs, 1'b0)) begin
            c = comp_word(offload_pkg::StatusReadError, 8'd0, tag, 32'd0, 32'd0, 32'd0, at, 64'd0);
            stop = 1'b1;
          end else begin
            ref_read(at, bs, 1'b1);
            for (int b = 0; b < bs && !differ; b++) begin
              if (blk_a[b / 8][8*(b%8) +: 8] != blk_b[b / 8][8*(b%8) +: 8]) begin
                differ = 1'b1;
                mis = 32'(i * bs + b);
              end
            end
          end
        end
      end
      if (!stop && differ) begin
        c = comp_word(offload_pkg::StatusMiscompare, 8'd0, tag, 32'd0, mis, 32'd0, 64'd0, 64'd0);
        stop = 1'b1;
      end else if (!stop && op == offload_pkg::OpCompare) begin
        // A compare has no write pass: every byte matched, nothing written.
        c = comp_word(offload_pkg::StatusOk, 8'd0, tag, 32'd0, 32'd0, 32'd0, 64'd0, 64'd0);
        stop = 1'b1;
      end
      for (int i = 0; i < int'(blocks) && !stop; i++) begin
        ref_copy_block(src + bytes + 64'(i) * 64'(bs), dst + 64'(i) * 64'(bs), bs, tag, 32'(i), c, stop);
      end
    end
  endtask

  // ---- memory comparison over the regions a test uses
  bit region_used [64];

  task automatic use_region_of(input logic [63:0] addr);
    int index;
    index = map(addr);
    if (index >= 0) region_used[index >> RegionWordBits] = 1'b1;
  endtask

  // Words not compared (the late-fault test: blocks the block may have written in part).
  int skip_lo [4], skip_hi [4];
  int n_skip = 0;

  task automatic compare_memory(input string what);
    int bad_words;
    bit skip;
    bad_words = 0;
    for (int r = 0; r < 64; r++) begin
      if (region_used[r] || u_mem.region_written[r]) begin
        for (int i = r << RegionWordBits; i < (r + 1) << RegionWordBits; i++) begin
          skip = 1'b0;
          for (int k = 0; k < n_skip; k++) if (i >= skip_lo[k] && i < skip_hi[k]) skip = 1'b1;
          // What the block wrote there is the reference from now on.
          if (skip) expmem[i] = u_mem.mem[i];
          if (!skip && u_mem.mem[i] != expmem[i]) begin
            if (bad_words < 5) begin
              $display("ERROR %s: word %h is %h, expected %h", what, i, u_mem.mem[i], expmem[i]);
            end
            bad_words++;
          end
        end
      end
    end
    if (bad_words > 0) error($sformatf("%s: %0d memory words differ", what, bad_words));
  endtask

  // ---- random numbers (splitmix64: the same sequence in every simulator)
  logic [63:0] rng = 64'd1;
  function automatic logic [63:0] rnd;
    logic [63:0] z;
    rng = rng + 64'h9E3779B97F4A7C15;
    z = rng;
    z = (z ^ (z >> 30)) * 64'hBF58476D1CE4E5B9;
    z = (z ^ (z >> 27)) * 64'h94D049BB133111EB;
    rnd = z ^ (z >> 31);
  endfunction

  function automatic int rnd_below(input int n);
    rnd_below = int'(rnd() % 64'(n));
  endfunction

  // Fills region r of both memories with random words.
  task automatic fill_region(input int r);
    logic [63:0] v;
    for (int i = r << RegionWordBits; i < (r + 1) << RegionWordBits; i++) begin
      v = rnd();
      u_mem.mem[i] = v;
      expmem[i] = v;
    end
    region_used[r] = 1'b1;
  endtask

  // Copies one memory range to both memories (for compare data).
  task automatic put_words(input logic [63:0] dst_addr, input logic [63:0] src_addr, input int words);
    int di, si;
    di = map(dst_addr);
    si = map(src_addr);
    for (int i = 0; i < words; i++) begin
      u_mem.mem[di + i] = expmem[si + i];
      expmem[di + i] = expmem[si + i];
    end
  endtask

  function automatic logic [63:0] unit_addr(input int unit, input longint offset);
    unit_addr = (64'(unit) << offload_pkg::AddrUnitShift) | 64'(offset);
  endfunction

  function automatic logic [63:0] buf_addr(input int slot, input longint offset);
    buf_addr = (64'(offload_pkg::AddrBufferRegion) << offload_pkg::AddrUnitShift) |
               (64'(slot) << offload_pkg::AddrBufferSlotShift) | 64'(offset);
  endfunction

  // ---- the plan: jobs in groups. A group's jobs are offered in order (one at a time, each to its
  // queue as soon as it can take it), then all their completions are collected and checked: against
  // the reference applied in commit order, or (replay) against the expected completions of the file.
  logic [255:0] plan_job [256];
  logic [255:0] plan_want [256];
  int           plan_q [256];
  int           plan_group [256];
  longint       plan_model [256];   // the model's cycles, printed with the RTL's (0: not printed)
  int           group_check [256];  // bit 0: the jobs must overlap in time; bit 1: they must not
  int           n_plan = 0, n_groups = 0;
  int           status_count [4];
  int           groups_overlapped = 0, jobs_run = 0;
  bit           from_file = 1'b0;
  string        case_name = "";

  task automatic plan(input int q, input logic [255:0] w, input bit new_group);
    if (new_group || n_plan == 0) begin
      group_check[n_groups] = 0;
      n_groups++;
    end
    plan_job[n_plan]   = w;
    plan_q[n_plan]     = q;
    plan_group[n_plan] = n_groups - 1;
    plan_model[n_plan] = 0;
    n_plan++;
  endtask

  task automatic run_plan;
    int           first, last, n, log_before, pick;
    int           match [256];
    bit           applied [256];
    logic [255:0] got, want;
    longint       overlap_before, cycles, lowest;
    first = 0;
    while (first < n_plan) begin
      last = first;
      while (last + 1 < n_plan && plan_group[last + 1] == plan_group[first]) last++;
      n = last - first + 1;
      overlap_before = engine_overlap;
      log_before = n_log;
      u_mem.block_bytes = 1 << plan_job[first][offload_pkg::JobBlockShiftLsb +: 8];
      for (int i = first; i <= last; i++) begin
        use_region_of(plan_job[i][offload_pkg::JobSrcLsb +: 64]);
        use_region_of(plan_job[i][offload_pkg::JobDstLsb +: 64]);
        offer_word[n_offer] = plan_job[i];
        offer_q[n_offer]    = plan_q[i];
        n_offer++;
      end
      while (n_log < log_before + n) @(negedge clk);
      // Completions to jobs: by queue and tag (distinct within a group).
      for (int i = first; i <= last; i++) begin
        match[i] = -1;
        applied[i] = 1'b0;
        for (int k = log_before; k < log_before + n; k++) begin
          if (field(log_word[k], offload_pkg::CompletionQueueLsb, 8) == 64'(plan_q[i]) &&
              field(log_word[k], offload_pkg::CompletionTagLsb, 16) == 64'(plan_job[i][offload_pkg::JobTagLsb +: 16])) begin
            match[i] = k;
          end
        end
        if (match[i] < 0) begin
          error($sformatf("job %0d: no completion", i));
          match[i] = log_before;
        end
      end
      // Check each job, in commit order.
      for (int step = 0; step < n; step++) begin
        pick = -1;
        lowest = 0;
        for (int i = first; i <= last; i++) begin
          if (!applied[i] && (pick < 0 || longint'(field(log_word[match[i]], offload_pkg::CompletionCommitLsb, 32)) < lowest)) begin
            pick = i;
            lowest = longint'(field(log_word[match[i]], offload_pkg::CompletionCommitLsb, 32));
          end
        end
        applied[pick] = 1'b1;
        got = log_word[match[pick]];
        status_count[got[offload_pkg::CompletionStatusLsb +: 2]]++;
        jobs_run++;
        if (from_file) begin
          want = plan_want[pick];
        end else begin
          ref_apply(plan_job[pick], want);
          want[offload_pkg::CompletionQueueLsb +: 8]   = 8'(plan_q[pick]);
          want[offload_pkg::CompletionCommitLsb +: 32] = got[offload_pkg::CompletionCommitLsb +: 32];
        end
        if (no_cycles(got) != no_cycles(want)) begin
          error($sformatf("%s job %0d: completion %s, expected %s", case_name, pick, describe(got), describe(want)));
        end
        cycles = longint'(got[offload_pkg::CompletionCyclesLsb +: 64]);
        if (log_valid_at[match[pick]] - log_grant_at[match[pick]] != cycles) begin
          error($sformatf("job %0d: the block counts %0d cycles, the bench saw %0d from grant to completion", pick,
                          cycles, log_valid_at[match[pick]] - log_grant_at[match[pick]]));
        end
        if (from_file && stall_pct == 0) begin
          $display("CYCLES %s %0d op=%0d blocks=%0d bs=%0d status=%0d model=%0d rtl=%0d", case_name, pick,
                   plan_job[pick][offload_pkg::JobOpLsb +: 8], plan_job[pick][offload_pkg::JobBlocksLsb +: 32],
                   1 << plan_job[pick][offload_pkg::JobBlockShiftLsb +: 8], want[offload_pkg::CompletionStatusLsb +: 8],
                   want[offload_pkg::CompletionCyclesLsb +: 64], cycles);
        end
        if (plan_model[pick] > 0) begin
          $display("PERF %-40s beats=%0d cycles=%0d model=%0d beats/cycle=%0.4f reads=%0d writes=%0d",
                   plan_name(pick), plan_model_beats(pick), cycles, plan_model[pick],
                   (1.0 * plan_model_beats(pick)) / cycles, log_reads[match[pick]], log_writes[match[pick]]);
          // The zero engine's traffic: a fill reads nothing, a pattern fill its one block once.
          if (plan_job[pick][offload_pkg::JobOpLsb +: 8] == offload_pkg::OpPattern) begin
            if (log_reads[match[pick]] != longint'((1 << plan_job[pick][offload_pkg::JobBlockShiftLsb +: 8]) / BusBytes))
              error($sformatf("%s: read %0d beats, not the one pattern block", plan_name(pick), log_reads[match[pick]]));
          end else if (plan_job[pick][offload_pkg::JobOpLsb +: 8] == offload_pkg::OpZero ||
                       plan_job[pick][offload_pkg::JobOpLsb +: 8] == offload_pkg::OpDeallocate ||
                       plan_job[pick][offload_pkg::JobOpLsb +: 8] == offload_pkg::OpAnchor) begin
            if (log_reads[match[pick]] != 0)
              error($sformatf("%s: a fill read %0d beats", plan_name(pick), log_reads[match[pick]]));
          end
        end
      end
      // First offered, first committed (nothing holds a lock when a group starts).
      for (int i = first; i < last; i++) begin
        if (field(log_word[match[i]], offload_pkg::CompletionCommitLsb, 32) >
            field(log_word[match[i + 1]], offload_pkg::CompletionCommitLsb, 32)) begin
          error($sformatf("group %0d: job %0d was offered before job %0d but committed after it", plan_group[first],
                          i, i + 1));
        end
      end
      if (engine_overlap != overlap_before) groups_overlapped++;
      if (group_check[plan_group[first]][0] && engine_overlap == overlap_before) begin
        error($sformatf("group %0d: the jobs did not run at once", plan_group[first]));
      end
      if (group_check[plan_group[first]][1] && engine_overlap != overlap_before) begin
        error($sformatf("group %0d: conflicting jobs ran at once", plan_group[first]));
      end
      if (!from_file) compare_memory($sformatf("group %0d", plan_group[first]));
      first = last + 1;
    end
    if (from_file) compare_memory(case_name);
    n_plan = 0;
    n_groups = 0;
  endtask

  // Perf lines: names and beats by tag.
  function automatic string plan_name(input int i);
    logic [15:0] tag;
    tag = plan_job[i][offload_pkg::JobTagLsb +: 16];
    case (tag)
      16'h1:   plan_name = "copy 64 KiB (128 x 512 B)";
      16'h2:   plan_name = "copy 64 KiB (16 x 4 KiB)";
      16'h3:   plan_name = "copy 64 KiB backward (overlapping)";
      16'h4:   plan_name = "zero 64 KiB";
      16'h5:   plan_name = "deallocate 64 KiB (4 KiB blocks)";
      16'h6:   plan_name = "pattern 64 KiB (512 B pattern)";
      16'h7:   plan_name = "compare-and-write 64 KiB, match";
      16'h8:   plan_name = "compare-and-write 64 KiB, miscompare";
      16'h9:   plan_name = "compare 64 KiB, match";
      default: plan_name = "?";
    endcase
  endfunction

  function automatic longint plan_model_beats(input int i);
    longint n;
    n = longint'(plan_job[i][offload_pkg::JobBlocksLsb +: 32]) << plan_job[i][offload_pkg::JobBlockShiftLsb +: 8];
    n = n / BusBytes;
    case (plan_job[i][offload_pkg::JobTagLsb +: 16])
      16'h7:   plan_model_beats = 3 * n;  // both sides read, then write data read and written
      16'h8, 16'h9: plan_model_beats = 2 * n;  // both sides read
      default: plan_model_beats = n;
    endcase
  endfunction

  // ---- +case=DIR: replay a $readmemh export
  logic [255:0] jobs [256];
  logic [255:0] comps [256];

  task automatic replay(input string dir);
    int n, fd;
    case_name = dir;
    for (int i = 0; i < 256; i++) begin
      jobs[i]  = '1;
      comps[i] = '1;
    end
    $readmemh({dir, "/jobs.memh"}, jobs);
    $readmemh({dir, "/completions.memh"}, comps);
    u_mem.load({dir, "/init.memh"});
    $readmemh({dir, "/final.memh"}, expmem);
    fd = $fopen({dir, "/faults.memh"}, "r");
    if (fd != 0) begin
      $fclose(fd);
      u_mem.load_faults({dir, "/faults.memh"});
    end
    n = 0;
    while (n < 256 && jobs[n] != '1) n++;
    if (n == 0) error("no jobs");
    reset_block();
    from_file = 1'b1;
    for (int k = 0; k < n; k++) begin
      plan(int'(comps[k][offload_pkg::CompletionQueueLsb +: 8]), jobs[k], 1'b1);
      plan_want[k] = comps[k];
    end
  endtask

  // ---- +test=perf: 64 KiB jobs alone; beats per cycle against the model's equations
  task automatic test_perf(input int phase, output bit last);
    longint n, p;
    n = 65536 / BusBytes;
    p = 512 / BusBytes;
    last = (phase == 1);
    if (phase == 1) begin
      // Compare data = the destination, so that the write pass runs; then one that miscompares.
      put_words(buf_addr(0, 0), unit_addr(0, 0), 65536 / 8);
      plan(0, job_word(offload_pkg::OpCompareAndWrite, 9, 16'h7, 32'd128, buf_addr(0, 0), unit_addr(0, 0)), 1'b1);
      plan_model[n_plan - 1] = 3 * n + 45;
      plan(0, job_word(offload_pkg::OpCompareAndWrite, 9, 16'h8, 32'd128, buf_addr(0, 65536), unit_addr(1, 0)), 1'b1);
      plan_model[n_plan - 1] = 2 * n + 20;
      // A compare: the compare pass alone, M(n) whether it matches or not (this one matches: unit 0
      // holds the first job's write data).
      plan(0, job_word(offload_pkg::OpCompare, 9, 16'h9, 32'd128, buf_addr(0, 65536), unit_addr(0, 0)), 1'b1);
      plan_model[n_plan - 1] = 2 * n + 20;
    end else begin
      test_perf_alone(n, p);
    end
  endtask

  task automatic test_perf_alone(input longint n, input longint p);
    fill_region(0);
    fill_region(1);
    fill_region(16);
    reset_block();
    // Model (read latency 16, write latency 8): C(n) = n + 28, Z(n) = n + 12, F(n) = p + n + 28,
    // X(n) = 3n + 45, M(n) = 2n + 20.
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'h1, 32'd128, unit_addr(0, 0), unit_addr(1, 0)), 1'b1);
    plan_model[n_plan - 1] = n + 28;
    plan(0, job_word(offload_pkg::OpCopy, 12, 16'h2, 32'd16, unit_addr(1, 0), unit_addr(0, 65536)), 1'b1);
    plan_model[n_plan - 1] = n + 28;
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'h3, 32'd128, unit_addr(0, 0), unit_addr(0, 4096)), 1'b1);
    plan_model[n_plan - 1] = n + 28;
    plan(0, job_word(offload_pkg::OpZero, 9, 16'h4, 32'd128, 64'd0, unit_addr(1, 0)), 1'b1);
    plan_model[n_plan - 1] = n + 12;
    plan(0, job_word(offload_pkg::OpDeallocate, 12, 16'h5, 32'd16, 64'd0, unit_addr(1, 65536)), 1'b1);
    plan_model[n_plan - 1] = n + 12;
    plan(0, job_word(offload_pkg::OpPattern, 9, 16'h6, 32'd128, buf_addr(0, 0), unit_addr(1, 131072)), 1'b1);
    plan_model[n_plan - 1] = p + n + 28;
  endtask

  // ---- +test=errors: every error path of every engine, and the rejected jobs
  task automatic add_fault(input logic [63:0] addr, input bit write_only);
    int index;
    index = map(addr);
    if (write_only) begin
      u_mem.wfault_word[u_mem.n_wfaults] = 64'(index);
      u_mem.n_wfaults++;
    end else begin
      u_mem.fault_word[u_mem.n_faults] = 64'(index);
      u_mem.n_faults++;
    end
  endtask

  task automatic test_errors(input int phase, output bit last);
    last = (phase == 1);
    if (phase == 1) test_errors_caw();
    else test_errors_plain();
  endtask

  task automatic test_errors_plain;
    fill_region(0);
    fill_region(1);
    fill_region(2);
    fill_region(16);
    fill_region(17);
    fill_region(18);
    reset_block();
    // Bad blocks (512 bytes): unit 0 block 20; unit 1 block 40 (writes only); unit 2 block 5; staging
    // buffer 0 block 3; staging buffer 2 block 6.
    add_fault(unit_addr(0, 20 * 512), 1'b0);
    add_fault(unit_addr(1, 40 * 512), 1'b1);
    add_fault(unit_addr(2, 5 * 512), 1'b0);
    add_fault(buf_addr(0, 3 * 512), 1'b0);
    add_fault(buf_addr(2, 6 * 512), 1'b0);
    // Copy: read errors forward and backward, write errors forward and backward, DECERR.
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'h10, 32'd8, unit_addr(0, 16 * 512), unit_addr(1, 100 * 512)), 1'b1);
    plan(1, job_word(offload_pkg::OpCopy, 9, 16'h11, 32'd8, unit_addr(0, 16 * 512), unit_addr(0, 18 * 512)), 1'b1);
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'h12, 32'd8, unit_addr(2, 64 * 512), unit_addr(1, 36 * 512)), 1'b1);
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'h13, 32'd8, unit_addr(1, 34 * 512), unit_addr(1, 37 * 512)), 1'b1);
    plan(1, job_word(offload_pkg::OpCopy, 9, 16'h14, 32'd2, unit_addr(40, 0), unit_addr(1, 200 * 512)), 1'b1);
    // Zero engine: write errors (zero, deallocate, anchor), a bad pattern block, a pattern write error.
    plan(0, job_word(offload_pkg::OpZero, 9, 16'h20, 32'd8, 64'd0, unit_addr(1, 36 * 512)), 1'b1);
    plan(0, job_word(offload_pkg::OpDeallocate, 9, 16'h21, 32'd8, 64'd0, unit_addr(2, 0)), 1'b1);
    plan(1, job_word(offload_pkg::OpAnchor, 9, 16'h22, 32'd8, 64'd0, unit_addr(2, 2 * 512)), 1'b1);
    plan(1, job_word(offload_pkg::OpPattern, 9, 16'h23, 32'd4, unit_addr(0, 20 * 512), unit_addr(1, 300 * 512)), 1'b1);
    plan(0, job_word(offload_pkg::OpPattern, 9, 16'h24, 32'd8, unit_addr(0, 2 * 512), unit_addr(1, 38 * 512)), 1'b1);
  endtask

  task automatic test_errors_caw;
    // Compare-and-write: a bad destination block and a bad compare-data block (read errors in the
    // compare pass: nothing written), a bad write-data block, a write error in the write pass, and a
    // plain miscompare.
    put_words(buf_addr(1, 0), unit_addr(2, 0), 8 * 512 / 8);
    plan(0, job_word(offload_pkg::OpCompareAndWrite, 9, 16'h30, 32'd8, buf_addr(1, 0), unit_addr(2, 0)), 1'b1);
    put_words(buf_addr(0, 0), unit_addr(0, 0), 4 * 512 / 8);
    plan(0, job_word(offload_pkg::OpCompareAndWrite, 9, 16'h31, 32'd4, buf_addr(0, 0), unit_addr(0, 0)), 1'b1);
    put_words(buf_addr(2, 0), unit_addr(0, 0), 4 * 512 / 8);
    plan(1, job_word(offload_pkg::OpCompareAndWrite, 9, 16'h32, 32'd4, buf_addr(2, 0), unit_addr(0, 0)), 1'b1);
    put_words(buf_addr(1, 65536), unit_addr(1, 38 * 512), 4 * 512 / 8);
    plan(0, job_word(offload_pkg::OpCompareAndWrite, 9, 16'h33, 32'd4, buf_addr(1, 65536), unit_addr(1, 38 * 512)), 1'b1);
    plan(1, job_word(offload_pkg::OpCompareAndWrite, 9, 16'h34, 32'd4, buf_addr(1, 131072), unit_addr(1, 0)), 1'b1);
    // Compare: a bad compare-data block (staging buffer 0 block 3) and a bad destination block (unit 2
    // block 5): read errors, nothing done.
    plan(0, job_word(offload_pkg::OpCompare, 9, 16'h35, 32'd4, buf_addr(0, 0), unit_addr(0, 0)), 1'b1);
    plan(1, job_word(offload_pkg::OpCompare, 9, 16'h36, 32'd8, buf_addr(1, 0), unit_addr(2, 0)), 1'b1);
    // Rejected: an unknown op, an unsupported block size, an unaligned address.
    plan(0, job_word(8'd9, 9, 16'h40, 32'd1, 64'd0, unit_addr(1, 0)), 1'b1);
    plan(0, job_word(offload_pkg::OpCopy, 5, 16'h41, 32'd1, 64'd0, unit_addr(1, 0)), 1'b1);
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'h42, 32'd1, 64'd8, unit_addr(1, 0)), 1'b1);
    // Ranges leaving their region: rejected; one ending at the region's end is fine (it fails on the
    // unmapped address).
    plan(0, job_word(offload_pkg::OpZero, 9, 16'h43, 32'd2, 64'd0, unit_addr(1, (longint'(1) << 48) - 512)), 1'b1);
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'h44, 32'd3, unit_addr(2, (longint'(1) << 48) - 1024),
                     unit_addr(1, 0)), 1'b1);
    plan(1, job_word(offload_pkg::OpZero, 9, 16'h45, 32'd2, 64'd0, unit_addr(1, (longint'(1) << 48) - 1024)), 1'b1);
    // After all that, a plain copy still works.
    plan(1, job_word(offload_pkg::OpCopy, 9, 16'h50, 32'd4, unit_addr(0, 0), unit_addr(1, 400 * 512)), 1'b1);
  endtask

  // ---- +test=late: the memory fails only the last burst of a block. The completion is as for a bad
  // block (status, blocks_done, fault address), but the failing block has been written in part (its
  // bursts before the failing one) and, for a write error, the engine has already started the next
  // block's bursts: what it had not yet sent goes with WSTRB = 0 (rtl/README.md, "Memory errors").
  // Those two blocks are not compared; everything else is.
  task automatic skip_block(input logic [63:0] addr, input int blocks);
    int index;
    index = map(addr);
    skip_lo[n_skip] = index;
    skip_hi[n_skip] = index + blocks * 512 / 8;
    n_skip++;
  endtask

  task automatic add_late(input logic [63:0] addr);
    int index;
    index = map(addr);
    u_mem.late_word[u_mem.n_late] = 64'(index);
    u_mem.n_late++;
  endtask

  task automatic test_late(input int phase, output bit last);
    last = (phase == 2);
    n_skip = 0;
    if (phase == 0) begin
      fill_region(0);
      fill_region(1);
      fill_region(2);
      reset_block();
      add_late(unit_addr(1, 40 * 512));
      add_late(unit_addr(0, 20 * 512));
      add_late(unit_addr(2, 70 * 512));
      // Copy into a block whose last burst fails to write.
      plan(0, job_word(offload_pkg::OpCopy, 9, 16'h60, 32'd8, unit_addr(2, 64 * 512), unit_addr(1, 36 * 512)), 1'b1);
      skip_block(unit_addr(1, 40 * 512), 2);
    end else if (phase == 1) begin
      if (u_mem.zero_strobe_beats == 0) error("late write fault: no beat went out with WSTRB = 0");
      $display("LATE write fault: %0d beats went out with WSTRB = 0", u_mem.zero_strobe_beats);
      // Copy from a block whose last burst fails to read: the rest of the copy is never written.
      plan(1, job_word(offload_pkg::OpCopy, 9, 16'h61, 32'd8, unit_addr(0, 16 * 512), unit_addr(1, 100 * 512)), 1'b1);
      skip_block(unit_addr(1, 104 * 512), 1);
    end else begin
      // A zero fill into a late-failing block; a backward copy (destination inside the source) whose
      // second block from the end reads a late-failing block: destination block 42 is written in part.
      plan(0, job_word(offload_pkg::OpZero, 9, 16'h62, 32'd8, 64'd0, unit_addr(2, 66 * 512)), 1'b1);
      plan(1, job_word(offload_pkg::OpCopy, 9, 16'h63, 32'd8, unit_addr(1, 34 * 512), unit_addr(1, 36 * 512)), 1'b1);
      skip_block(unit_addr(2, 70 * 512), 2);
      skip_block(unit_addr(1, 42 * 512), 1);
    end
  endtask

  // ---- +test=reset: reset in the middle of jobs
  task automatic test_reset;
    fill_region(0);
    fill_region(1);
    fill_region(2);
    reset_block();
    // A long copy on queue 0 and a zero fill on queue 1; reset while both run.
    offer_word[0] = job_word(offload_pkg::OpCopy, 9, 16'h1, 32'd128, unit_addr(0, 0), unit_addr(1, 0));
    offer_q[0]    = 0;
    offer_word[1] = job_word(offload_pkg::OpZero, 9, 16'h2, 32'd128, 64'd0, unit_addr(2, 0));
    offer_q[1]    = 1;
    n_offer = 2;
    repeat (700) @(negedge clk);
    if ($countones(u_dut.u_sched.eng_busy_q) != 2) error("reset test: both engines should be running");
    if (u_mem.quiet()) error("reset test: the memory should have transactions in flight");
    rst_n = 1'b0;
    #1;
    if (arvalid || awvalid || wvalid || comp_valid != '0 || job_ready != '0) error("outputs active in reset");
    repeat (2) @(negedge clk);
    if (arvalid || awvalid || wvalid || comp_valid != '0 || job_ready != '0) error("outputs active in reset");
    n_offer   = 0;
    n_offered = 0;
    n_log     = 0;
    rst_n = 1'b1;
    @(negedge clk);
    if (!idle || !u_mem.quiet()) error("not idle after reset");
    if (u_dut.u_sched.commit_q != 0) error("commit counter not reset");
    repeat (100) @(negedge clk);
    if (!idle || !u_mem.quiet() || n_log != 0) error("activity after reset");
    // Memory holds whatever the jobs wrote before the reset: the new reference.
    for (int i = 0; i < 3 << RegionWordBits; i++) expmem[i] = u_mem.mem[i];
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'h3, 32'd8, unit_addr(0, 0), unit_addr(2, 0)), 1'b1);
    plan(1, job_word(offload_pkg::OpCompareAndWrite, 9, 16'h4, 32'd8, unit_addr(0, 0), unit_addr(2, 0)), 1'b1);
    plan(0, job_word(offload_pkg::OpZero, 9, 16'h5, 32'd8, 64'd0, unit_addr(1, 0)), 1'b0);
  endtask

  // ---- +test=concurrent: two queues at once
  task automatic test_concurrent;
    fill_region(0);
    fill_region(1);
    fill_region(2);
    fill_region(3);
    reset_block();
    // Different engines, disjoint ranges: they run at once.
    plan(0, job_word(offload_pkg::OpZero, 9, 16'hA0, 32'd32, 64'd0, unit_addr(0, 0)), 1'b1);
    plan(1, job_word(offload_pkg::OpCopy, 9, 16'hB0, 32'd32, unit_addr(1, 0), unit_addr(2, 0)), 1'b0);
    group_check[n_groups - 1] = 1;
    // Queue 1 reads what queue 0 writes: it waits for queue 0's completion.
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'hA1, 32'd16, unit_addr(0, 0), unit_addr(0, 100 * 512)), 1'b1);
    plan(1, job_word(offload_pkg::OpCompareAndWrite, 9, 16'hB1, 32'd4, unit_addr(0, 108 * 512), unit_addr(3, 0)), 1'b0);
    group_check[n_groups - 1] = 2;
    // Queue 1 first; both write one range: exclusive.
    plan(1, job_word(offload_pkg::OpCompareAndWrite, 9, 16'hB2, 32'd4, unit_addr(1, 0), unit_addr(3, 8 * 512)), 1'b1);
    plan(0, job_word(offload_pkg::OpZero, 9, 16'hA2, 32'd16, 64'd0, unit_addr(3, 0)), 1'b0);
    group_check[n_groups - 1] = 2;
    // Two readers of one source (shared locks), different engines: at once.
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'hA3, 32'd16, unit_addr(1, 0), unit_addr(2, 0)), 1'b1);
    plan(1, job_word(offload_pkg::OpPattern, 9, 16'hB3, 32'd16, unit_addr(1, 0), unit_addr(3, 0)), 1'b0);
    group_check[n_groups - 1] = 1;
    // One engine for both: one after the other.
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'hA4, 32'd8, unit_addr(1, 0), unit_addr(2, 0)), 1'b1);
    plan(1, job_word(offload_pkg::OpCopy, 9, 16'hB4, 32'd8, unit_addr(1, 0), unit_addr(3, 0)), 1'b0);
    group_check[n_groups - 1] = 2;
    // Age: queue 0 runs a long copy; queue 1 offers a copy (waits for the engine); queue 0 offers its
    // next copy (waits for its queue). When the first completes both are presented; queue 1's, presented
    // long before, must be granted first (the run checks that commit order is offer order).
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'hC0, 32'd64, unit_addr(1, 0), unit_addr(2, 0)), 1'b1);
    plan(1, job_word(offload_pkg::OpCopy, 9, 16'hC1, 32'd8, unit_addr(1, 0), unit_addr(3, 0)), 1'b0);
    plan(0, job_word(offload_pkg::OpCopy, 9, 16'hC2, 32'd8, unit_addr(1, 0), unit_addr(3, 65536)), 1'b0);
  endtask

  // ---- +test=random: random pairs of jobs on the two queues, with bad blocks
  task automatic random_job(input int q, input int shift, output logic [255:0] w);
    logic [7:0]  op;
    int          blocks, span;
    logic [63:0] src, dst;
    op     = 8'(rnd_below(offload_pkg::OpCount));
    span   = (1 << offload_pkg::BenchRegionByteBits) >> shift;   // blocks in a region
    blocks = 1 + rnd_below((shift == 12) ? 6 : 24);
    // Units 0 and 1, overlapping a lot; staging buffers 0 and 1 hold compare-and-write data.
    dst = unit_addr(rnd_below(2), longint'(rnd_below(span - blocks)) << shift);
    if (op == offload_pkg::OpCompareAndWrite || op == offload_pkg::OpCompare) begin
      src = buf_addr(q, longint'(rnd_below(span / 2 - 2 * blocks)) << shift);
      // Half the time the compare data are the destination's, so that the write pass runs (or the
      // compare matches).
      if (rnd_below(2) == 0) put_words(src, dst, blocks << (shift - 3));
    end else if (op == offload_pkg::OpZero || op == offload_pkg::OpDeallocate || op == offload_pkg::OpAnchor) begin
      src = 64'd0;
    end else begin
      src = unit_addr(rnd_below(2), longint'(rnd_below(span - blocks)) << shift);
    end
    w = job_word(op, shift, 16'(2 * rnd_below(32768) + q), 32'(blocks), src, dst);
  endtask

  task automatic test_random(input int phase, input int rounds, output bit last);
    int shift;
    logic [255:0] a, b;
    if (phase == 0) begin
      fill_region(0);
      fill_region(1);
      fill_region(16);
      fill_region(17);
      reset_block();
      for (int i = 0; i < 3; i++) add_fault(unit_addr(rnd_below(2), longint'(rnd_below(64)) << 12), 1'b0);
      add_fault(unit_addr(rnd_below(2), longint'(rnd_below(64)) << 12), 1'b1);
    end
    last = (phase + 1 >= rounds);
    // The bench memory's bad blocks are per block size: both jobs of a round use one size.
    shift = (rnd_below(4) == 0) ? 12 : 9;
    random_job(0, shift, a);
    random_job(1, shift, b);
    if (rnd_below(2) == 0) begin
      plan(0, a, 1'b1);
      plan(1, b, 1'b0);
    end else begin
      plan(1, b, 1'b1);
      plan(0, a, 1'b0);
    end
  endtask

  // ---- main
  initial begin
    string dir, test;
    int seed, rounds;
    bit finished;
    if ($value$plusargs("seed=%d", seed)) rng = 64'(seed);
    if ($value$plusargs("stall=%d", stall_pct)) u_mem.stall_pct = stall_pct;
    if ($test$plusargs("trace")) u_mem.trace = 1'b1;
    if ($test$plusargs("heartbeat")) heartbeat = 1'b1;
    if (!$value$plusargs("rounds=%d", rounds)) rounds = 200;
    // Each test sets up its plan phase by phase; run_plan is called from here only (the Verilator build
    // inlines a task at every call site).
    if (!$value$plusargs("case=%s", dir)) dir = "";
    if (!$value$plusargs("test=%s", test)) test = "";
    if (dir == "" && test == "") error("give +case=DIR or +test=NAME");
    finished = (dir == "" && test == "");
    for (int phase = 0; errors == 0 && !finished; phase++) begin
      bit last;
      last = 1'b1;
      if (dir != "") replay(dir);
      else if (test == "perf") test_perf(phase, last);
      else if (test == "errors") test_errors(phase, last);
      else if (test == "late") test_late(phase, last);
      else if (test == "reset") test_reset();
      else if (test == "concurrent") test_concurrent();
      else if (test == "random") test_random(phase, rounds, last);
      else error({"unknown test ", test});
      run_plan();
      finished = last;
    end
    repeat (4) @(negedge clk);
    if (!idle) error("block not idle at the end");
    if (!u_mem.quiet()) error("memory transactions left at the end");
    errors += u_mem.errors;
    $display("SUMMARY jobs=%0d ok=%0d miscompare=%0d read_error=%0d write_error=%0d groups_run_at_once=%0d",
             jobs_run, status_count[0], status_count[1], status_count[2], status_count[3], groups_overlapped);
    if (errors == 0) $display("PASS");
    else $display("FAIL: %0d errors", errors);
    $finish;
  end

  // A hung block fails rather than runs forever.
  initial begin
    longint limit;
    if (!$value$plusargs("timeout=%d", limit)) limit = 5000000;
    #(limit * 10);
    $display("FAIL: timeout after %0d cycles", limit);
    $finish;
  end
endmodule
