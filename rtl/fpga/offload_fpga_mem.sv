// offload_fpga_mem: an AXI4 slave over an on-chip RAM (block RAM), for the FPGA build of the offload
// block. Words of DataWidth bits at byte address offset 0 .. Words * DataWidth / 8 - 1; any other
// address (all 64 bits are decoded) answers DECERR, so no address bit of the block is left unused.
// One read burst and one write burst at a time; a read beat a cycle, the write response the cycle after
// the last beat.
`default_nettype none

module offload_fpga_mem #(
  parameter int DataWidth = 32,
  parameter int Words     = 1024
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   arvalid_i,
  output logic                   arready_o,
  input  logic [63:0]            araddr_i,
  input  logic [7:0]             arlen_i,
  output logic                   rvalid_o,
  input  logic                   rready_i,
  output logic [DataWidth-1:0]   rdata_o,
  output logic [1:0]             rresp_o,
  output logic                   rlast_o,
  input  logic                   awvalid_i,
  output logic                   awready_o,
  input  logic [63:0]            awaddr_i,
  input  logic                   wvalid_i,
  output logic                   wready_o,
  input  logic [DataWidth-1:0]   wdata_i,
  input  logic [DataWidth/8-1:0] wstrb_i,
  input  logic                   wlast_i,
  output logic                   bvalid_o,
  input  logic                   bready_i,
  output logic [1:0]             bresp_o
);
  localparam int StrbW  = DataWidth / 8;
  localparam int AddrW  = $clog2(Words);
  localparam int Lsb    = $clog2(StrbW);
  localparam int Bytes  = Words * StrbW;
  localparam int ByteW  = $clog2(Bytes);

  (* no_rw_check *)
  logic [DataWidth-1:0] mem [Words];

  // ---- reads
  logic             rd_busy_q, rd_err_q, rd_issue, rvalid_q, rlast_q, rerr_q;
  logic [AddrW-1:0] rd_addr_q;
  logic [7:0]       rd_left_q;
  logic [DataWidth-1:0] rdata_q;

  assign arready_o = !rd_busy_q;
  // A beat is read when the output register is free (or being emptied).
  assign rd_issue  = rd_busy_q && (!rvalid_q || rready_i);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_busy_q <= 1'b0;
      rd_err_q  <= 1'b0;
      rd_addr_q <= '0;
      rd_left_q <= '0;
      rvalid_q  <= 1'b0;
      rlast_q   <= 1'b0;
      rerr_q    <= 1'b0;
    end else begin
      if (arvalid_i && arready_o) begin
        rd_busy_q <= 1'b1;
        rd_err_q  <= (|araddr_i[63:ByteW]) || (|araddr_i[Lsb-1:0]);  // outside, or not word aligned
        rd_addr_q <= araddr_i[Lsb +: AddrW];
        rd_left_q <= arlen_i;
      end else if (rd_issue) begin
        rd_addr_q <= rd_addr_q + AddrW'(1);
        rd_left_q <= rd_left_q - 8'd1;
        if (rd_left_q == 8'd0) begin
          rd_busy_q <= 1'b0;
        end
      end
      if (rd_issue) begin
        rvalid_q <= 1'b1;
        rlast_q  <= (rd_left_q == 8'd0);
        rerr_q   <= rd_err_q;
      end else if (rready_i) begin
        rvalid_q <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (rd_issue) begin
      rdata_q <= mem[rd_addr_q];
    end
  end

  assign rvalid_o = rvalid_q;
  assign rdata_o  = rdata_q;
  assign rlast_o  = rlast_q;
  assign rresp_o  = rerr_q ? offload_pkg::RespDecErr : offload_pkg::RespOkay;

  // ---- writes
  logic             wr_busy_q, wr_err_q, bvalid_q, berr_q;
  logic [AddrW-1:0] wr_addr_q;

  assign awready_o = !wr_busy_q && !bvalid_q;
  assign wready_o  = wr_busy_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_busy_q <= 1'b0;
      wr_err_q  <= 1'b0;
      wr_addr_q <= '0;
      bvalid_q  <= 1'b0;
      berr_q    <= 1'b0;
    end else begin
      if (awvalid_i && awready_o) begin
        wr_busy_q <= 1'b1;
        wr_err_q  <= (|awaddr_i[63:ByteW]) || (|awaddr_i[Lsb-1:0]);
        wr_addr_q <= awaddr_i[Lsb +: AddrW];
      end else if (wvalid_i && wready_o) begin
        wr_addr_q <= wr_addr_q + AddrW'(1);
        if (wlast_i) begin
          wr_busy_q <= 1'b0;
          bvalid_q  <= 1'b1;
          berr_q    <= wr_err_q;
        end
      end
      if (bvalid_q && bready_i) begin
        bvalid_q <= 1'b0;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    for (int b = 0; b < StrbW; b++) begin
      if (wvalid_i && wready_o && !wr_err_q && wstrb_i[b]) begin
        mem[wr_addr_q][8*b +: 8] <= wdata_i[8*b +: 8];
      end
    end
  end

  assign bvalid_o = bvalid_q;
  assign bresp_o  = berr_q ? offload_pkg::RespDecErr : offload_pkg::RespOkay;
endmodule
