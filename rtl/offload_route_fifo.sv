// offload_route_fifo: a small register FIFO of engine numbers, which routes read data and write
// responses back to the engine that issued the address (the memory answers in order).
`default_nettype none

module offload_route_fifo #(
  parameter int Width = 2,
  parameter int Depth = 16  // a power of two
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             push_i,
  input  logic [Width-1:0] data_i,
  input  logic             pop_i,
  output logic [Width-1:0] data_o,
  output logic             empty_o
);
  localparam int AddrW = $clog2(Depth);

  logic [Width-1:0] mem_q [Depth];
  logic [AddrW-1:0] wptr_q, rptr_q;
  logic [AddrW:0]   count_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q  <= '0;
      rptr_q  <= '0;
      count_q <= '0;
    end else begin
      if (push_i) begin
        wptr_q <= wptr_q + AddrW'(1);
      end
      if (pop_i) begin
        rptr_q <= rptr_q + AddrW'(1);
      end
      count_q <= count_q + {{AddrW{1'b0}}, push_i} - {{AddrW{1'b0}}, pop_i};
    end
  end

  always_ff @(posedge clk_i) begin
    if (push_i) begin
      mem_q[wptr_q] <= data_i;
    end
  end

  assign data_o  = mem_q[rptr_q];
  assign empty_o = (count_q == '0);

`ifndef SYNTHESIS
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni) begin
      if (push_i && !pop_i && count_q == (AddrW + 1)'(Depth)) begin
        $error("offload_route_fifo: push when full");
      end
      if (pop_i && count_q == '0) begin
        $error("offload_route_fifo: pop when empty (a response nobody asked for)");
      end
    end
  end
`endif
endmodule
