// offload_add64: a 64-bit adder built from 32-bit halves (carry select), so that no carry chain is
// longer than 32 bits: on an iCE40 a 64-bit chain alone takes about 12 ns, a 32-bit one about 5 ns.
`default_nettype none

module offload_add64 (
  input  logic [63:0] a_i,
  input  logic [63:0] b_i,
  output logic [63:0] sum_o
);
  logic [32:0] lo;
  logic [31:0] hi_no_carry, hi_carry;

  assign lo          = {1'b0, a_i[31:0]} + {1'b0, b_i[31:0]};
  assign hi_no_carry = a_i[63:32] + b_i[63:32];
  // a - ~b = a + b + 1: one chain with carry in, computed in parallel with the low half.
  assign hi_carry    = a_i[63:32] - ~b_i[63:32];
  assign sum_o       = {lo[32] ? hi_carry : hi_no_carry, lo[31:0]};
endmodule
