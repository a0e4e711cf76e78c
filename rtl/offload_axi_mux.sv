// offload_axi_mux: the engines' memory ports merged into one AXI4 master (one ID: everything in order).
//
//   AR   round robin among the engines presenting an address; the winner's number goes into a route
//        FIFO, whose head says whose the next read burst's data are. R is always accepted (each engine
//        has reserved room for every burst it has asked for) and goes to its engine unregistered.
//   AW/W the write channels go to one engine for a whole burst: the engine presents its address and
//        its first beat together; the mux picks one (round robin, so that an engine with back-to-back
//        bursts cannot starve the others), and keeps W for it until the last beat, whether
//        the address was accepted before, with or after the data. WVALID never waits for AWREADY.
//        The owner's number goes into a second route FIFO for the write response.
//   B    registered (one cycle), then to its engine; always accepted.
`default_nettype none

module offload_axi_mux #(
  parameter int NumEng               = 3,
  parameter int DataWidth            = 64,
  parameter int BurstBeats           = 16,
  parameter int MaxOutstandingReads  = 4,
  parameter int MaxOutstandingWrites = 4
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  // Engines (engine e in bits e*W +: W).
  input  logic [NumEng-1:0]             e_ar_valid_i,
  output logic [NumEng-1:0]             e_ar_ready_o,
  input  logic [NumEng*64-1:0]          e_ar_addr_i,
  output logic [NumEng-1:0]             e_r_valid_o,
  output logic [DataWidth-1:0]          e_r_data_o,
  output logic                          e_r_err_o,
  output logic                          e_r_last_o,
  input  logic [NumEng-1:0]             e_aw_valid_i,
  output logic [NumEng-1:0]             e_aw_ready_o,
  input  logic [NumEng*64-1:0]          e_aw_addr_i,
  input  logic [NumEng*2-1:0]           e_aw_user_i,
  input  logic [NumEng-1:0]             e_w_valid_i,
  output logic [NumEng-1:0]             e_w_ready_o,
  input  logic [NumEng*DataWidth-1:0]   e_w_data_i,
  input  logic [NumEng*DataWidth/8-1:0] e_w_strb_i,
  input  logic [NumEng-1:0]             e_w_last_i,
  output logic [NumEng-1:0]             e_b_valid_o,
  output logic                          e_b_err_o,
  // AXI4 master.
  output logic                          ar_valid_o,
  input  logic                          ar_ready_i,
  output logic [63:0]                   ar_addr_o,
  output logic [7:0]                    ar_len_o,
  output logic [2:0]                    ar_size_o,
  output logic [1:0]                    ar_burst_o,
  input  logic                          r_valid_i,
  output logic                          r_ready_o,
  input  logic [DataWidth-1:0]          r_data_i,
  input  logic [1:0]                    r_resp_i,
  input  logic                          r_last_i,
  output logic                          aw_valid_o,
  input  logic                          aw_ready_i,
  output logic [63:0]                   aw_addr_o,
  output logic [7:0]                    aw_len_o,
  output logic [2:0]                    aw_size_o,
  output logic [1:0]                    aw_burst_o,
  output logic [1:0]                    aw_user_o,
  output logic                          w_valid_o,
  input  logic                          w_ready_i,
  output logic [DataWidth-1:0]          w_data_o,
  output logic [DataWidth/8-1:0]        w_strb_o,
  output logic                          w_last_o,
  input  logic                          b_valid_i,
  output logic                          b_ready_o,
  input  logic [1:0]                    b_resp_i
);
  localparam int EngW   = (NumEng > 1) ? $clog2(NumEng) : 1;
  localparam int RDepth = 1 << $clog2(NumEng * MaxOutstandingReads);
  localparam int BDepth = 1 << $clog2(NumEng * MaxOutstandingWrites);
  localparam int StrbW  = DataWidth / 8;

  assign ar_len_o   = 8'(BurstBeats - 1);
  assign ar_size_o  = 3'($clog2(StrbW));
  assign ar_burst_o = offload_pkg::BurstIncr;
  assign aw_len_o   = 8'(BurstBeats - 1);
  assign aw_size_o  = 3'($clog2(StrbW));
  assign aw_burst_o = offload_pkg::BurstIncr;

  // Round robin: the first requester after the last one served (a decode: the loop bounds are
  // constants, so no adder is built).
  function automatic logic [EngW-1:0] next_after(input logic [NumEng-1:0] req, input logic [EngW-1:0] last);
    next_after = last;
    // (The loops are not nested in an if: Yosys would read a loop variable declared under a
    // condition as a latch.)
    for (int l = 0; l < NumEng; l++) begin
      for (int k = NumEng; k >= 1; k--) begin
        if (last == EngW'(l) && req[(l + k) % NumEng]) begin
          next_after = EngW'((l + k) % NumEng);
        end
      end
    end
  endfunction

  // ---- AR: round robin; an address not yet accepted keeps the channel (AXI: ARVALID and ARADDR
  // hold until ARREADY).
  logic [EngW-1:0] ar_pick, ar_rr, ar_last_q;
  logic            ar_wait_q;
  assign ar_rr   = next_after(e_ar_valid_i, ar_last_q);
  assign ar_pick = ar_wait_q ? ar_last_q : ar_rr;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ar_wait_q <= 1'b0;
      ar_last_q <= EngW'(NumEng - 1);
    end else begin
      ar_wait_q <= ar_valid_o && !ar_ready_i;
      if (ar_valid_o) begin
        ar_last_q <= ar_pick;
      end
    end
  end
  assign ar_valid_o = |e_ar_valid_i;
  // (Variable-index selects decoded by hand: Yosys builds full-width shifters for them. Engine 0 is
  // the default, taken inside the loop: Icarus 11 takes no constant select in always_comb. Outputs
  // are built in locals and written once: see offload_engine.)
  always_comb begin : c_ar
    logic [63:0] addr;
    addr = '0;
    for (int e = 0; e < NumEng; e++) begin
      e_ar_ready_o[e] = ar_ready_i && (ar_pick == EngW'(e));
      if (e == 0 || ar_pick == EngW'(e)) addr = e_ar_addr_i[64*e +: 64];
    end
    ar_addr_o = addr;
  end

  // ---- R: to the engine at the head of the route FIFO.
  logic [EngW-1:0] r_owner;
  logic            r_route_empty;
  offload_route_fifo #(
    .Width(EngW),
    .Depth(RDepth)
  ) u_r_route (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .push_i (ar_valid_o && ar_ready_i),
    .data_i (ar_pick),
    .pop_i  (r_valid_i && r_last_i),
    .data_o (r_owner),
    .empty_o(r_route_empty)
  );
  assign r_ready_o  = 1'b1;
  assign e_r_data_o = r_data_i;
  assign e_r_err_o  = r_resp_i[1];  // SLVERR or DECERR
  assign e_r_last_o = r_last_i;
  always_comb begin
    for (int e = 0; e < NumEng; e++) begin
      e_r_valid_o[e] = r_valid_i && (r_owner == EngW'(e));
    end
  end

  // ---- AW/W: one engine owns both channels from its address to its last beat.
  logic            w_busy_q, aw_done_q;
  logic [EngW-1:0] w_owner_q, aw_pick, w_sel;
  logic            w_any, aw_fire, w_fire, w_end;
  assign aw_pick = next_after(e_aw_valid_i, w_owner_q);
  assign w_sel      = w_busy_q ? w_owner_q : aw_pick;
  assign w_any      = w_busy_q || (|e_aw_valid_i);
  assign aw_valid_o = w_any && !aw_done_q && e_aw_valid_i[w_sel];
  assign w_valid_o  = w_any && e_w_valid_i[w_sel];
  assign w_last_o   = e_w_last_i[w_sel];
  always_comb begin : c_w
    logic [63:0]          addr;
    logic [1:0]           user;
    logic [DataWidth-1:0] data;
    logic [StrbW-1:0]     strb;
    {addr, user, data, strb} = '0;
    for (int e = 0; e < NumEng; e++) begin
      if (e == 0 || w_sel == EngW'(e)) begin
        addr = e_aw_addr_i[64*e +: 64];
        user = e_aw_user_i[2*e +: 2];
        data = e_w_data_i[DataWidth*e +: DataWidth];
        strb = e_w_strb_i[StrbW*e +: StrbW];
      end
    end
    aw_addr_o = addr;
    aw_user_o = user;
    w_data_o  = data;
    w_strb_o  = strb;
  end
  assign aw_fire    = aw_valid_o && aw_ready_i;
  assign w_fire     = w_valid_o && w_ready_i;
  assign w_end      = (aw_done_q || aw_fire) && w_fire && w_last_o;
  always_comb begin
    for (int e = 0; e < NumEng; e++) begin
      e_aw_ready_o[e] = w_any && !aw_done_q && aw_ready_i && (w_sel == EngW'(e));
      e_w_ready_o[e]  = w_any && w_ready_i && (w_sel == EngW'(e));
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      w_busy_q  <= 1'b0;
      w_owner_q <= '0;
      aw_done_q <= 1'b0;
    end else if (w_end) begin
      w_busy_q  <= 1'b0;
      aw_done_q <= 1'b0;
    end else if (w_any) begin
      w_busy_q  <= 1'b1;
      w_owner_q <= w_sel;
      aw_done_q <= aw_done_q || aw_fire;
    end
  end

  // ---- B: registered, to the engine at the head of the second route FIFO.
  logic [EngW-1:0] b_owner;
  logic            b_route_empty, b_valid_q, b_err_q;
  logic [EngW-1:0] b_owner_q;
  offload_route_fifo #(
    .Width(EngW),
    .Depth(BDepth)
  ) u_b_route (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .push_i (aw_fire),
    .data_i (w_sel),
    .pop_i  (b_valid_i),
    .data_o (b_owner),
    .empty_o(b_route_empty)
  );
  assign b_ready_o = 1'b1;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      b_valid_q <= 1'b0;
      b_err_q   <= 1'b0;
      b_owner_q <= '0;
    end else begin
      b_valid_q <= b_valid_i;
      b_err_q   <= b_resp_i[1];
      b_owner_q <= b_owner;
    end
  end
  assign e_b_err_o = b_err_q;
  always_comb begin
    for (int e = 0; e < NumEng; e++) begin
      e_b_valid_o[e] = b_valid_q && (b_owner_q == EngW'(e));
    end
  end

  logic unused_resp;
  assign unused_resp = ^{r_resp_i[0], b_resp_i[0]};

`ifndef SYNTHESIS
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni) begin
      if (r_valid_i && r_route_empty) begin
        $error("offload_axi_mux: read data with no read outstanding");
      end
      if (b_valid_i && b_route_empty) begin
        $error("offload_axi_mux: write response with no write outstanding");
      end
    end
  end
`endif
endmodule
