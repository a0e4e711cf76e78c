// offload_lt64: unsigned 64-bit a < b from 32-bit halves compared in parallel (see offload_add64).
`default_nettype none

module offload_lt64 (
  input  logic [63:0] a_i,
  input  logic [63:0] b_i,
  output logic        lt_o
);
  logic lt_hi, eq_hi, lt_lo;

  assign lt_hi = a_i[63:32] < b_i[63:32];
  assign eq_hi = a_i[63:32] == b_i[63:32];
  assign lt_lo = a_i[31:0] < b_i[31:0];
  assign lt_o  = lt_hi | (eq_hi & lt_lo);
endmodule
