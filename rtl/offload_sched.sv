// offload_sched: queues, arbiter and range-lock unit of the offload block (model/src/engine/scheduler.rs
// and range_lock.rs).
//
//   intake   one job at a time from the shared job bus into the slot of its queue, in four cycles:
//            capture and check (unknown op, unsupported block size or unaligned address: the job is
//            rejected), bytes and read length, range ends (64-bit adds), copy direction.
//   slots    one job per queue waits here; it is *presented* once its queue has no job running (a
//            queue runs one job at a time, as in the model).
//   locks    the lock table is the engines' contexts: each engine runs one job, whose exclusive range
//            [dst, dst_end) and shared range [src, src_end) are held until its completion is accepted.
//            Two jobs conflict when one's exclusive range overlaps anything the other holds. A slot is
//            checked against every context in one cycle (one slot a cycle, round robin over the slots
//            not yet checked); the result is registered and is invalidated by every grant.
//            LockEntries bounds the jobs holding locks at once; as no more than three can (one per
//            engine), the table has three entries and LockEntries >= 3 never limits.
//   arbiter  each cycle at most one grant: among presented, checked slots whose engine is idle, whose
//            locks are free and while a table entry is free, the one presented first (ties: lowest
//            queue). The grant numbers jobs in grant order (commit order, 32 bits, wrapping) and copies
//            the job into its engine's context; the engine starts the next cycle.
//   release  when an engine's completion is accepted (release_i), its locks, its engine and its queue
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
  input  logic                        clk_i,
  input  logic                        rst_ni,
  // Jobs: one valid bit per queue, shared fields.
  input  logic [NumQueues-1:0]        job_valid_i,
  output logic [NumQueues-1:0]        job_ready_o,
  input  logic [7:0]                  job_op_i,
  input  logic [7:0]                  job_block_shift_i,
  input  logic [15:0]                 job_tag_i,
  input  logic [31:0]                 job_blocks_i,
  input  logic [63:0]                 job_src_i,
  input  logic [63:0]                 job_dst_i,
  // Engine contexts (engine e in bits e*W +: W), valid from the cycle after start_o[e] (the grant)
  // until release_i[e].
  output logic [NumEng-1:0]           start_o,
  output logic [NumEng*3-1:0]         ctx_op_o,
  output logic [NumEng*ShiftWidth-1:0] ctx_shift_o,
  output logic [NumEng*32-1:0]        ctx_blocks_o,
  output logic [NumEng*64-1:0]        ctx_src_o,
  output logic [NumEng*64-1:0]        ctx_dst_o,
  output logic [NumEng*64-1:0]        ctx_src_end_o,
  output logic [NumEng*64-1:0]        ctx_dst_end_o,
  output logic [NumEng-1:0]           ctx_backward_o,
  output logic [NumEng-1:0]           ctx_reject_o,
  output logic [NumEng*8-1:0]         ctx_queue_o,
  output logic [NumEng*16-1:0]        ctx_tag_o,
  output logic [NumEng*32-1:0]        ctx_commit_o,
  input  logic [NumEng-1:0]           release_i,
  output logic                        idle_o
);
  localparam int QW = (NumQueues > 1) ? $clog2(NumQueues) : 1;

  typedef struct packed {
    logic                  reject;    // not runnable: completes at once with a write error
    logic                  backward;  // copy: destination starts inside the source
    logic                  shr;       // has a shared (read) range
    logic [1:0]            eng;       // 0 copy, 1 zero, 2 compare-and-write
    logic [2:0]            op;
    logic [ShiftWidth-1:0] shift;
    logic [15:0]           tag;
    logic [31:0]           blocks;
    logic [63:0]           src;
    logic [63:0]           dst;
    logic [63:0]           src_end;
    logic [63:0]           dst_end;
  } job_t;
  // $bits(job_t), spelt out: Yosys 0.23 takes no type in $bits (checked in simulation below).
  localparam int JobW = 3 + 2 + 3 + ShiftWidth + 16 + 32 + 4 * 64;
  // Field offsets in job_t (Yosys 0.23 cannot take members of struct variables declared in generate
  // blocks, so those use part selects).
  localparam int FDstEnd = 0;
  localparam int FSrcEnd = 64;
  localparam int FDst    = 128;
  localparam int FSrc    = 192;
  localparam int FEng    = 307 + ShiftWidth;
  localparam int FShr    = 309 + ShiftWidth;

  // ---------------------------------------------------------------------------------------------
  // Intake.
  // ---------------------------------------------------------------------------------------------
  typedef enum logic [1:0] {InIdle, InSize, InEnds, InPlace} in_state_e;
  in_state_e in_state_q;
  job_t      in_q;
  logic [QW-1:0] in_queue_q;

  logic [NumQueues-1:0] slot_valid_q;
  logic                 acc;
  logic [QW-1:0]        acc_q;

  // Nothing is taken in reset or in the cycle it is released.
  logic running_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      running_q <= 1'b0;
    end else begin
      running_q <= 1'b1;
    end
  end
  assign job_ready_o = (running_q && in_state_q == InIdle) ? ~slot_valid_q : '0;
  always_comb begin
    acc   = 1'b0;
    acc_q = '0;
    for (int q = NumQueues - 1; q >= 0; q--) begin
      if (job_valid_i[q] && job_ready_o[q]) begin
        acc   = 1'b1;
        acc_q = QW'(q);
      end
    end
  end

  // Checks on the raw job.
  logic        op_ok, shift_ok, aligned, in_is_copy, in_is_pattern, in_is_caw;
  logic [63:0] bs_mask;
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
  assign in_is_copy    = ({5'd0, in_q.op} == offload_pkg::OpCopy);
  assign in_is_pattern = ({5'd0, in_q.op} == offload_pkg::OpPattern);
  assign in_is_caw     = ({5'd0, in_q.op} == offload_pkg::OpCompareAndWrite);

  // Bytes of the job and length of its read range.
  logic [63:0] bytes, shr_len, dst_end_sum, src_end_sum;
  logic        src_lt_dst, dst_lt_src_end;
  assign bytes = 64'(in_q.blocks) << in_q.shift;
  always_comb begin
    shr_len = '0;
    if (in_is_copy) begin
      shr_len = bytes;
    end else if (in_is_pattern) begin
      shr_len = 64'd1 << in_q.shift;
    end else if (in_is_caw) begin
      shr_len = bytes << 1;  // compare data, then write data
    end
  end
  offload_add64 u_dst_end (.a_i(in_q.dst), .b_i(in_q.dst_end), .sum_o(dst_end_sum));
  offload_add64 u_src_end (.a_i(in_q.src), .b_i(in_q.src_end), .sum_o(src_end_sum));
  offload_lt64 u_src_lt_dst (.a_i(in_q.src), .b_i(in_q.dst), .lt_o(src_lt_dst));
  offload_lt64 u_dst_lt_end (.a_i(in_q.dst), .b_i(in_q.src_end), .lt_o(dst_lt_src_end));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_state_q <= InIdle;
      in_q       <= '0;
      in_queue_q <= '0;
    end else begin
      unique case (in_state_q)
        InIdle: begin
          if (acc) begin
            in_state_q  <= InSize;
            in_queue_q  <= acc_q;
            in_q        <= '0;
            in_q.reject <= !(op_ok && shift_ok && aligned);
            in_q.op     <= op_ok ? job_op_i[2:0] : 3'(offload_pkg::OpZero);
            in_q.shift  <= shift_ok ? job_block_shift_i[ShiftWidth-1:0] : ShiftWidth'(MinShift);
            in_q.tag    <= job_tag_i;
            in_q.blocks <= job_blocks_i;
            in_q.src    <= job_src_i;
            in_q.dst    <= job_dst_i;
            if (job_op_i == offload_pkg::OpCopy) begin
              in_q.eng <= 2'd0;
            end else if (job_op_i == offload_pkg::OpCompareAndWrite) begin
              in_q.eng <= 2'd2;
            end else begin
              in_q.eng <= 2'd1;
            end
          end
        end
        InSize: begin
          // The ends are built in place: first the lengths ...
          in_state_q   <= InEnds;
          in_q.dst_end <= in_q.reject ? '0 : bytes;
          in_q.src_end <= in_q.reject ? '0 : shr_len;
          in_q.shr     <= !in_q.reject && (in_is_copy || in_is_pattern || in_is_caw);
        end
        InEnds: begin
          // ... then start + length.
          in_state_q   <= InPlace;
          in_q.dst_end <= dst_end_sum;
          in_q.src_end <= src_end_sum;
        end
        InPlace: begin
          // The job (in_final) goes into its slot.
          in_state_q <= InIdle;
        end
        default: in_state_q <= InIdle;
      endcase
    end
  end
  logic deposit;
  job_t in_final;
  assign deposit = (in_state_q == InPlace);
  always_comb begin
    in_final = in_q;
    // memmove: copy backward when the destination starts inside the source.
    in_final.backward = in_is_copy && !in_q.reject && src_lt_dst && dst_lt_src_end;
  end

  // ---------------------------------------------------------------------------------------------
  // Slots, contexts, lock check, arbiter.
  // ---------------------------------------------------------------------------------------------
  logic [NumQueues*JobW-1:0]   slot_q;
  logic [NumQueues-1:0]        qbusy_q, front, front_q, is_new, chk_ok_q, elig, win;
  logic [NumQueues*NumEng-1:0] conf_q;
  logic [NumQueues*NumQueues-1:0] older_q, older;
  logic [NumEng*JobW-1:0]      ctx_q;
  logic [NumEng-1:0]           eng_busy_q;
  logic [NumEng*QW-1:0]        ctx_queue_q;
  logic [NumEng*32-1:0]        ctx_commit_q;
  logic [31:0]                 commit_q;
  logic                        gnt;
  logic [QW-1:0]               gq;
  job_t                        gjob;

  // Presented: at the front of an idle queue.
  assign front  = slot_valid_q & ~qbusy_q;
  assign is_new = front & ~front_q;
  // Age: i older than j. Newly presented queues are younger than those already waiting; among
  // queues presented in the same cycle the lower is older.
  always_comb begin
    older = older_q;
    for (int i = 0; i < NumQueues; i++) begin
      for (int j = 0; j < NumQueues; j++) begin
        if (is_new[i] && is_new[j]) begin
          older[i*NumQueues+j] = (i < j);
        end else if (is_new[i]) begin
          older[i*NumQueues+j] = 1'b0;
        end else if (is_new[j]) begin
          older[i*NumQueues+j] = 1'b1;
        end
      end
    end
  end

  // Lock check: the first slot not yet checked, against every context.
  logic          chk_any;
  logic [QW-1:0] chk_ptr;
  job_t          cj;
  always_comb begin
    chk_any = 1'b0;
    chk_ptr = '0;
    for (int q = NumQueues - 1; q >= 0; q--) begin
      if (slot_valid_q[q] && !chk_ok_q[q]) begin
        chk_any = 1'b1;
        chk_ptr = QW'(q);
      end
    end
  end
  assign cj = slot_q[JobW*chk_ptr +: JobW];
  logic unused_cj;
  assign unused_cj = ^{cj.reject, cj.backward, cj.eng, cj.op, cj.shift, cj.tag, cj.blocks};

  logic [NumEng-1:0] conf;
  for (genvar e = 0; e < NumEng; e++) begin : g_lock
    logic [63:0] ce_dst, ce_dst_end, ce_src, ce_src_end;
    logic        ce_shr;
    logic [5:0]  lt;
    assign ce_dst     = ctx_q[JobW*e + FDst +: 64];
    assign ce_dst_end = ctx_q[JobW*e + FDstEnd +: 64];
    assign ce_src     = ctx_q[JobW*e + FSrc +: 64];
    assign ce_src_end = ctx_q[JobW*e + FSrcEnd +: 64];
    assign ce_shr     = ctx_q[JobW*e + FShr];
    // Overlap of [a, a_end) and [b, b_end): a < b_end and b < a_end.
    offload_lt64 u_dd0 (.a_i(cj.dst), .b_i(ce_dst_end), .lt_o(lt[0]));
    offload_lt64 u_dd1 (.a_i(ce_dst), .b_i(cj.dst_end), .lt_o(lt[1]));
    offload_lt64 u_ds0 (.a_i(cj.dst), .b_i(ce_src_end), .lt_o(lt[2]));
    offload_lt64 u_ds1 (.a_i(ce_src), .b_i(cj.dst_end), .lt_o(lt[3]));
    offload_lt64 u_sd0 (.a_i(cj.src), .b_i(ce_dst_end), .lt_o(lt[4]));
    offload_lt64 u_sd1 (.a_i(ce_dst), .b_i(cj.src_end), .lt_o(lt[5]));
    // The job writes what the context holds, or reads what the context writes.
    assign conf[e] = (lt[0] && lt[1]) || (ce_shr && lt[2] && lt[3]) || (cj.shr && lt[4] && lt[5]);
  end

  // Eligible slots and the oldest of them.
  logic [1:0] held;
  logic       cap_ok;
  always_comb begin
    held = '0;
    for (int e = 0; e < NumEng; e++) begin
      held = held + {1'b0, eng_busy_q[e]};
    end
  end
  assign cap_ok = (32'(held) < LockEntries);

  for (genvar q = 0; q < NumQueues; q++) begin : g_elig
    logic [1:0] sj_eng;
    assign sj_eng  = slot_q[JobW*q + FEng +: 2];
    assign elig[q] = front[q] && chk_ok_q[q] && !eng_busy_q[sj_eng] && cap_ok &&
                     ((conf_q[NumEng*q +: NumEng] & eng_busy_q) == '0);
  end
  always_comb begin
    for (int i = 0; i < NumQueues; i++) begin
      win[i] = elig[i];
      for (int j = 0; j < NumQueues; j++) begin
        if (j != i && elig[j] && !older[i*NumQueues+j]) begin
          win[i] = 1'b0;
        end
      end
    end
  end
  always_comb begin
    gnt = 1'b0;
    gq  = '0;
    for (int q = NumQueues - 1; q >= 0; q--) begin
      if (win[q]) begin
        gnt = 1'b1;
        gq  = QW'(q);
      end
    end
  end
  assign gjob = slot_q[JobW*gq +: JobW];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      slot_valid_q <= '0;
      slot_q       <= '0;
      qbusy_q      <= '0;
      front_q      <= '0;
      older_q      <= '0;
      chk_ok_q     <= '0;
      conf_q       <= '0;
      ctx_q        <= '0;
      ctx_queue_q  <= '0;
      ctx_commit_q <= '0;
      eng_busy_q   <= '0;
      commit_q     <= '0;
    end else begin
      front_q <= front;
      older_q <= older;
      // Lock check result (void if the table changes this cycle).
      if (chk_any && !gnt) begin
        conf_q[NumEng*chk_ptr +: NumEng] <= conf;
        chk_ok_q[chk_ptr]                <= 1'b1;
      end
      // A new job in a slot.
      if (deposit) begin
        slot_valid_q[in_queue_q]      <= 1'b1;
        slot_q[JobW*in_queue_q +: JobW] <= in_final;
        chk_ok_q[in_queue_q]          <= 1'b0;
      end
      // Releases: the completion of engine e was accepted.
      for (int e = 0; e < NumEng; e++) begin
        if (release_i[e]) begin
          eng_busy_q[e]                     <= 1'b0;
          qbusy_q[ctx_queue_q[QW*e +: QW]] <= 1'b0;
        end
      end
      // The grant.
      if (gnt) begin
        chk_ok_q                      <= '0;
        slot_valid_q[gq]              <= 1'b0;
        qbusy_q[gq]                   <= 1'b1;
        eng_busy_q[gjob.eng]          <= 1'b1;
        ctx_q[JobW*gjob.eng +: JobW]  <= gjob;
        ctx_queue_q[QW*gjob.eng +: QW] <= gq;
        ctx_commit_q[32*gjob.eng +: 32] <= commit_q;
        commit_q                      <= commit_q + 32'd1;
      end
    end
  end

  always_comb begin
    start_o = '0;
    start_o[gjob.eng] = gnt;
  end

  // Context fields out.
  localparam int FBlocks   = 256;
  localparam int FTag      = 288;
  localparam int FShift    = 304;
  localparam int FOp       = 304 + ShiftWidth;
  localparam int FBackward = 310 + ShiftWidth;
  localparam int FReject   = 311 + ShiftWidth;
  for (genvar e = 0; e < NumEng; e++) begin : g_ctx
    assign ctx_op_o[3*e +: 3]                      = ctx_q[JobW*e + FOp +: 3];
    assign ctx_shift_o[ShiftWidth*e +: ShiftWidth] = ctx_q[JobW*e + FShift +: ShiftWidth];
    assign ctx_blocks_o[32*e +: 32]                = ctx_q[JobW*e + FBlocks +: 32];
    assign ctx_src_o[64*e +: 64]                   = ctx_q[JobW*e + FSrc +: 64];
    assign ctx_dst_o[64*e +: 64]                   = ctx_q[JobW*e + FDst +: 64];
    assign ctx_src_end_o[64*e +: 64]               = ctx_q[JobW*e + FSrcEnd +: 64];
    assign ctx_dst_end_o[64*e +: 64]               = ctx_q[JobW*e + FDstEnd +: 64];
    assign ctx_backward_o[e]                       = ctx_q[JobW*e + FBackward];
    assign ctx_reject_o[e]                         = ctx_q[JobW*e + FReject];
    assign ctx_queue_o[8*e +: 8]                   = 8'(ctx_queue_q[QW*e +: QW]);
    assign ctx_tag_o[16*e +: 16]                   = ctx_q[JobW*e + FTag +: 16];
    assign ctx_commit_o[32*e +: 32]                = ctx_commit_q[32*e +: 32];
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
    end
  end
`endif
endmodule
