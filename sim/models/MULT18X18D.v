// Behavioural simulation model of the Lattice ECP5 MULT18X18D (18 x 18 multiplier), written for
// this project's testbenches: Yosys ships only a blackbox for it. Modelled: optional input A/B,
// pipeline and output registers on CLK0 with any CEn/RSTn (SYNC or ASYNC reset), SIGNEDA/SIGNEDB
// (registered with their operand), SOURCEA/SOURCEB (shift-in SRIA/SRIB), ROA/ROB and SROA/SROB
// (the registered operands). Not modelled, refused at time 0: the C input register, registers on
// CLK1-3, MULT_BYPASS, CAS_MATCH_REG, HIGHSPEED_CLK, SOURCEB_MODE other than "B_SHIFT". GSR is
// ignored (registers start at zero, as after a global reset). Checked by sim/test_mult18x18d.py.
`timescale 1ns / 1ps

module MULT18X18D (
    A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11,
    A12, A13, A14, A15, A16, A17, B0, B1, B2, B3, B4, B5,
    B6, B7, B8, B9, B10, B11, B12, B13, B14, B15, B16, B17,
    C0, C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11,
    C12, C13, C14, C15, C16, C17, SIGNEDA, SIGNEDB, SOURCEA, SOURCEB, CLK0, CLK1,
    CLK2, CLK3, CE0, CE1, CE2, CE3, RST0, RST1, RST2, RST3, SRIA0, SRIA1,
    SRIA2, SRIA3, SRIA4, SRIA5, SRIA6, SRIA7, SRIA8, SRIA9, SRIA10, SRIA11, SRIA12, SRIA13,
    SRIA14, SRIA15, SRIA16, SRIA17, SRIB0, SRIB1, SRIB2, SRIB3, SRIB4, SRIB5, SRIB6, SRIB7,
    SRIB8, SRIB9, SRIB10, SRIB11, SRIB12, SRIB13, SRIB14, SRIB15, SRIB16, SRIB17, SROA0, SROA1,
    SROA2, SROA3, SROA4, SROA5, SROA6, SROA7, SROA8, SROA9, SROA10, SROA11, SROA12, SROA13,
    SROA14, SROA15, SROA16, SROA17, SROB0, SROB1, SROB2, SROB3, SROB4, SROB5, SROB6, SROB7,
    SROB8, SROB9, SROB10, SROB11, SROB12, SROB13, SROB14, SROB15, SROB16, SROB17, ROA0, ROA1,
    ROA2, ROA3, ROA4, ROA5, ROA6, ROA7, ROA8, ROA9, ROA10, ROA11, ROA12, ROA13,
    ROA14, ROA15, ROA16, ROA17, ROB0, ROB1, ROB2, ROB3, ROB4, ROB5, ROB6, ROB7,
    ROB8, ROB9, ROB10, ROB11, ROB12, ROB13, ROB14, ROB15, ROB16, ROB17, ROC0, ROC1,
    ROC2, ROC3, ROC4, ROC5, ROC6, ROC7, ROC8, ROC9, ROC10, ROC11, ROC12, ROC13,
    ROC14, ROC15, ROC16, ROC17, P0, P1, P2, P3, P4, P5, P6, P7,
    P8, P9, P10, P11, P12, P13, P14, P15, P16, P17, P18, P19,
    P20, P21, P22, P23, P24, P25, P26, P27, P28, P29, P30, P31,
    P32, P33, P34, P35, SIGNEDP
);
    // The cell's whole parameter list is accepted, so an instance written for the vendor's
    // library elaborates here; those the model does not simulate are ignored, so unused.
    /* verilator lint_off UNUSEDPARAM */
    parameter REG_INPUTA_CLK = "NONE";
    parameter REG_INPUTA_CE = "CE0";
    parameter REG_INPUTA_RST = "RST0";
    parameter REG_INPUTB_CLK = "NONE";
    parameter REG_INPUTB_CE = "CE0";
    parameter REG_INPUTB_RST = "RST0";
    parameter REG_INPUTC_CLK = "NONE";
    parameter REG_INPUTC_CE = "CE0";
    parameter REG_INPUTC_RST = "RST0";
    parameter REG_PIPELINE_CLK = "NONE";
    parameter REG_PIPELINE_CE = "CE0";
    parameter REG_PIPELINE_RST = "RST0";
    parameter REG_OUTPUT_CLK = "NONE";
    parameter REG_OUTPUT_CE = "CE0";
    parameter REG_OUTPUT_RST = "RST0";
    parameter CLK0_DIV = "ENABLED";
    parameter CLK1_DIV = "ENABLED";
    parameter CLK2_DIV = "ENABLED";
    parameter CLK3_DIV = "ENABLED";
    parameter HIGHSPEED_CLK = "NONE";
    parameter GSR = "ENABLED";
    parameter CAS_MATCH_REG = "FALSE";
    parameter SOURCEB_MODE = "B_SHIFT";
    parameter MULT_BYPASS = "DISABLED";
    parameter RESETMODE = "SYNC";
    /* verilator lint_on UNUSEDPARAM */

    input A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15, A16, A17, B0,
        B1, B2, B3, B4, B5, B6, B7, B8, B9, B10, B11, B12, B13, B14, B15, B16, B17, C0, C1, C2,
        C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16, C17, SIGNEDA, SIGNEDB,
        SOURCEA, SOURCEB, CLK0, CLK1, CLK2, CLK3, CE0, CE1, CE2, CE3, RST0, RST1, RST2, RST3,
        SRIA0, SRIA1, SRIA2, SRIA3, SRIA4, SRIA5, SRIA6, SRIA7, SRIA8, SRIA9, SRIA10, SRIA11,
        SRIA12, SRIA13, SRIA14, SRIA15, SRIA16, SRIA17, SRIB0, SRIB1, SRIB2, SRIB3, SRIB4,
        SRIB5, SRIB6, SRIB7, SRIB8, SRIB9, SRIB10, SRIB11, SRIB12, SRIB13, SRIB14, SRIB15,
        SRIB16, SRIB17;
    output SROA0, SROA1, SROA2, SROA3, SROA4, SROA5, SROA6, SROA7, SROA8, SROA9, SROA10, SROA11,
        SROA12, SROA13, SROA14, SROA15, SROA16, SROA17, SROB0, SROB1, SROB2, SROB3, SROB4,
        SROB5, SROB6, SROB7, SROB8, SROB9, SROB10, SROB11, SROB12, SROB13, SROB14, SROB15,
        SROB16, SROB17, ROA0, ROA1, ROA2, ROA3, ROA4, ROA5, ROA6, ROA7, ROA8, ROA9, ROA10,
        ROA11, ROA12, ROA13, ROA14, ROA15, ROA16, ROA17, ROB0, ROB1, ROB2, ROB3, ROB4, ROB5,
        ROB6, ROB7, ROB8, ROB9, ROB10, ROB11, ROB12, ROB13, ROB14, ROB15, ROB16, ROB17, ROC0,
        ROC1, ROC2, ROC3, ROC4, ROC5, ROC6, ROC7, ROC8, ROC9, ROC10, ROC11, ROC12, ROC13, ROC14,
        ROC15, ROC16, ROC17, P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13, P14,
        P15, P16, P17, P18, P19, P20, P21, P22, P23, P24, P25, P26, P27, P28, P29, P30, P31,
        P32, P33, P34, P35, SIGNEDP;

    // "CEn" / "RSTn" -> n, from the last character of the string: '0'..'3' is 8'h30..8'h33.
    // The caller passes that character (PARAM[7:0]), so that the argument has the width of
    // the input whatever the length of the string (Verilator checks it).
    // Only the two low bits of the character name the clock enable or reset.
    /* verilator lint_off UNUSEDSIGNAL */
    function [1:0] pick;
        input [7:0] last;
        pick = last[1:0];
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */

    // Registers clock on CLK0 straight from the port: a clock taken through an expression
    // would fire a delta cycle late and sample operands that the same edge already changed.
    function clk_ok;
        input [8*4-1:0] s;
        clk_ok = s == "NONE" || s == "CLK0";
    endfunction

    initial begin
        if (!clk_ok(REG_INPUTA_CLK) || !clk_ok(REG_INPUTB_CLK) || !clk_ok(REG_PIPELINE_CLK)
                || !clk_ok(REG_OUTPUT_CLK) || REG_INPUTC_CLK != "NONE"
                || MULT_BYPASS != "DISABLED" || CAS_MATCH_REG != "FALSE"
                || HIGHSPEED_CLK != "NONE" || SOURCEB_MODE != "B_SHIFT"
                || (RESETMODE != "SYNC" && RESETMODE != "ASYNC")) begin
            $display("MULT18X18D model: unsupported parameters in %m");
            $finish;
        end
    end

    wire [3:0] ce = {CE3, CE2, CE1, CE0};
    wire [3:0] rst = {RST3, RST2, RST1, RST0};

    wire [17:0] a_sri = {SRIA17, SRIA16, SRIA15, SRIA14, SRIA13, SRIA12, SRIA11, SRIA10, SRIA9,
        SRIA8, SRIA7, SRIA6, SRIA5, SRIA4, SRIA3, SRIA2, SRIA1, SRIA0};
    wire [17:0] a_pin = {A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2,
        A1, A0};
    wire [17:0] a_in = SOURCEA ? a_sri : a_pin;
    wire [17:0] b_sri = {SRIB17, SRIB16, SRIB15, SRIB14, SRIB13, SRIB12, SRIB11, SRIB10, SRIB9,
        SRIB8, SRIB7, SRIB6, SRIB5, SRIB4, SRIB3, SRIB2, SRIB1, SRIB0};
    wire [17:0] b_pin = {B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2,
        B1, B0};
    wire [17:0] b_in = SOURCEB ? b_sri : b_pin;

    // Input registers carry the operand and its sign flag.
    wire [18:0] a_q, b_q;
    MULT18X18D_stage #(.W(19), .CLK(REG_INPUTA_CLK), .RESETMODE(RESETMODE)) reg_a (
        .clk(CLK0), .ce(ce[pick(REG_INPUTA_CE[7:0])]),
        .rst(rst[pick(REG_INPUTA_RST[7:0])]), .d({SIGNEDA, a_in}), .q(a_q));
    MULT18X18D_stage #(.W(19), .CLK(REG_INPUTB_CLK), .RESETMODE(RESETMODE)) reg_b (
        .clk(CLK0), .ce(ce[pick(REG_INPUTB_CE[7:0])]),
        .rst(rst[pick(REG_INPUTB_RST[7:0])]), .d({SIGNEDB, b_in}), .q(b_q));

    wire signed [18:0] a_ext = {a_q[18] & a_q[17], a_q[17:0]};
    wire signed [18:0] b_ext = {b_q[18] & b_q[17], b_q[17:0]};
    wire signed [37:0] prod = a_ext * b_ext;

    wire [36:0] pipe_q, out_q;
    MULT18X18D_stage #(.W(37), .CLK(REG_PIPELINE_CLK), .RESETMODE(RESETMODE)) reg_pipe (
        .clk(CLK0), .ce(ce[pick(REG_PIPELINE_CE[7:0])]),
        .rst(rst[pick(REG_PIPELINE_RST[7:0])]), .d({a_q[18] | b_q[18], prod[35:0]}),
        .q(pipe_q));
    MULT18X18D_stage #(.W(37), .CLK(REG_OUTPUT_CLK), .RESETMODE(RESETMODE)) reg_out (
        .clk(CLK0), .ce(ce[pick(REG_OUTPUT_CE[7:0])]),
        .rst(rst[pick(REG_OUTPUT_RST[7:0])]), .d(pipe_q), .q(out_q));

    assign {SIGNEDP, P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21,
        P20, P19, P18, P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2,
        P1, P0} = out_q;
    assign {ROA17, ROA16, ROA15, ROA14, ROA13, ROA12, ROA11, ROA10, ROA9, ROA8, ROA7, ROA6,
        ROA5, ROA4, ROA3, ROA2, ROA1, ROA0} = a_q[17:0];
    assign {ROB17, ROB16, ROB15, ROB14, ROB13, ROB12, ROB11, ROB10, ROB9, ROB8, ROB7, ROB6,
        ROB5, ROB4, ROB3, ROB2, ROB1, ROB0} = b_q[17:0];
    assign {SROA17, SROA16, SROA15, SROA14, SROA13, SROA12, SROA11, SROA10, SROA9, SROA8, SROA7,
        SROA6, SROA5, SROA4, SROA3, SROA2, SROA1, SROA0} = a_q[17:0];
    assign {SROB17, SROB16, SROB15, SROB14, SROB13, SROB12, SROB11, SROB10, SROB9, SROB8, SROB7,
        SROB6, SROB5, SROB4, SROB3, SROB2, SROB1, SROB0} = b_q[17:0];
    assign {ROC17, ROC16, ROC15, ROC14, ROC13, ROC12, ROC11, ROC10, ROC9, ROC8, ROC7, ROC6,
        ROC5, ROC4, ROC3, ROC2, ROC1, ROC0} = {C17, C16, C15, C14, C13, C12, C11, C10, C9, C8,
        C7, C6, C5, C4, C3, C2, C1, C0};
endmodule

// One optional register of the multiplier: a wire when CLK is "NONE".
module MULT18X18D_stage #(parameter W = 1, parameter CLK = "NONE", parameter RESETMODE = "SYNC") (
    input clk, input ce, input rst, input [W-1:0] d, output [W-1:0] q
);
    reg [W-1:0] r = 0;
    generate
        if (CLK == "NONE") begin : comb
            assign q = d;
        end else if (RESETMODE == "ASYNC") begin : async_reset
            always @(posedge clk or posedge rst)
                if (rst) r <= 0; else if (ce) r <= d;
            assign q = r;
        end else begin : sync_reset
            always @(posedge clk)
                if (rst) r <= 0; else if (ce) r <= d;
            assign q = r;
        end
    endgenerate
endmodule
