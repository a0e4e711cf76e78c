// offload_fifo: first-word-fall-through FIFO over a block RAM. A word pushed in cycle x is at the head
// in cycle x+1; one push and one pop per cycle sustain. The RAM is read every cycle at the next head, so
// the head is always in the RAM's output register, except when it was written in the same cycle as it
// was read: then a bypass register holds it.
`default_nettype none

module offload_fifo #(
  parameter int Width = 64,
  parameter int Depth = 64  // a power of two
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     clr_i,    // empty the FIFO (pushes and pops this cycle are dropped)
  input  logic                     push_i,   // never when full
  input  logic [Width-1:0]         data_i,
  input  logic                     pop_i,    // never when empty
  output logic [Width-1:0]         data_o,   // the head, when not empty
  output logic                     empty_o,
  output logic [$clog2(Depth):0]   count_o
);
  localparam int AddrW = $clog2(Depth);

  logic [AddrW-1:0] wptr_q, rptr_q, rptr_d;
  logic [AddrW:0]   count_q;
  logic [Width-1:0] ram_rdata, byp_q;
  logic             use_byp_q, empty_q;

  assign rptr_d = pop_i ? rptr_q + AddrW'(1) : rptr_q;

  offload_ram #(
    .Width(Width),
    .Depth(Depth)
  ) u_ram (
    .clk_i  (clk_i),
    .we_i   (push_i),
    .waddr_i(wptr_q),
    .wdata_i(data_i),
    .raddr_i(rptr_d),
    .rdata_o(ram_rdata)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q    <= '0;
      rptr_q    <= '0;
      count_q   <= '0;
      use_byp_q <= 1'b0;
      empty_q   <= 1'b1;
    end else if (clr_i) begin
      wptr_q    <= '0;
      rptr_q    <= '0;
      count_q   <= '0;
      use_byp_q <= 1'b0;
      empty_q   <= 1'b1;
    end else begin
      if (push_i) begin
        wptr_q <= wptr_q + AddrW'(1);
      end
      rptr_q    <= rptr_d;
      count_q   <= count_q + {{AddrW{1'b0}}, push_i} - {{AddrW{1'b0}}, pop_i};
      use_byp_q <= push_i && (wptr_q == rptr_d);
      // count_q == 0 next cycle (a pop never comes when empty).
      empty_q   <= !push_i && (count_q == '0 || (count_q == (AddrW + 1)'(1) && pop_i));
    end
  end

  always_ff @(posedge clk_i) begin
    if (push_i) begin
      byp_q <= data_i;
    end
  end

  assign data_o  = use_byp_q ? byp_q : ram_rdata;
  assign empty_o = empty_q;  // (count_q == '0, registered: engines' write requests start from it)
  assign count_o = count_q;

`ifndef SYNTHESIS
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni) begin
      if (!clr_i && push_i && !pop_i && count_q == (AddrW + 1)'(Depth)) begin
        $error("offload_fifo: push when full");
      end
      if (!clr_i && pop_i && count_q == '0) begin
        $error("offload_fifo: pop when empty");
      end
      if (empty_q != (count_q == '0)) begin
        $error("offload_fifo: empty flag is not count == 0");
      end
    end
  end
`endif
endmodule
