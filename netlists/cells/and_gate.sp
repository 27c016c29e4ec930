* hwsim cell: static CMOS AND gates (NAND + inverter) for shared neurons under the gate rule.
*
* A neuron with several predecessors (a neuron shared by rings) gets one of these in front of
* its coupling capacitor: the predecessors' outputs are active low (VDD at rest, 0 while firing),
* so their AND falls when any predecessor fires and rises when the last one returns to rest.
* The neuron then sees one full-swing input edge, as a ring neuron does, instead of the
* capacitive rule's half steps that never reach VT+ alone (science.md).
*
*   and2: NAND2 (2 series NMOS, 2 parallel PMOS) + inverter:  6 transistors
*   and3: NAND3 + inverter:                                   8 transistors
*   and4: NAND4 + inverter:                                  10 transistors
* Ports: inputs a b [c d], output y, vdd, vss. Device names nfet/pfet come from a device library
* (devices/*.lib.sp); W, L in um. Series NMOS are widened by the stack height; the output
* inverter drives the 1 pF coupling capacitor (PMOS 2 um, NMOS 1 um: edges of a few ns against
* tau ~ 1 us, so the behavioural gate rule needs no gate delay).
*
* Known hazard (issue 16 notes): an input fall that reaches a neuron while it is finishing its
* return to rest (x at VT-) couples x's drop through the built-in Schmitt's large 16 um P1 into
* its node pm (to about -7 V in ngspice) and flips the trigger back for a few ns: the successors
* fire twice and extra pulses are born. The behavioural rule has no such glitch. It shows where
* such coincidences are systematic (alternating orientation, locked states, the kick alignment),
* not in the 2 x 2 uniform lattice. A weak, slow gate fall (NMOS 0.42/16) removed one glitch but
* not the others, and changed the ring period by 4 % (a smaller input swing at the next rise), so
* it is not used; the fix belongs in the Schmitt cell (a pm keeper) with its own card.
.param and_wn=0.42 and_wp=0.84 and_l=0.15
.param and_out_wn=1 and_out_wp=2

.subckt and2 a b y vdd vss
Xpa nd a vdd vdd pfet w={and_wp} l={and_l}
Xpb nd b vdd vdd pfet w={and_wp} l={and_l}
Xna nd a m1 vss nfet w={2*and_wn} l={and_l}
Xnb m1 b vss vss nfet w={2*and_wn} l={and_l}
Xop y nd vdd vdd pfet w={and_out_wp} l={and_l}
Xon y nd vss vss nfet w={and_out_wn} l={and_l}
.ends and2

.subckt and3 a b c y vdd vss
Xpa nd a vdd vdd pfet w={and_wp} l={and_l}
Xpb nd b vdd vdd pfet w={and_wp} l={and_l}
Xpc nd c vdd vdd pfet w={and_wp} l={and_l}
Xna nd a m1 vss nfet w={3*and_wn} l={and_l}
Xnb m1 b m2 vss nfet w={3*and_wn} l={and_l}
Xnc m2 c vss vss nfet w={3*and_wn} l={and_l}
Xop y nd vdd vdd pfet w={and_out_wp} l={and_l}
Xon y nd vss vss nfet w={and_out_wn} l={and_l}
.ends and3

.subckt and4 a b c d y vdd vss
Xpa nd a vdd vdd pfet w={and_wp} l={and_l}
Xpb nd b vdd vdd pfet w={and_wp} l={and_l}
Xpc nd c vdd vdd pfet w={and_wp} l={and_l}
Xpd nd d vdd vdd pfet w={and_wp} l={and_l}
Xna nd a m1 vss nfet w={4*and_wn} l={and_l}
Xnb m1 b m2 vss nfet w={4*and_wn} l={and_l}
Xnc m2 c m3 vss nfet w={4*and_wn} l={and_l}
Xnd m3 d vss vss nfet w={4*and_wn} l={and_l}
Xop y nd vdd vdd pfet w={and_out_wp} l={and_l}
Xon y nd vss vss nfet w={and_out_wn} l={and_l}
.ends and4
