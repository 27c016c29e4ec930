* hwsim cell: differentiating ("Nv") neuron.
* hwsim-cell: kind=neuron subckt=nv_neuron u=u x=x o=o supply=vdd ground=vss
*
*   u --||-- x --[schmitt_inv]-- o
*       C    |
*            R
*            |
*           vss
* The input u drives the series capacitor C; x is the Schmitt input, tied to vss through R,
* so x = RC * d(v_C)/dt: the neuron responds to changes of u. The Schmitt inverter fires
* (o falls) when x rises past VT+ and returns to rest (o rises) when x decays below VT-.
* nv_neuron adds an input clamp on x: a grounded-gate NMOS that conducts once x goes about
* one threshold below vss (without it a falling input drives x to about -VDD and every
* output fall sends a glitch round a ring). nv_neuron_noclamp omits it.
* Ports: u (input), x (Schmitt input, exposed for kicks, probes and extra coupling
* capacitors of multi-input neurons), o (output), vdd, vss.
* Needs schmitt.sp and a device library. nv_c in F, nv_r in ohm, clamp W/L in um.
.param nv_c=1p nv_r=1meg
.param clamp_w=1 clamp_l=0.15

.subckt nv_neuron u x o vdd vss
C1 u x {nv_c}
R1 x vss {nv_r}
Xclamp x vss vss vss nfet w={clamp_w} l={clamp_l}
Xs x o vdd vss schmitt_inv
.ends nv_neuron

.subckt nv_neuron_noclamp u x o vdd vss
C1 u x {nv_c}
R1 x vss {nv_r}
Xs x o vdd vss schmitt_inv
.ends nv_neuron_noclamp
