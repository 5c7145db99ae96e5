// Behavioural simulation model of the Lattice ECP5 DP16KD true dual-port block RAM (18 kbit),
// for the modes this project instantiates (hw/topk_mem.py): both ports the same width of
// 1, 2, 4, 9 or 18 bits, or the x36 pseudo-dual-port mode (both widths 36, see below), REGMODE "NOREG" or "OUTREG", WRITEMODE "NORMAL", "WRITETHROUGH" or
// "READBEFOREWRITE", RESETMODE "SYNC", CSDECODE "0b000".."0b111", default clock polarity.
// Any other parameter value stops the simulation at time 0 with $fatal.
//
// Address mapping (Lattice TN1264, and Yosys' techlibs/ecp5 brams_connect.py / brams_map.v):
// the word address is left-justified on AD[13:0]:
//   x1: AD[13:0]   x2: AD[13:1]   x4: AD[13:2]   x9: AD[13:3]   x18: AD[13:4]
// the unused low bits are ignored, except in x18 where AD[1:0] are the write byte enables
// (AD[0]: DI[8:0], AD[1]: DI[17:9]). Data is on DI/DO[width-1:0].
//
// Behaviour per port, on the rising clock edge when CE is high and {CS2, CS1, CS0} equals
// CSDECODE: WE high writes DI (byte enables in x18); the output latch then follows WRITEMODE
// (NORMAL: unchanged, WRITETHROUGH: the new word, READBEFOREWRITE: the old word); WE low reads
// the word into the output latch. RST (synchronous) clears the latch. REGMODE "OUTREG" adds
// the output register, loaded from the latch on the clock edge when OCE is high (cleared by
// RST): data then appears two edges after its address, one edge with "NOREG".
// A read of the word the other port writes on the same edge returns X (the hardware does not
// define it), so a design that depends on it fails visibly. Contents start at zero (the
// INITVAL_* defaults); GSR and the MUX parameters are accepted and ignored.
//
// x36 pseudo-dual-port mode (DATA_WIDTH_A = DATA_WIDTH_B = 36, the PDPW16KD of TN1264 as
// Yosys' brams_map_16kd.v maps it): 512 words of 36 bits. Port A only writes: when CEA and WEA
// are high (and CSA matches), the bytes of {DIB, DIA} whose enables ADA[3:0] are high (ADA0:
// bits 8:0, ... ADA3: bits 35:27) are written at ADA[13:5]. Port B only reads ADB[13:5] (a
// write on port B stops the simulation); {DOB, DOA} carry the word, through the output register
// when REGMODE is "OUTREG" (REGMODE_A must equal REGMODE_B; OCEB and RSTB control it).
`timescale 1ns / 1ps
module DP16KD (
  input DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5,
  input DIA4, DIA3, DIA2, DIA1, DIA0,
  input ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
  input CEA, OCEA, CLKA, WEA, RSTA,
  input CSA2, CSA1, CSA0,
  output DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5,
  output DOA4, DOA3, DOA2, DOA1, DOA0,
  input DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5,
  input DIB4, DIB3, DIB2, DIB1, DIB0,
  input ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
  input CEB, OCEB, CLKB, WEB, RSTB,
  input CSB2, CSB1, CSB0,
  output DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5,
  output DOB4, DOB3, DOB2, DOB1, DOB0
);
  // The cell's whole parameter list is accepted, so an instance written for the vendor's
  // library elaborates here; those the model does not simulate are ignored, so unused.
  /* verilator lint_off UNUSEDPARAM */
  parameter DATA_WIDTH_A = 18;
  parameter DATA_WIDTH_B = 18;
  parameter REGMODE_A = "NOREG";
  parameter REGMODE_B = "NOREG";
  parameter RESETMODE = "SYNC";
  parameter ASYNC_RESET_RELEASE = "SYNC";
  parameter CSDECODE_A = "0b000";
  parameter CSDECODE_B = "0b000";
  parameter WRITEMODE_A = "NORMAL";
  parameter WRITEMODE_B = "NORMAL";
  parameter CLKAMUX = "CLKA";
  parameter CLKBMUX = "CLKB";
  parameter GSR = "ENABLED";
  parameter INIT_DATA = "STATIC";
  /* verilator lint_on UNUSEDPARAM */

  wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7,
                     DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
  wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7,
                     DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
  wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2,
                     ADA1, ADA0};
  wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2,
                     ADB1, ADB0};

  // Address bits below the word address: log2 of the width, 3 for x9, 4 for x18.
  // The argument is the port width, named as the cell's documentation names it.
  /* verilator lint_off VARHIDDEN */
  function integer lsbs(input integer width);
    lsbs = width == 1 ? 0 : width == 2 ? 1 : width == 4 ? 2 : width == 9 ? 3 : 4;
  endfunction
  /* verilator lint_on VARHIDDEN */

  // CSDECODE "0bXYZ" as a number; -1 when it is not one of the eight values.
  function integer csdecode(input [8 * 5 - 1:0] s);
    integer i;
    begin
      csdecode = -1;
      for (i = 0; i < 8; i = i + 1)
        if (s == {"0b", i[2] ? "1" : "0", i[1] ? "1" : "0", i[0] ? "1" : "0"}) csdecode = i;
    end
  endfunction

  localparam integer WA = DATA_WIDTH_A;
  localparam integer WB = DATA_WIDTH_B;
  localparam integer SA = lsbs(WA);
  localparam integer SB = lsbs(WB);
  localparam integer CS_A = csdecode(CSDECODE_A);
  localparam integer CS_B = csdecode(CSDECODE_B);

  localparam PDP = WA == 36;

  initial begin
    if (!(WA == 1 || WA == 2 || WA == 4 || WA == 9 || WA == 18 || WA == 36))
      $fatal(1, "DP16KD %m: DATA_WIDTH_A must be 1, 2, 4, 9, 18 or 36, got %0d", WA);
    if (PDP && REGMODE_A != REGMODE_B)
      $fatal(1, "DP16KD %m: x36 needs REGMODE_A = REGMODE_B in this model, got %s, %s",
             REGMODE_A, REGMODE_B);
    if (WB != WA)
      $fatal(1, "DP16KD %m: DATA_WIDTH_B must equal DATA_WIDTH_A (%0d) in this model, got %0d",
             WA, WB);
    if (REGMODE_A != "NOREG" && REGMODE_A != "OUTREG")
      $fatal(1, "DP16KD %m: REGMODE_A must be NOREG or OUTREG, got %s", REGMODE_A);
    if (REGMODE_B != "NOREG" && REGMODE_B != "OUTREG")
      $fatal(1, "DP16KD %m: REGMODE_B must be NOREG or OUTREG, got %s", REGMODE_B);
    if (RESETMODE != "SYNC")
      $fatal(1, "DP16KD %m: RESETMODE must be SYNC in this model, got %s", RESETMODE);
    if (CS_A < 0)
      $fatal(1, "DP16KD %m: CSDECODE_A must be 0b000..0b111, got %s", CSDECODE_A);
    if (CS_B < 0)
      $fatal(1, "DP16KD %m: CSDECODE_B must be 0b000..0b111, got %s", CSDECODE_B);
    if (WRITEMODE_A != "NORMAL" && WRITEMODE_A != "WRITETHROUGH"
        && WRITEMODE_A != "READBEFOREWRITE")
      $fatal(1, "DP16KD %m: WRITEMODE_A must be NORMAL, WRITETHROUGH or READBEFOREWRITE, got %s",
             WRITEMODE_A);
    if (WRITEMODE_B != "NORMAL" && WRITEMODE_B != "WRITETHROUGH"
        && WRITEMODE_B != "READBEFOREWRITE")
      $fatal(1, "DP16KD %m: WRITEMODE_B must be NORMAL, WRITETHROUGH or READBEFOREWRITE, got %s",
             WRITEMODE_B);
    if (CLKAMUX != "CLKA" || CLKBMUX != "CLKB")
      $fatal(1, "DP16KD %m: CLKAMUX/CLKBMUX must be CLKA/CLKB (no inversion) in this model");
  end

  // One 18-bit slot per word address of the mode; only the low WA bits are used.
  reg [17:0] mem [0:16383];
  integer k;
  initial for (k = 0; k < 16384; k = k + 1) mem[k] = 18'd0;

  wire [13:0] wa = ada >> SA;
  wire [13:0] wb = adb >> SB;
  wire [17:0] mask = (18'd1 << WA) - 18'd1;
  // Bits written: all of the word, or the enabled bytes in x18.
  wire [17:0] bea = WA == 18 ? {{9{ada[1]}}, {9{ada[0]}}} : mask;
  wire [17:0] beb = WB == 18 ? {{9{adb[1]}}, {9{adb[0]}}} : mask;
  wire ena = CEA && {CSA2, CSA1, CSA0} == CS_A[2:0];
  wire enb = CEB && {CSB2, CSB1, CSB0} == CS_B[2:0];

  reg [17:0] lat_a = 18'd0, lat_b = 18'd0, reg_a = 18'd0, reg_b = 18'd0;

  // Both ports in one process, so that same-edge collisions are seen from both sides; this
  // needs one clock for both ports (CLKA and CLKB on the same net), which is checked.
  // The memory is written with blocking assignments on purpose: the same edge reads the old
  // word first, then the write and the read-during-write cases use it.
  /* verilator lint_off BLKSEQ */
  always @(posedge CLKA or posedge CLKB) begin : ports
    reg [17:0] old_a, old_b;
    reg wr_a, wr_b, rd_a, rd_b;
    if (PDP) disable ports;
    if (CLKA !== CLKB)
      $fatal(1, "DP16KD %m: this model needs CLKA and CLKB on the same clock");
    wr_a = ena && WEA;
    wr_b = enb && WEB;
    rd_a = ena && !WEA;
    rd_b = enb && !WEB;
    old_a = mem[wa];
    old_b = mem[wb];
    // Output registers take the latch value before this edge updates it.
    if (RSTA) reg_a <= 18'd0;
    else if (OCEA) reg_a <= lat_a;
    if (RSTB) reg_b <= 18'd0;
    else if (OCEB) reg_b <= lat_b;
    if (wr_a) mem[wa] = (old_a & ~bea) | (dia & bea);
    if (wr_b) mem[wb] = (mem[wb] & ~beb) | (dib & beb);
    if (wr_a && wr_b && wa == wb) mem[wa] = 18'bx;
    if (RSTA) lat_a <= 18'd0;
    else if (rd_a) lat_a <= (wr_b && wb == wa) ? 18'bx : old_a & mask;
    else if (wr_a && WRITEMODE_A == "WRITETHROUGH") lat_a <= mem[wa] & mask;
    else if (wr_a && WRITEMODE_A == "READBEFOREWRITE") lat_a <= old_a & mask;
    if (RSTB) lat_b <= 18'd0;
    else if (rd_b) lat_b <= (wr_a && wa == wb) ? 18'bx : old_b & mask;
    else if (wr_b && WRITEMODE_B == "WRITETHROUGH") lat_b <= mem[wb] & mask;
    else if (wr_b && WRITEMODE_B == "READBEFOREWRITE") lat_b <= old_b & mask;
  end

  // x36: one 36-bit word per address ADx[13:5].
  reg [35:0] mem36 [0:511];
  initial for (k = 0; k < 512; k = k + 1) mem36[k] = 36'd0;
  reg [35:0] lat36 = 36'd0, reg36 = 36'd0;
  wire [35:0] be36 = {{9{ada[3]}}, {9{ada[2]}}, {9{ada[1]}}, {9{ada[0]}}};
  always @(posedge CLKA or posedge CLKB) begin : pdp
    reg wr;
    if (!PDP) disable pdp;
    if (CLKA !== CLKB)
      $fatal(1, "DP16KD %m: this model needs CLKA and CLKB on the same clock");
    if (enb && WEB)
      $fatal(1, "DP16KD %m: x36 (pseudo dual port) does not write on port B");
    wr = ena && WEA && ada[3:0] != 4'd0;
    if (RSTB) reg36 <= 36'd0;
    else if (OCEB) reg36 <= lat36;
    if (RSTB) lat36 <= 36'd0;
    else if (enb) lat36 <= (wr && ada[13:5] == adb[13:5]) ? 36'bx : mem36[adb[13:5]];
    if (wr) mem36[ada[13:5]] = (mem36[ada[13:5]] & ~be36) | ({dib, dia} & be36);
  end
  /* verilator lint_on BLKSEQ */

  wire [17:0] doa = PDP ? (REGMODE_B == "OUTREG" ? reg36[17:0] : lat36[17:0])
                        : REGMODE_A == "OUTREG" ? reg_a : lat_a;
  wire [17:0] dob = PDP ? (REGMODE_B == "OUTREG" ? reg36[35:18] : lat36[35:18])
                        : REGMODE_B == "OUTREG" ? reg_b : lat_b;
  assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5,
          DOA4, DOA3, DOA2, DOA1, DOA0} = doa;
  assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5,
          DOB4, DOB3, DOB2, DOB1, DOB0} = dob;
endmodule
