// offload_tb_mem: the bench memory behind the offload block's AXI4 master (simulation only).
//
// Memory is the $readmemh bench map (vectors/README.md): 2 Mi 64-bit words, word index
// region << 15 | offset >> 3, region = unit (0..15) or 16 + staging-buffer slot (0..47).
//
// Timing (the model's parameters): a read burst whose address is accepted in cycle a has its first
// beat valid in cycle a + ReadLatency, the rest back to back; bursts are answered in order, as soon as
// due. A write burst whose last beat is accepted in cycle w has its response valid in cycle
// w + WriteLatency. With stall_pct > 0 every ready is dropped at random in that share of cycles.
//
// Errors: any beat of a block listed in fault_word (the first word index of the block; the block size
// is block_bytes, set by the bench per job) answers SLVERR on reads and writes; wfault_word blocks fail
// writes only; an address outside the bench map answers DECERR. A failing write stores nothing.
//
// Checks (counted in errors): burst length, size and type, 4 KiB crossings, W beats per burst, WLAST,
// valid held stable until ready (AR, AW, W), and AWUSER: a deallocate or anchor write carries zeros.
`timescale 1ns / 1ps
`default_nettype none

module offload_tb_mem #(
  parameter int DataWidth    = 64,
  parameter int BurstBeats   = 16,
  parameter int ReadLatency  = 16,
  parameter int WriteLatency = 8
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   arvalid_i,
  output logic                   arready_o,
  input  logic [63:0]            araddr_i,
  input  logic [7:0]             arlen_i,
  input  logic [2:0]             arsize_i,
  input  logic [1:0]             arburst_i,
  output logic                   rvalid_o,
  input  logic                   rready_i,
  output logic [DataWidth-1:0]   rdata_o,
  output logic [1:0]             rresp_o,
  output logic                   rlast_o,
  input  logic                   awvalid_i,
  output logic                   awready_o,
  input  logic [63:0]            awaddr_i,
  input  logic [7:0]             awlen_i,
  input  logic [2:0]             awsize_i,
  input  logic [1:0]             awburst_i,
  input  logic [1:0]             awuser_i,
  input  logic                   wvalid_i,
  output logic                   wready_o,
  input  logic [DataWidth-1:0]   wdata_i,
  input  logic [DataWidth/8-1:0] wstrb_i,
  input  logic                   wlast_i,
  output logic                   bvalid_o,
  input  logic                   bready_i,
  output logic [1:0]             bresp_o
);
  localparam int BusBytes = DataWidth / 8;
  localparam int Words    = 1 << 21;
  localparam int QDepth   = 64;

  bit [63:0] mem [Words];
  bit [63:0] fault_word [64];
  bit [63:0] wfault_word [64];
  int        n_faults = 0;
  int        n_wfaults = 0;
  bit [63:0] late_word [64];   // only the last burst of these blocks fails (reads and writes)
  int        n_late = 0;
  longint    zero_strobe_beats = 0;
  int        block_bytes = 512;
  int        stall_pct = 0;
  int        errors = 0;
  bit        trace = 0;
  bit        region_written [64];
  // Beats moved, for throughput figures.
  longint    read_beats = 0;
  longint    write_beats = 0;
  longint    cycle = 0;

  // ---- address map
  // The word index of an address, or -1 outside the bench memory.
  function automatic int bench_index(input logic [63:0] addr);
    logic [15:0] unit_bits;
    logic [15:0] slot;
    logic [31:0] offset;
    unit_bits = addr[63:48];
    bench_index = -1;
    if (unit_bits == offload_pkg::AddrBufferRegion) begin
      slot   = addr[47:32];
      offset = addr[31:0];
      if (slot < 16'(offload_pkg::BenchBufferRegions) && offset < (32'd1 << offload_pkg::BenchRegionByteBits)) begin
        bench_index = ((offload_pkg::BenchUnitRegions + int'(slot)) << (offload_pkg::BenchRegionByteBits - 3)) |
                      int'(offset >> 3);
      end
    end else if (unit_bits < 16'(offload_pkg::BenchUnitRegions) && addr[47:0] < (48'd1 << offload_pkg::BenchRegionByteBits)) begin
      bench_index = (int'(unit_bits) << (offload_pkg::BenchRegionByteBits - 3)) | int'(addr[31:0] >> 3);
    end
  endfunction

  function automatic bit in_list(input logic [63:0] addr, input bit writes);
    int first;
    logic [63:0] block_addr;
    block_addr = addr & ~(64'(block_bytes) - 64'd1);
    in_list = 1'b0;
    first = bench_index(block_addr);
    if (first >= 0) begin
      for (int i = 0; i < n_faults; i++) begin
        if (fault_word[i] == 64'(first)) in_list = 1'b1;
      end
      if (writes) begin
        for (int i = 0; i < n_wfaults; i++) begin
          if (wfault_word[i] == 64'(first)) in_list = 1'b1;
        end
      end
    end
  endfunction

  function automatic bit in_late(input logic [63:0] addr);
    int first;
    logic [63:0] block_addr;
    block_addr = addr & ~(64'(block_bytes) - 64'd1);
    in_late = 1'b0;
    first = bench_index(block_addr);
    if (first >= 0 && (addr - block_addr) >= 64'(block_bytes - BurstBeats * BusBytes)) begin
      for (int i = 0; i < n_late; i++) begin
        if (late_word[i] == 64'(first)) in_late = 1'b1;
      end
    end
  endfunction

  // Response for a beat at addr: OKAY, SLVERR (bad block) or DECERR (outside the bench).
  function automatic logic [1:0] beat_resp(input logic [63:0] addr, input bit writes);
    if (bench_index(addr) < 0) begin
      beat_resp = offload_pkg::RespDecErr;
    end else if (in_list(addr, writes) || in_late(addr)) begin
      beat_resp = offload_pkg::RespSlvErr;
    end else begin
      beat_resp = offload_pkg::RespOkay;
    end
  endfunction

  function automatic logic [DataWidth-1:0] read_beat(input logic [63:0] addr);
    int index;
    logic [63:0] word;
    read_beat = '0;
    index = bench_index(addr);
    if (index >= 0) begin
      word = mem[index];
      if (DataWidth == 64) begin
        read_beat = DataWidth'(word);
      end else begin
        read_beat = DataWidth'(addr[2] ? word[63:32] : word[31:0]);
      end
    end
  endfunction

  task automatic write_beat(input logic [63:0] addr, input logic [DataWidth-1:0] data,
                            input logic [BusBytes-1:0] strb);
    int index;
    logic [63:0] word;
    int lane0;
    index = bench_index(addr);
    if (index >= 0) begin
      word  = mem[index];
      lane0 = (DataWidth == 64) ? 0 : (addr[2] ? 4 : 0);
      for (int l = 0; l < BusBytes; l++) begin
        if (strb[l]) word[8*(lane0+l) +: 8] = data[8*l +: 8];
      end
      mem[index] = word;
      region_written[index >> (offload_pkg::BenchRegionByteBits - 3)] = 1'b1;
    end
  endtask

  // ---- queues of accepted addresses
  logic [63:0] ar_addr_q [QDepth];
  longint      ar_due_q [QDepth];
  int          ar_head = 0, ar_tail = 0, r_beat = 0;
  logic [63:0] aw_addr_q [QDepth];
  logic [1:0]  aw_user_q [QDepth];
  int          aw_head = 0, aw_tail = 0, w_beat = 0;
  bit          w_err = 0;
  longint      b_due_q [QDepth];
  logic [1:0]  b_resp_q [QDepth];
  int          b_head = 0, b_tail = 0;

  // Previous cycle's channel state, for the stability checks.
  logic        ar_wait = 0, aw_wait = 0, w_wait = 0;
  logic [63:0] ar_prev, aw_prev;
  logic [DataWidth-1:0] w_prev;

  task automatic fail(input string what);
    errors++;
    $display("MEM-ERROR cycle %0d: %s", cycle, what);
  endtask

  task automatic clear_queues;
    ar_head = 0; ar_tail = 0; r_beat = 0;
    aw_head = 0; aw_tail = 0; w_beat = 0; w_err = 0;
    b_head = 0; b_tail = 0;
    ar_wait = 0; aw_wait = 0; w_wait = 0;
  endtask

  // A W beat is taken with its address or after it (never before): the block offers both together.
  logic w_ok_q = 1'b0, aw_pending_q = 1'b0;
  assign wready_o = w_ok_q && (aw_pending_q || (awvalid_i && awready_o));

  initial begin
    arready_o = 1'b0;
    awready_o = 1'b0;
    rvalid_o  = 1'b0;
    rdata_o   = '0;
    rresp_o   = '0;
    rlast_o   = 1'b0;
    bvalid_o  = 1'b0;
    bresp_o   = '0;
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      // The memory system shares the block's reset: whatever was in flight is gone.
      clear_queues();
      arready_o <= 1'b0;
      awready_o <= 1'b0;
      w_ok_q    <= 1'b0;
      aw_pending_q <= 1'b0;
      rvalid_o  <= 1'b0;
      rlast_o   <= 1'b0;
      bvalid_o  <= 1'b0;
    end else begin
      cycle++;
      // ---- handshakes of the cycle that just ended
      if (ar_wait && !(arvalid_i && araddr_i == ar_prev)) fail("ARVALID or ARADDR changed before ARREADY");
      if (aw_wait && !(awvalid_i && awaddr_i == aw_prev)) fail("AWVALID or AWADDR changed before AWREADY");
      if (w_wait && !(wvalid_i && wdata_i == w_prev)) fail("WVALID or WDATA changed before WREADY");
      ar_wait = arvalid_i && !arready_o;
      aw_wait = awvalid_i && !awready_o;
      w_wait  = wvalid_i && !wready_o;
      ar_prev = araddr_i;
      aw_prev = awaddr_i;
      w_prev  = wdata_i;

      if (arvalid_i && arready_o) begin
        if (arlen_i != 8'(BurstBeats - 1) || arsize_i != 3'($clog2(BusBytes)) ||
            arburst_i != offload_pkg::BurstIncr) fail("AR burst shape");
        if ((araddr_i & 64'(BusBytes - 1)) != 0) fail("AR address not aligned to the bus");
        if ((araddr_i & 64'hFFF) + 64'(BurstBeats * BusBytes) > 64'h1000) fail("AR burst crosses 4 KiB");
        if (ar_tail - ar_head >= QDepth) fail("AR queue overflow");
        if (trace) $display("TRACE %0d AR %h", cycle - 1, araddr_i);
        ar_addr_q[ar_tail % QDepth] = araddr_i;
        ar_due_q[ar_tail % QDepth]  = cycle - 1 + ReadLatency;
        ar_tail++;
      end
      if (rvalid_o && rready_i) begin
        read_beats++;
        r_beat++;
        if (r_beat == BurstBeats) begin
          r_beat = 0;
          ar_head++;
        end
      end
      if (awvalid_i && awready_o) begin
        if (awlen_i != 8'(BurstBeats - 1) || awsize_i != 3'($clog2(BusBytes)) ||
            awburst_i != offload_pkg::BurstIncr) fail("AW burst shape");
        if ((awaddr_i & 64'hFFF) + 64'(BurstBeats * BusBytes) > 64'h1000) fail("AW burst crosses 4 KiB");
        if (trace) $display("TRACE %0d AW %h user %0d", cycle - 1, awaddr_i, awuser_i);
        aw_addr_q[aw_tail % QDepth] = awaddr_i;
        aw_user_q[aw_tail % QDepth] = awuser_i;
        aw_tail++;
      end
      if (wvalid_i && wready_o) begin
        logic [63:0] addr;
        logic [1:0]  resp;
        write_beats++;
        if (aw_head == aw_tail) begin
          fail("W beat before its address");
        end else begin
          addr = aw_addr_q[aw_head % QDepth] + 64'(w_beat * BusBytes);
          resp = beat_resp(addr, 1'b1);
          if (aw_user_q[aw_head % QDepth] != offload_pkg::HintData && wstrb_i != '0 && wdata_i != '0) begin
            fail("deallocate/anchor write with non-zero data");
          end
          if (trace && (w_beat == 0 || wlast_i)) $display("TRACE %0d W %h strb %h resp %0d", cycle - 1, addr, wstrb_i, resp);
          if (wstrb_i == '0) zero_strobe_beats++;
          if (resp == offload_pkg::RespOkay) begin
            write_beat(addr, wdata_i, wstrb_i);
          end else begin
            w_err = 1'b1;
          end
          if (wlast_i != (w_beat == BurstBeats - 1)) fail("WLAST on the wrong beat");
          w_beat++;
          if (w_beat == BurstBeats) begin
            b_due_q[b_tail % QDepth]  = cycle - 1 + WriteLatency;
            b_resp_q[b_tail % QDepth] = w_err ? offload_pkg::RespSlvErr : offload_pkg::RespOkay;
            b_tail++;
            w_beat = 0;
            w_err  = 0;
            aw_head++;
          end
        end
      end
      if (bvalid_o && bready_i) begin
        b_head++;
      end

      // ---- outputs for the cycle that starts now
      arready_o <= ($urandom_range(99) >= stall_pct);
      awready_o <= ($urandom_range(99) >= stall_pct);
      w_ok_q    <= ($urandom_range(99) >= stall_pct);
      aw_pending_q <= (aw_head != aw_tail);
      if (ar_head != ar_tail && ar_due_q[ar_head % QDepth] <= cycle) begin
        logic [63:0] addr;
        addr = ar_addr_q[ar_head % QDepth] + 64'(r_beat * BusBytes);
        rvalid_o <= 1'b1;
        rresp_o  <= beat_resp(addr, 1'b0);
        rdata_o  <= (beat_resp(addr, 1'b0) == offload_pkg::RespOkay) ? read_beat(addr) : {(DataWidth/32){32'hDEADBEEF}};
        rlast_o  <= (r_beat == BurstBeats - 1);
      end else begin
        rvalid_o <= 1'b0;
        rlast_o  <= 1'b0;
      end
      if (b_head != b_tail && b_due_q[b_head % QDepth] <= cycle) begin
        bvalid_o <= 1'b1;
        bresp_o  <= b_resp_q[b_head % QDepth];
      end else begin
        bvalid_o <= 1'b0;
      end
    end
  end

  // Loading from the bench (a task here, so that $readmemh names a local array).
  task automatic load(input string file);
    $readmemh(file, mem);
  endtask

  task automatic load_faults(input string file);
    for (int i = 0; i < 64; i++) fault_word[i] = '1;
    $readmemh(file, fault_word);
    n_faults = 0;
    while (n_faults < 64 && fault_word[n_faults] != '1) n_faults++;
  endtask

  // Nothing outstanding (for the reset test and the end of each job).
  function automatic bit quiet;
    quiet = (ar_head == ar_tail) && (aw_head == aw_tail) && (b_head == b_tail) && (w_beat == 0);
  endfunction
endmodule
