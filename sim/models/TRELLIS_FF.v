// Behavioural simulation model of the Lattice ECP5 TRELLIS_FF (the slice flip-flop as Yosys
// and nextpnr name it), for this project's testbenches. Modelled: rising-edge clock
// (CLKMUX "CLK"), clock enable always on (CEMUX "1") or from CE (CEMUX "CE"), synchronous
// set/reset from LSR (SRMODE "LSR_OVER_CE", LSRMUX "LSR", REGSET "RESET" or "SET"). Other
// parameter values are refused at time 0. GSR is ignored: the register starts at its LSR
// value, as after a global reset. Used by hw/systolic_mult.py:kept_register.
`timescale 1ns / 1ps

module TRELLIS_FF (input CLK, input LSR, input CE, input DI, input M, output reg Q);
    // The cell's whole parameter list is accepted, so an instance written for the vendor's
    // library elaborates here; those the model does not simulate are ignored, so unused.
    /* verilator lint_off UNUSEDPARAM */
    parameter GSR = "ENABLED";
    parameter CEMUX = "1";
    parameter CLKMUX = "CLK";
    parameter LSRMUX = "LSR";
    parameter SRMODE = "LSR_OVER_CE";
    parameter REGSET = "RESET";
    parameter LSRMODE = "LSR";
    /* verilator lint_on UNUSEDPARAM */

    initial begin
        if ((CEMUX != "1" && CEMUX != "CE") || CLKMUX != "CLK" || LSRMUX != "LSR"
                || SRMODE != "LSR_OVER_CE" || (REGSET != "RESET" && REGSET != "SET")
                || LSRMODE != "LSR") begin
            $display("TRELLIS_FF model: unsupported parameters in %m");
            $finish;
        end
        Q = REGSET == "SET";
    end

    wire ce = CEMUX == "1" ? 1'b1 : CE;

    always @(posedge CLK)
        if (LSR === 1'b1)
            Q <= REGSET == "SET";
        else if (ce)
            Q <= DI;
endmodule
