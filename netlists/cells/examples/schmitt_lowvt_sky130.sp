* hwsim's Schmitt-trigger inverter re-sized for shared neurons with capacitive inputs: VT+ ~ 0.4 VDD.
* hwsim-cell: kind=schmitt subckt=schmitt_lowvt in=x out=o supply=vdd ground=vss
*
* Issue 16, design 2. A neuron shared by two rings with one coupling capacitor per input gets
* C/(2C + C_in) x VDD ~ 0.48 VDD from one predecessor's edge: below the built-in cell's VT+
* (0.50 VDD), so it fires only when both predecessors' edges coincide and shared lattices fall
* silent. This cell is the built-in topology (netlists/cells/schmitt.sp: 6-transistor core with a
* long weak P1 for a low VT-, two-inverter buffer) with the VT+ pair re-sized by the first-order
* equation (W/L)_N1 / (W/L)_N3 = ((VDD - VT+) / (VT+ - VTN))^2: N1, N2 2/0.15 (built-in 1/0.15) and
* the feedback N3 0.42/4 (built-in 0.42/1), a ratio of 127 for VT+ ~ 0.6-0.7 V with body effect.
* VT- (set by P1 against P3) is unchanged. Written for hwsim (same licence as the repository);
* sky130 device names, loaded by hwsim's sky130 device library (`--library sky130`).
*
* Ports: x (Schmitt input), o (inverted output), vdd, vss.
.subckt schmitt_lowvt x o vdd vss
XP1 pm x vdd vdd sky130_fd_pr__pfet_01v8 w=0.42 l=16
XP2 y x pm vdd sky130_fd_pr__pfet_01v8 w=1 l=0.15
XP3 vss y pm vdd sky130_fd_pr__pfet_01v8 w=4 l=0.15
XN1 nm x vss vss sky130_fd_pr__nfet_01v8 w=2 l=0.15
XN2 y x nm vss sky130_fd_pr__nfet_01v8 w=2 l=0.15
XN3 vdd y nm vss sky130_fd_pr__nfet_01v8 w=0.42 l=4
XBP1 yb y vdd vdd sky130_fd_pr__pfet_01v8 w=1 l=0.15
XBN1 yb y vss vss sky130_fd_pr__nfet_01v8 w=0.42 l=0.15
XBP2 o yb vdd vdd sky130_fd_pr__pfet_01v8 w=1 l=0.15
XBN2 o yb vss vss sky130_fd_pr__nfet_01v8 w=0.42 l=0.15
.ends schmitt_lowvt
