// offload_addr_ctr: a 64-bit address register that steps by a signed delta, or loads a base plus a
// delta, in one cycle (through offload_add64).
`default_nettype none

module offload_addr_ctr (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        en_i,       // update this cycle
  input  logic        load_i,     // the sum starts from load_val_i instead of the register
  input  logic [63:0] load_val_i,
  input  logic [63:0] delta_i,
  output logic [63:0] addr_o
);
  logic [63:0] addr_q, sum;

  offload_add64 u_add (
    .a_i  (load_i ? load_val_i : addr_q),
    .b_i  (delta_i),
    .sum_o(sum)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      addr_q <= '0;
    end else if (en_i) begin
      addr_q <= sum;
    end
  end

  assign addr_o = addr_q;
endmodule
