// offload_stream: the block address of a stream of memory bursts. An engine address is a 16-bit region
// (bits 63..48: a unit or the staging buffers) and a 48-bit offset; a job never leaves its region, so only
// the offset moves. The stream holds the address of the current block; the engine ORs the burst offset
// in (blocks are block-size aligned). It steps one block up or down, and loads a start address, the
// block before it when pre_dec_i (a backward copy starts at the block below its range's end).
//
// The adder sees +bs, -bs or 0 (bs = 1 << shift_i): only the bits from MinShift to MaxShift depend on
// the block size, so the operand is nearly free; the sum is built from two 24-bit halves (carry select).
// The sum depends on load_i, pre_dec_i and up_i only (state, not handshakes): step_i, which comes from
// a handshake, only enables the register.
`default_nettype none

module offload_stream #(
  parameter int MinShift   = 7,
  parameter int MaxShift   = 12,
  parameter int ShiftWidth = 4
) (
  input  logic                  clk_i,
  input  logic [ShiftWidth-1:0] shift_i,
  input  logic                  load_i,     // load load_val_i (minus a block when pre_dec_i)
  input  logic [63:0]           load_val_i,
  input  logic                  pre_dec_i,
  input  logic                  step_i,     // one block: up when up_i, else down
  input  logic                  up_i,       // (must not depend on step_i)
  output logic [63:0]           addr_o
);
  logic [15:0] region_q;
  logic [47:0] base_q, a, d, sum;
  logic        inc, dec;

  assign inc = !load_i && up_i;
  assign dec = load_i ? pre_dec_i : !up_i;

  // d = +bs, -bs or 0. Continuous assignments, not an always_comb: the engine's next-state block writes
  // load_i, pre_dec_i and up_i twice in a pass (a default, then the value), and under Icarus 11 an
  // always_comb reading them would be woken by every pass and wake that block again (see offload_engine).
  for (genvar i = 0; i < 48; i++) begin : g_d
    if (i < MinShift) begin : g_zero
      assign d[i] = 1'b0;
    end else if (i > MaxShift) begin : g_sign
      assign d[i] = dec;
    end else begin : g_bs
      assign d[i] = (dec && 32'(shift_i) <= i) || (inc && 32'(shift_i) == i);
    end
  end

  assign a = load_i ? load_val_i[47:0] : base_q;

  logic [24:0] lo;
  logic [23:0] hi_no_carry, hi_carry;
  assign lo          = {1'b0, a[23:0]} + {1'b0, d[23:0]};
  assign hi_no_carry = a[47:24] + d[47:24];
  assign hi_carry    = a[47:24] - ~d[47:24];  // a + d + 1
  assign sum         = {lo[24] ? hi_carry : hi_no_carry, lo[23:0]};

  // No reset: loaded before use.
  always_ff @(posedge clk_i) begin
    if (load_i) begin
      region_q <= load_val_i[63:48];
    end
    if (load_i || step_i) begin
      base_q <= sum;
    end
  end

  assign addr_o = {region_q, base_q};
endmodule
