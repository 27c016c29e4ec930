* hwsim cell: inverting CMOS Schmitt trigger, 6-transistor core + two-inverter output buffer.
* hwsim-cell: kind=schmitt subckt=schmitt_inv in=x out=o supply=vdd ground=vss
*
* Core (input x, core output y):
*   pull-up stack   P1 (vdd -> pm, gate x), P2 (pm -> y, gate x); feedback P3 (pm -> vss, gate y)
*   pull-down stack N1 (vss -> nm, gate x), N2 (nm -> y, gate x); feedback N3 (nm -> vdd, gate y)
* VT+ (input rising) rises with N3 against N1; VT- (input falling) falls with P3 against P1.
* A long, weak P1 pulls VT- down to about 0.2 VDD for a differentiating neuron.
* Buffer: y -> yb -> o (two inverters, so the cell inverts: o = NOT x with hysteresis).
* Device names nfet/pfet come from a device library (devices/*.lib.sp); W, L in um.
* Sizes are .params so benches and hwsim can override them.
.param sch_wp1=0.42 sch_lp1=16
.param sch_wp2=1 sch_lp2=0.15
.param sch_wp3=4 sch_lp3=0.15
.param sch_wn1=1 sch_ln1=0.15
.param sch_wn2=1 sch_ln2=0.15
.param sch_wn3=0.42 sch_ln3=1
.param buf_wn=0.42 buf_wp=1 buf_l=0.15

.subckt schmitt_inv x o vdd vss
Xp1 pm x vdd vdd pfet w={sch_wp1} l={sch_lp1}
Xp2 y x pm vdd pfet w={sch_wp2} l={sch_lp2}
Xp3 vss y pm vdd pfet w={sch_wp3} l={sch_lp3}
Xn1 nm x vss vss nfet w={sch_wn1} l={sch_ln1}
Xn2 y x nm vss nfet w={sch_wn2} l={sch_ln2}
Xn3 vdd y nm vss nfet w={sch_wn3} l={sch_ln3}
Xbp1 yb y vdd vdd pfet w={buf_wp} l={buf_l}
Xbn1 yb y vss vss nfet w={buf_wn} l={buf_l}
Xbp2 o yb vdd vdd pfet w={buf_wp} l={buf_l}
Xbn2 o yb vss vss nfet w={buf_wn} l={buf_l}
.ends schmitt_inv
