// offload_add: a Width-bit adder built from two halves (carry select), so that no carry chain is longer
// than about Width/2 bits: on an iCE40 a 64-bit chain alone takes about 12 ns, a 32-bit one about 5 ns.
`default_nettype none

module offload_add #(
  parameter int Width = 64
) (
  input  logic [Width-1:0] a_i,
  input  logic [Width-1:0] b_i,
  output logic [Width-1:0] sum_o
);
  localparam int Lo = Width / 2;
  localparam int Hi = Width - Lo;

  logic [Lo:0]   lo;
  logic [Hi-1:0] hi_no_carry, hi_carry;

  assign lo          = {1'b0, a_i[Lo-1:0]} + {1'b0, b_i[Lo-1:0]};
  assign hi_no_carry = a_i[Width-1:Lo] + b_i[Width-1:Lo];
  // a - ~b = a + b + 1: one chain with carry in, computed in parallel with the low half.
  assign hi_carry    = a_i[Width-1:Lo] - ~b_i[Width-1:Lo];
  assign sum_o       = {lo[Lo] ? hi_carry : hi_no_carry, lo[Lo-1:0]};
endmodule
