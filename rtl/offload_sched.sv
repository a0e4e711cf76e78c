// offload_sched: queues, arbiter and range-lock unit of the offload block (model/src/engine/scheduler.rs
// and range_lock.rs).
//
//   slots    one per queue. A queue runs one job at a time (as in the model), so its slot holds its job
//            from intake until the job's completion is accepted: first waiting, then running.
//   intake   one job at a time from the shared job bus into the slot of its queue, over four cycles
//            while the job is offered (its fields are held until job_ready_o): checks (an unknown op,
//            an unsupported block size, an unaligned address, or a range that would leave its 2^48-byte
//            region, i.e. unit or staging buffers: the job is rejected, with empty ranges), the byte count
//            and read length, the range ends (64-bit adds), the copy direction. The fourth cycle writes
//            the slot and takes the job (job_ready_o).
//   locks    the running slots are the lock table: a running job holds its exclusive range
//            [dst, dst_end) and its shared range [src, src_end) until its completion is accepted (a
//            compare writes nothing: it holds [dst, dst_end) shared too, so compares of one range run
//            side by side). Two
//            jobs conflict when one's exclusive range overlaps anything the other holds; the relation
//            is symmetric and fixed once both jobs are in their slots, so it is computed for every pair
//            of slots (one comparator set per pair) and registered. A waiting job is held back by a
//            conflicting running one. At most NumQueues jobs hold locks, so the table never needs more
//            entries than there are queues; LockEntries bounds the running jobs all the same.
//            A range lies in one 2^48-byte region (bits 63..48: a unit or the staging buffers; the
//            intake rejects a job that would leave it), so a range is kept as its start and a 49-bit
//            end offset, and two ranges overlap when their regions are equal and their offsets overlap.
//   arbiter  each cycle at most one grant: among presented slots (waiting, intake done a cycle ago) whose
//            engine is idle, with no conflicting running job and fewer than LockEntries running, the one
//            presented first (ties: lowest queue). The grant numbers jobs in grant order (commit order,
//            32 bits, wrapping) and loads its engine's context; the engine starts the next cycle.
//   release  when an engine's completion is accepted (release_i), its engine, its locks and its queue
//            are free from the next cycle.
`default_nettype none

module offload_sched #(
  parameter int NumQueues   = 2,
  parameter int LockEntries = 4,
  parameter int MinShift    = 7,   // log2 of the burst bytes: the smallest block
  parameter int MaxShift    = 12,  // log2 of BlockBytes: the largest block
  parameter int ShiftWidth  = 4,
  parameter int NumEng      = 3
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  // Jobs: one valid bit per queue, shared fields, held until taken.
  input  logic [NumQueues-1:0]         job_valid_i,
  output logic [NumQueues-1:0]         job_ready_o,
  input  logic [7:0]                   job_op_i,
  input  logic [7:0]                   job_block_shift_i,
  input  logic [15:0]                  job_tag_i,
  input  logic [31:0]                  job_blocks_i,
  input  logic [63:0]                  job_src_i,
  input  logic [63:0]                  job_dst_i,
  // Engine contexts (engine e in bits e*W +: W), valid from the cycle after start_o[e] (the grant)
  // until release_i[e]. setup_*: the granted job's first blocks (for a backward copy, the ends of its
  // ranges: the engine steps one block down), valid in the cycle after a grant.
  output logic [NumEng-1:0]            start_o,
  output logic [NumEng*3-1:0]          ctx_op_o,
  output logic [NumEng*ShiftWidth-1:0] ctx_shift_o,
  output logic [NumEng*32-1:0]         ctx_blocks_o,
  output logic [NumEng*64-1:0]         ctx_src_o,
  output logic [NumEng*64-1:0]         ctx_dst_o,
  output logic [NumEng-1:0]            ctx_backward_o,
  output logic [NumEng-1:0]            ctx_reject_o,
  output logic [NumEng*8-1:0]          ctx_queue_o,
  output logic [NumEng*16-1:0]         ctx_tag_o,
  output logic [NumEng*32-1:0]         ctx_commit_o,
  output logic [63:0]                  setup_rd_start_o,  // first read block
  output logic [63:0]                  setup_wr_start_o,  // first write block
  input  logic [NumEng-1:0]            release_i,
  output logic                         idle_o
);
  localparam int QW    = (NumQueues > 1) ? $clog2(NumQueues) : 1;
  localparam int Pairs = NumQueues * NumQueues;

  typedef struct packed {
    logic                  reject;    // not runnable: completes at once with a write error
    logic                  backward;  // copy: destination starts inside the source
    logic                  shr;       // has a shared (read) range
    logic                  exc;       // [dst, dst_end) is locked exclusive (else shared: a compare)
    logic [1:0]            eng;       // 0 copy, 1 zero, 2 compare-and-write
    logic [2:0]            op;
    logic [ShiftWidth-1:0] shift;
    logic [15:0]           tag;
    logic [31:0]           blocks;
    logic [63:0]           src;
    logic [63:0]           dst;
    logic [48:0]           src_end;   // end offset in src's region (up to 2^48)
    logic [48:0]           dst_end;   // end offset in dst's region
  } job_t;
  // $bits(job_t), spelt out: Yosys 0.23 takes no type in $bits (checked in simulation below).
  localparam int JobW = 4 + 2 + 3 + ShiftWidth + 16 + 32 + 2 * 64 + 2 * 49;
  // Field offsets in job_t (Yosys 0.23 cannot take members of struct variables declared in generate
  // blocks, so those use part selects).
  localparam int FDstEnd   = 0;
  localparam int FSrcEnd   = 49;
  localparam int FDst      = 98;
  localparam int FSrc      = 162;
  localparam int FBlocks   = 226;
  localparam int FTag      = 258;
  localparam int FShift    = 274;
  localparam int FOp       = 274 + ShiftWidth;
  localparam int FEng      = 277 + ShiftWidth;
  localparam int FExc      = 279 + ShiftWidth;
  localparam int FShr      = 280 + ShiftWidth;
  localparam int FBackward = 281 + ShiftWidth;
  localparam int FReject   = 282 + ShiftWidth;

  // ---------------------------------------------------------------------------------------------
  // Intake: from the job ports, held while offered.
  // ---------------------------------------------------------------------------------------------
  typedef enum logic [1:0] {InIdle, InSize, InEnds, InPlace} in_state_e;
  in_state_e     in_state_q;
  logic [QW-1:0] in_queue_q;
  logic [48:0]   in_dst_end_q, in_src_end_q;  // lengths, then end offsets
  logic          in_reject_q;

  logic [NumQueues-1:0] slot_valid_q, running_q;
  logic                 running_ok_q;   // out of reset for a cycle
  logic                 start_in;
  logic [QW-1:0]        start_q;

  // The first offered queue whose slot is free.
  always_comb begin
    start_in = 1'b0;
    start_q  = '0;
    for (int q = NumQueues - 1; q >= 0; q--) begin
      if (job_valid_i[q] && !slot_valid_q[q]) begin
        start_in = 1'b1;
        start_q  = QW'(q);
      end
    end
  end

  // Checks on the offered job.
  logic        op_ok, shift_ok, aligned, is_copy, is_pattern, is_caw, is_compare;
  logic [63:0] bs_mask;
  logic [48:0] bytes, shr_len, dst_end_sum, src_end_sum;
  logic [2:0]  op3;
  logic [ShiftWidth-1:0] shift;
  logic        src_lt_dst, dst_lt_src_end;
  assign op_ok    = job_op_i < 8'(offload_pkg::OpCount);
  assign shift_ok = (job_block_shift_i >= 8'(MinShift)) && (job_block_shift_i <= 8'(MaxShift));
  always_comb begin
    for (int i = 0; i < 64; i++) begin
      bs_mask[i] = (i < MaxShift) && (8'(i) < job_block_shift_i);
    end
  end
  assign aligned = ((job_dst_i & bs_mask) == '0) &&
                   (((job_src_i & bs_mask) == '0) || job_op_i == offload_pkg::OpZero ||
                    job_op_i == offload_pkg::OpDeallocate || job_op_i == offload_pkg::OpAnchor);
  assign op3        = op_ok ? job_op_i[2:0] : 3'(offload_pkg::OpZero);
  assign shift      = shift_ok ? job_block_shift_i[ShiftWidth-1:0] : ShiftWidth'(MinShift);
  assign is_copy    = ({5'd0, op3} == offload_pkg::OpCopy);
  assign is_pattern = ({5'd0, op3} == offload_pkg::OpPattern);
  assign is_caw     = ({5'd0, op3} == offload_pkg::OpCompareAndWrite);
  assign is_compare = ({5'd0, op3} == offload_pkg::OpCompare);
  assign bytes      = 49'(job_blocks_i) << shift;
  always_comb begin
    shr_len = '0;
    if (is_copy || is_compare) begin
      shr_len = bytes;
    end else if (is_pattern) begin
      shr_len = 49'd1 << shift;
    end else if (is_caw) begin
      shr_len = bytes << 1;  // compare data, then write data
    end
  end
  offload_add #(.Width(49)) u_dst_end (.a_i({1'b0, job_dst_i[47:0]}), .b_i(in_dst_end_q), .sum_o(dst_end_sum));
  offload_add #(.Width(49)) u_src_end (.a_i({1'b0, job_src_i[47:0]}), .b_i(in_src_end_q), .sum_o(src_end_sum));
  offload_lt #(.Width(48)) u_src_lt_dst (.a_i(job_src_i[47:0]), .b_i(job_dst_i[47:0]), .lt_o(src_lt_dst));
  offload_lt #(.Width(49)) u_dst_lt_end (.a_i({1'b0, job_dst_i[47:0]}), .b_i(in_src_end_q), .lt_o(dst_lt_src_end));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_state_q   <= InIdle;
      in_queue_q   <= '0;
      in_dst_end_q <= '0;
      in_src_end_q <= '0;
      in_reject_q  <= 1'b0;
      running_ok_q <= 1'b0;
    end else begin
      running_ok_q <= 1'b1;
      unique case (in_state_q)
        InIdle: begin
          if (start_in && running_ok_q) begin
            in_state_q <= InSize;
            in_queue_q <= start_q;
          end
        end
        InSize: begin
          // The lengths ...
          in_state_q   <= InEnds;
          in_reject_q  <= !(op_ok && shift_ok && aligned);
          in_dst_end_q <= (op_ok && shift_ok && aligned) ? bytes : '0;
          in_src_end_q <= (op_ok && shift_ok && aligned) ? shr_len : '0;
        end
        InEnds: begin
          // ... then start + length.
          in_state_q   <= InPlace;
          in_dst_end_q <= dst_end_sum;
          in_src_end_q <= src_end_sum;
        end
        InPlace: begin
          // The job goes into its slot and is taken (job_ready_o).
          in_state_q <= InIdle;
        end
        default: in_state_q <= InIdle;
      endcase
    end
  end

  // A range may end at its region's end, not beyond (the engines' address streams stay in the region).
  logic crosses, reject;
  assign crosses = (in_dst_end_q[48] && (in_dst_end_q[47:0] != '0)) ||
                   (in_src_end_q[48] && (in_src_end_q[47:0] != '0));
  assign reject  = in_reject_q || crosses;

  // (The region compare and the empty ends outside the always_comb: Icarus 11 takes no constant
  // select in always_comb.)
  logic        same_region;
  logic [48:0] src_empty_end, dst_empty_end;
  assign same_region   = (job_src_i[63:48] == job_dst_i[63:48]);
  assign src_empty_end = {1'b0, job_src_i[47:0]};
  assign dst_empty_end = {1'b0, job_dst_i[47:0]};
  job_t in_job;
  always_comb begin
    in_job          = '0;
    in_job.reject   = reject;
    // memmove: copy backward when the destination starts inside the source.
    in_job.backward = is_copy && !reject && same_region && src_lt_dst && dst_lt_src_end;
    in_job.shr      = !reject && (is_copy || is_pattern || is_caw || is_compare);
    in_job.exc      = !is_compare;
    in_job.op       = op3;
    in_job.shift    = shift;
    in_job.tag      = job_tag_i;
    in_job.blocks   = job_blocks_i;
    in_job.src      = job_src_i;
    in_job.dst      = job_dst_i;
    in_job.src_end  = reject ? src_empty_end : in_src_end_q;
    in_job.dst_end  = reject ? dst_empty_end : in_dst_end_q;
    if (is_copy) begin
      in_job.eng = 2'd0;
    end else if (is_caw || is_compare) begin
      in_job.eng = 2'd2;
    end else begin
      in_job.eng = 2'd1;
    end
  end
  logic deposit;
  assign deposit = (in_state_q == InPlace);
  always_comb begin
    for (int q = 0; q < NumQueues; q++) begin
      job_ready_o[q] = deposit && (in_queue_q == QW'(q));
    end
  end

  // ---------------------------------------------------------------------------------------------
  // Slots, lock conflicts, arbiter, contexts.
  // ---------------------------------------------------------------------------------------------
  logic [NumQueues*JobW-1:0] slot_q;
  logic [NumQueues-1:0]      fresh_q, front, front_q, is_new, elig, win;
  logic [Pairs-1:0]          pair, conf, conf_q, older_q, older;
  logic [NumQueues*2-1:0]    run_eng_q;
  logic [NumEng-1:0]         eng_busy_q;
  logic [NumEng*QW-1:0]      ctx_queue_q;
  logic [NumEng*32-1:0]      ctx_commit_q;
  logic [31:0]               commit_q;
  logic                      gnt;
  logic [QW-1:0]             gq, setup_q;
  job_t                      gjob;

  // Conflicts of every pair of slots (symmetric).
  for (genvar i = 0; i < NumQueues; i++) begin : g_conf_i
    for (genvar j = 0; j < NumQueues; j++) begin : g_conf_j
      if (i < j) begin : g_pair
        logic [63:0] a_dst, a_src, b_dst, b_src;
        logic [48:0] a_dst_end, a_src_end, b_dst_end, b_src_end;
        logic        a_shr, b_shr, a_exc, b_exc, same_dd, same_ds, same_sd;
        logic [5:0]  lt;
        assign a_dst     = slot_q[JobW*i + FDst +: 64];
        assign a_dst_end = slot_q[JobW*i + FDstEnd +: 49];
        assign a_src     = slot_q[JobW*i + FSrc +: 64];
        assign a_src_end = slot_q[JobW*i + FSrcEnd +: 49];
        assign a_shr     = slot_q[JobW*i + FShr];
        assign a_exc     = slot_q[JobW*i + FExc];
        assign b_dst     = slot_q[JobW*j + FDst +: 64];
        assign b_dst_end = slot_q[JobW*j + FDstEnd +: 49];
        assign b_src     = slot_q[JobW*j + FSrc +: 64];
        assign b_src_end = slot_q[JobW*j + FSrcEnd +: 49];
        assign b_shr     = slot_q[JobW*j + FShr];
        assign b_exc     = slot_q[JobW*j + FExc];
        assign same_dd   = (a_dst[63:48] == b_dst[63:48]);
        assign same_ds   = (a_dst[63:48] == b_src[63:48]);
        assign same_sd   = (a_src[63:48] == b_dst[63:48]);
        // Overlap of [x, x_end) and [y, y_end) in one region: x < y_end and y < x_end.
        offload_lt #(.Width(49)) u_dd0 (.a_i({1'b0, a_dst[47:0]}), .b_i(b_dst_end), .lt_o(lt[0]));
        offload_lt #(.Width(49)) u_dd1 (.a_i({1'b0, b_dst[47:0]}), .b_i(a_dst_end), .lt_o(lt[1]));
        offload_lt #(.Width(49)) u_ds0 (.a_i({1'b0, a_dst[47:0]}), .b_i(b_src_end), .lt_o(lt[2]));
        offload_lt #(.Width(49)) u_ds1 (.a_i({1'b0, b_src[47:0]}), .b_i(a_dst_end), .lt_o(lt[3]));
        offload_lt #(.Width(49)) u_sd0 (.a_i({1'b0, a_src[47:0]}), .b_i(b_dst_end), .lt_o(lt[4]));
        offload_lt #(.Width(49)) u_sd1 (.a_i({1'b0, b_dst[47:0]}), .b_i(a_src_end), .lt_o(lt[5]));
        // One writes what the other writes, or what the other reads (two compares' dst ranges are
        // both shared).
`ifdef OFFLOAD_FAULT_LOCK_SHARED
        // Deliberate fault for the co-simulation (cosim/): shared (read) ranges lock nothing.
        assign pair[i*NumQueues+j] = (a_exc && b_exc && same_dd && lt[0] && lt[1]);
        logic unused_fault;
        assign unused_fault = ^{a_shr, b_shr, same_ds, same_sd, lt[5:2]};
`else
        assign pair[i*NumQueues+j] = ((a_exc || b_exc) && same_dd && lt[0] && lt[1]) ||
                                     (a_exc && b_shr && same_ds && lt[2] && lt[3]) ||
                                     (b_exc && a_shr && same_sd && lt[4] && lt[5]);
`endif
      end else begin : g_none
        assign pair[i*NumQueues+j] = 1'b0;
      end
    end
  end
  always_comb begin
    for (int i = 0; i < NumQueues; i++) begin
      for (int j = 0; j < NumQueues; j++) begin
        conf[i*NumQueues+j] = (i < j) ? pair[i*NumQueues+j] : pair[j*NumQueues+i];
      end
    end
  end

  // Presented: waiting in its slot, its conflicts known (a cycle after the slot was written).
  assign front  = slot_valid_q & ~running_q & ~fresh_q;
  assign is_new = front & ~front_q;
  // Age: i older than j. Newly presented queues are younger than those already waiting; among
  // queues presented in the same cycle the lower is older.
  // (Here and below, a block whose outputs other blocks read builds them in locals and writes each
  // once: Icarus 11 wakes always_comb blocks spuriously, and a default overridden in the same pass
  // would change the output on every pass, a zero-delay loop; see offload_engine.)
  always_comb begin : c_older
    logic [Pairs-1:0] age;
    age = older_q;
    for (int i = 0; i < NumQueues; i++) begin
      for (int j = 0; j < NumQueues; j++) begin
        if (is_new[i] && is_new[j]) begin
          age[i*NumQueues+j] = (i < j);
        end else if (is_new[i]) begin
          age[i*NumQueues+j] = 1'b0;
        end else if (is_new[j]) begin
          age[i*NumQueues+j] = 1'b1;
        end
      end
    end
    older = age;
  end

  // Eligible slots and the oldest of them.
  logic [$clog2(NumQueues+1)-1:0] held;
  logic                           cap_ok;
  always_comb begin : c_held
    logic [$clog2(NumQueues+1)-1:0] sum;
    sum = '0;
    for (int q = 0; q < NumQueues; q++) begin
      sum = sum + {{($clog2(NumQueues+1)-1){1'b0}}, running_q[q]};
    end
    held = sum;
  end
  assign cap_ok = (32'(held) < LockEntries);

  for (genvar q = 0; q < NumQueues; q++) begin : g_elig
    logic [1:0] sj_eng;
    assign sj_eng  = slot_q[JobW*q + FEng +: 2];
    assign elig[q] = front[q] && !eng_busy_q[sj_eng] && cap_ok &&
                     ((conf_q[NumQueues*q +: NumQueues] & running_q) == '0);
  end
  always_comb begin : c_win
    logic [NumQueues-1:0] w;
    for (int i = 0; i < NumQueues; i++) begin
      w[i] = elig[i];
      for (int j = 0; j < NumQueues; j++) begin
        if (j != i && elig[j] && !older[i*NumQueues+j]) begin
          w[i] = 1'b0;
        end
      end
    end
    win = w;
  end
  always_comb begin : c_gnt
    logic          g;
    logic [QW-1:0] q_sel;
    g     = 1'b0;
    q_sel = '0;
    for (int q = NumQueues - 1; q >= 0; q--) begin
      if (win[q]) begin
        g     = 1'b1;
        q_sel = QW'(q);
      end
    end
    gnt = g;
    gq  = q_sel;
  end
  // (Variable-index selects on wide vectors are decoded by hand: Yosys builds full-width shifters.
  // Slot 0 is the default, taken inside the loop: Icarus 11 takes no constant select in always_comb.)
  always_comb begin : c_gjob
    logic [JobW-1:0] j;
    j = '0;
    for (int q = 0; q < NumQueues; q++) begin
      if (q == 0 || gq == QW'(q)) j = slot_q[JobW*q +: JobW];
    end
    gjob = j;
  end

  // Contexts: what the engine needs for its whole job, and the completion's queue, tag and commit.
  logic [NumEng*3-1:0]          ctx_op_q;
  logic [NumEng*ShiftWidth-1:0] ctx_shift_q;
  logic [NumEng*32-1:0]         ctx_blocks_q;
  logic [NumEng*64-1:0]         ctx_src_q, ctx_dst_q;
  logic [NumEng-1:0]            ctx_backward_q, ctx_reject_q;
  logic [NumEng*16-1:0]         ctx_tag_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      slot_valid_q   <= '0;
      slot_q         <= '0;
      running_q      <= '0;
      fresh_q        <= '0;
      front_q        <= '0;
      older_q        <= '0;
      conf_q         <= '0;
      run_eng_q      <= '0;
      eng_busy_q     <= '0;
      ctx_queue_q    <= '0;
      ctx_commit_q   <= '0;
      ctx_op_q       <= '0;
      ctx_shift_q    <= '0;
      ctx_blocks_q   <= '0;
      ctx_src_q      <= '0;
      ctx_dst_q      <= '0;
      ctx_backward_q <= '0;
      ctx_reject_q   <= '0;
      ctx_tag_q      <= '0;
      commit_q       <= '0;
      setup_q        <= '0;
    end else begin
      front_q <= front;
      older_q <= older;
      conf_q  <= conf;
      fresh_q <= '0;
      if (gnt) begin
        setup_q <= gq;
      end
      for (int q = 0; q < NumQueues; q++) begin
        // A new job in a slot.
        if (deposit && in_queue_q == QW'(q)) begin
          slot_valid_q[q]         <= 1'b1;
          slot_q[JobW*q +: JobW] <= in_job;
          fresh_q[q]              <= 1'b1;
        end
        // The grant.
        if (gnt && gq == QW'(q)) begin
          running_q[q]       <= 1'b1;
          run_eng_q[2*q +: 2] <= gjob.eng;
        end
        // The release: the completion of this queue's job was accepted.
        if (running_q[q] && release_i[run_eng_q[2*q +: 2]]) begin
          slot_valid_q[q] <= 1'b0;
          running_q[q]    <= 1'b0;
        end
      end
      for (int e = 0; e < NumEng; e++) begin
        if (release_i[e]) begin
          eng_busy_q[e] <= 1'b0;
        end
        if (gnt && gjob.eng == 2'(e)) begin
          eng_busy_q[e]                           <= 1'b1;
          ctx_queue_q[QW*e +: QW]                 <= gq;
          ctx_commit_q[32*e +: 32]                <= commit_q;
          ctx_op_q[3*e +: 3]                      <= gjob.op;
          ctx_shift_q[ShiftWidth*e +: ShiftWidth] <= gjob.shift;
          ctx_blocks_q[32*e +: 32]                <= gjob.blocks;
          ctx_src_q[64*e +: 64]                   <= gjob.src;
          ctx_dst_q[64*e +: 64]                   <= gjob.dst;
          ctx_backward_q[e]                       <= gjob.backward;
          ctx_reject_q[e]                         <= gjob.reject;
          ctx_tag_q[16*e +: 16]                   <= gjob.tag;
        end
      end
      if (gnt) begin
        commit_q <= commit_q + 32'd1;
      end
    end
  end

  logic [1:0] gjob_eng;
  assign gjob_eng = gjob.eng;
  always_comb begin
    for (int e = 0; e < NumEng; e++) begin
      start_o[e] = gnt && (gjob_eng == 2'(e));
    end
  end

  // The first blocks of the job granted last cycle (the one engine in its dispatch cycle reads them):
  // a backward copy starts from the ends of its ranges (the engine steps one block down).
  job_t sjob;
  always_comb begin : c_sjob
    logic [JobW-1:0] j;
    j = '0;
    for (int q = 0; q < NumQueues; q++) begin
      if (q == 0 || setup_q == QW'(q)) j = slot_q[JobW*q +: JobW];
    end
    sjob = j;
  end
  assign setup_rd_start_o = sjob.backward ? {sjob.src[63:48], sjob.src_end[47:0]} : sjob.src;
  assign setup_wr_start_o = sjob.backward ? {sjob.dst[63:48], sjob.dst_end[47:0]} : sjob.dst;
  logic unused_sjob;
  assign unused_sjob = ^{sjob.reject, sjob.shr, sjob.exc, sjob.eng, sjob.op, sjob.shift, sjob.tag, sjob.blocks,
                         sjob.src_end[48], sjob.dst_end[48]};

  assign ctx_op_o       = ctx_op_q;
  assign ctx_shift_o    = ctx_shift_q;
  assign ctx_blocks_o   = ctx_blocks_q;
  assign ctx_src_o      = ctx_src_q;
  assign ctx_dst_o      = ctx_dst_q;
  assign ctx_backward_o = ctx_backward_q;
  assign ctx_reject_o   = ctx_reject_q;
  assign ctx_tag_o      = ctx_tag_q;
  assign ctx_commit_o   = ctx_commit_q;
  for (genvar e = 0; e < NumEng; e++) begin : g_ctx
    assign ctx_queue_o[8*e +: 8] = 8'(ctx_queue_q[QW*e +: QW]);
  end

  // The slots' tags and blocks reach the engines through the contexts; the rest of the slot
  // fields not read here are the lock ranges, read above.
  logic unused_gjob;
  assign unused_gjob = ^{gjob.shr, gjob.exc, gjob.src_end, gjob.dst_end};
  logic unused_slot;
  always_comb begin
    unused_slot = 1'b0;
    for (int q = 0; q < NumQueues; q++) begin
      unused_slot = unused_slot ^ slot_q[JobW*q + FBlocks] ^ slot_q[JobW*q + FTag] ^ slot_q[JobW*q + FShift] ^
                    slot_q[JobW*q + FOp] ^ slot_q[JobW*q + FBackward] ^ slot_q[JobW*q + FReject];
    end
  end

  assign idle_o = (in_state_q == InIdle) && (slot_valid_q == '0) && (eng_busy_q == '0);

`ifndef SYNTHESIS
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni) begin
      if ($bits(job_t) != JobW) begin
        $error("offload_sched: JobW does not match job_t");
      end
      if ($countones(job_valid_i) > 1) begin
        $error("offload_sched: job_valid_i has more than one bit set (the job fields are shared)");
      end
      if (in_state_q != InIdle && !job_valid_i[in_queue_q]) begin
        $error("offload_sched: a job was withdrawn before it was taken");
      end
    end
  end
`endif
endmodule
