* 74HC1G14-class Schmitt-trigger inverter at 2-6 V: a behavioural macro-model for BEAM Nv neurons.
* hwsim-cell: kind=schmitt subckt=hc1g14 in=A out=Y supply=VCC ground=GND models=none
*
* No vendor SPICE model of the 74HC14 / 74HC1G14 was available to hwsim (vendors publish IBIS
* models), so this is a documented behavioural model written for hwsim from datasheet values:
* - thresholds: NXP 74HC1G14 product data sheet (Rev. 6, 2012), Table 7, typical values at
*   25 C: VT+ = 2.36 V / 3.12 V and VT- = 1.53 V / 2.08 V at VCC = 4.5 V / 6.0 V. Both scale with
*   VCC within 1 %: VT+ = 0.522 VCC, VT- = 0.343 VCC (2.61 V and 1.71 V at 5 V);
* - input capacitance CI = 1.5 pF (same table); input clamp diodes to both rails (every HC input
*   has them; modelled as plain silicon diodes);
* - output: VOH = 4.32 V at -2 mA and VOL = 0.15 V at 2 mA, VCC = 4.5 V (same table), i.e. about
*   90 ohm up and 75 ohm down;
* - propagation delay about 7 ns at 5 V (onsemi MC74HC1G14 data sheet, tPD typ): a 5 ns state
*   filter plus the output RC;
* - supply: quiescent current 1 uA (onsemi MC74HC1G14: ICC <= 1 uA at 25 C) as a 5 Mohm leak at
*   5 V; dynamic power through an internal capacitance CPD = 10 pF switched between the rails with
*   the output (CPD of onsemi's single-gate HC parts, e.g. MC74HC1GU04; NXP's 74HC1G14 value was
*   not at hand), so each output transition pair draws CPD VCC^2 from the supply besides the load.
* Licence: written for hwsim (same licence as the repository); the numbers are datasheet facts.
* Self-contained (behavioural sources and inline .model cards): use with `--models none`.
*
* Ports: A (input), Y (output), VCC, GND.
.subckt hc1g14 A Y VCC GND
Cin A GND 1.5p
Dlo GND A hc_esd
Dhi A VCC hc_esd
.model hc_esd D(is=1e-15 n=1 rs=20)
* hysteretic decision: s -> 1 once A > VT+ (s = 0), back to 0 once A < VT- (s = 1)
Bdec sn GND V = 0.5 * (1 + tanh(200 * (v(A, GND) - (0.522 - 0.179 * v(s, GND)) * v(VCC, GND))))
Rs sn s 1k
Cs s GND 5p
* sharpened control of the output and CPD switches
Bq q GND V = 0.5 * (1 + tanh(30 * (v(s, GND) - 0.5)))
Bup VCC Y I = (1 / 90) * (1 - v(q, GND)) * v(VCC, Y)
Bdn Y GND I = (1 / 75) * v(q, GND) * v(Y, GND)
Bpu VCC p I = (1 / 90) * (1 - v(q, GND)) * v(VCC, p)
Bpd p GND I = (1 / 75) * v(q, GND) * v(p, GND)
Cpd p GND 10p
Rq VCC GND 5meg
.ends hc1g14
