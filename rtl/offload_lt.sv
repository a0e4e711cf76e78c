// offload_lt: unsigned a < b from two halves compared in parallel (see offload_add).
`default_nettype none

module offload_lt #(
  parameter int Width = 64
) (
  input  logic [Width-1:0] a_i,
  input  logic [Width-1:0] b_i,
  output logic             lt_o
);
  localparam int Lo = Width / 2;

  logic lt_hi, eq_hi, lt_lo;

  assign lt_hi = a_i[Width-1:Lo] < b_i[Width-1:Lo];
  assign eq_hi = a_i[Width-1:Lo] == b_i[Width-1:Lo];
  assign lt_lo = a_i[Lo-1:0] < b_i[Lo-1:0];
  assign lt_o  = lt_hi | (eq_hi & lt_lo);
endmodule
