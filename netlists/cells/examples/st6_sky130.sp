* Six-transistor CMOS Schmitt-trigger inverter on the SkyWater sky130 1.8 V devices.
* hwsim-cell: kind=schmitt subckt=st6 in=IN out=OUT supply=VPWR ground=VGND
*
* Source of the design: the classic six-transistor Schmitt trigger (J. Dokic, "CMOS Schmitt
* triggers", IEE Proc. G 131(5), 1984; analysed and given its design equations in I. M. Filanovsky
* and H. Baltes, "CMOS Schmitt trigger design", IEEE Trans. Circuits Syst. I 41(1):46-49, 1994;
* the same circuit is the Schmitt trigger of R. J. Baker's "CMOS Circuit Design, Layout, and
* Simulation"). Topology from those publications; this netlist was written for hwsim (no code was
* copied) and the devices were sized here with the published first-order equations
*   (W/L)_MN1 / (W/L)_MN3 = ((VDD - VT+) / (VT+ - VTN))^2,
*   (W/L)_MP1 / (W/L)_MP3 = (VT- / (VDD - VT- - |VTP|))^2,
* for VT+ ~ 0.6 VDD and VT- ~ 0.3 VDD at VDD = 1.8 V with VTN ~ 0.5 V, |VTP| ~ 0.6 V (body effect
* ignored, so the measured thresholds differ: hwsim measures them). No output buffer: the core
* node drives the load directly, unlike hwsim's built-in cell.
* Licence: this file is part of hwsim (same licence as the repository); the design is textbook
* material. Models: the sky130 PDK's own device names (sky130_fd_pr__nfet_01v8 / __pfet_01v8,
* W and L in um), loaded by hwsim's sky130 device library (`--library sky130`).
*
* Ports: IN (Schmitt input), OUT (inverted output), VPWR, VGND.
.subckt st6 IN OUT VPWR VGND
* pull-down stack and its feedback device (sets VT+)
XMN1 nd IN VGND VGND sky130_fd_pr__nfet_01v8 w=1.5 l=0.15
XMN2 OUT IN nd VGND sky130_fd_pr__nfet_01v8 w=1.5 l=0.15
XMN3 VPWR OUT nd VGND sky130_fd_pr__nfet_01v8 w=1.0 l=0.15
* pull-up stack and its feedback device (sets VT-)
XMP1 pu IN VPWR VPWR sky130_fd_pr__pfet_01v8 w=3.0 l=0.15
XMP2 OUT IN pu VPWR sky130_fd_pr__pfet_01v8 w=3.0 l=0.15
XMP3 VGND OUT pu VPWR sky130_fd_pr__pfet_01v8 w=4.5 l=0.15
.ends st6
