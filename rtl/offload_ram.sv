// offload_ram: simple dual-port RAM, one write and one registered read per cycle (a block RAM on an
// FPGA). A read of the address written in the same cycle returns the old contents; the users never
// depend on it (no_rw_check tells Yosys so, sparing it the emulation logic).
`default_nettype none

module offload_ram #(
  parameter int Width = 64,
  parameter int Depth = 64
) (
  input  logic                     clk_i,
  input  logic                     we_i,
  input  logic [$clog2(Depth)-1:0] waddr_i,
  input  logic [Width-1:0]         wdata_i,
  input  logic [$clog2(Depth)-1:0] raddr_i,
  output logic [Width-1:0]         rdata_o
);
  (* no_rw_check *)
  logic [Width-1:0] mem [Depth];

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem[waddr_i] <= wdata_i;
    end
    rdata_o <= mem[raddr_i];
  end
endmodule
