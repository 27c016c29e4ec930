* hwsim's Schmitt-trigger inverter with a keeper on its core output, for alternating-orientation lattices.
* hwsim-cell: kind=schmitt subckt=schmitt_keeper in=x out=o supply=vdd ground=vss
*
* Issue 16, the alternating-orientation hazard. The built-in cell (netlists/cells/schmitt.sp) ends a
* firing slowly: x decays through VT-, and the long, weak P1 (0.42/16) pulls the core output y up
* through P2 over tens of ns, so y lingers near the buffer's threshold. An input fall arriving then
* (frequent in alternating lattices, where neighbouring rings lock in anti-phase) kicks y back down
* through the gate capacitances of P2 and N2, and the buffered output o glitches low for a few ns:
* the successors fire twice. This cell is the built-in topology and sizes with two changes:
* - a keeper: a PMOS (1/0.15, as strong as P2) from vdd to y, gated by the first buffer stage's
*   output yb. Once y has risen past the buffer's threshold, yb falls and the keeper pulls y to vdd
*   within a few ns, so the window in which a kick can flip y back closes; while the neuron fires
*   (y low, yb high) the keeper is off, and the N1/N2 stack must overpower it when a firing
*   starts: VT+ rises from 0.90 V to 1.37 V at tt (the card has it; a full input step of ~1.75 V
*   still crosses it, with less margin at low VDD). A weaker keeper (0.42/1, VT+ 0.95 V) left one glitch
*   per ~30 us, when a predecessor fired within ~1 ns of the neuron's own return to rest;
* - P1 drawn as 8 series segments of 0.42/2 (the same 0.42/16 channel). A compact model charges a
*   transistor's channel instantly (quasi-static), which for one 16 um channel switched in 1 ns
*   draws the whole channel charge through pm: ngspice then shows pm at -9 V, which the channel's
*   own transit time (~L^2 / (mu V), tens of ns) does not allow. Segments spread the charge along
*   the channel and keep pm within the rails (a standard way to model a long channel's
*   non-quasi-static behaviour with a quasi-static model).
* In a 2 x 2 alternating gate-rule lattice (sky130 tt, 40 us) the built-in cell shows 175 output
* pulses shorter than 100 ns, a 0.42/1 keeper alone 5, with the segments 1, this cell none.
* Written for hwsim (same licence as the repository); sky130 device names, loaded by hwsim's sky130
* device library (`--library sky130`).
*
* Ports: x (Schmitt input), o (inverted output), vdd, vss.
.subckt schmitt_keeper x o vdd vss
XP1A p1a x vdd vdd sky130_fd_pr__pfet_01v8 w=0.42 l=2
XP1B p1b x p1a vdd sky130_fd_pr__pfet_01v8 w=0.42 l=2
XP1C p1c x p1b vdd sky130_fd_pr__pfet_01v8 w=0.42 l=2
XP1D p1d x p1c vdd sky130_fd_pr__pfet_01v8 w=0.42 l=2
XP1E p1e x p1d vdd sky130_fd_pr__pfet_01v8 w=0.42 l=2
XP1F p1f x p1e vdd sky130_fd_pr__pfet_01v8 w=0.42 l=2
XP1G p1g x p1f vdd sky130_fd_pr__pfet_01v8 w=0.42 l=2
XP1H pm x p1g vdd sky130_fd_pr__pfet_01v8 w=0.42 l=2
XP2 y x pm vdd sky130_fd_pr__pfet_01v8 w=1 l=0.15
XP3 vss y pm vdd sky130_fd_pr__pfet_01v8 w=4 l=0.15
XN1 nm x vss vss sky130_fd_pr__nfet_01v8 w=1 l=0.15
XN2 y x nm vss sky130_fd_pr__nfet_01v8 w=1 l=0.15
XN3 vdd y nm vss sky130_fd_pr__nfet_01v8 w=0.42 l=1
XKEEP y yb vdd vdd sky130_fd_pr__pfet_01v8 w=1 l=0.15
XBP1 yb y vdd vdd sky130_fd_pr__pfet_01v8 w=1 l=0.15
XBN1 yb y vss vss sky130_fd_pr__nfet_01v8 w=0.42 l=0.15
XBP2 o yb vdd vdd sky130_fd_pr__pfet_01v8 w=1 l=0.15
XBN2 o yb vss vss sky130_fd_pr__nfet_01v8 w=0.42 l=0.15
.ends schmitt_keeper
