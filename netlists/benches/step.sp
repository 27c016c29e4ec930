* hwsim bench: step response of one differentiating neuron.
* The input u steps 0 -> u_amp (default VDD) at t_edge (rise time t_rise). The node x jumps by about
* VDD * C/(C + C_in) (C_in: the Schmitt input capacitance), the neuron fires (o falls), x decays
* with tau = R (C + C_in) and the neuron returns to rest when x falls below VT-.
* At t_edge + t_hold the input falls back to 0: x is pulled down to the clamp level.
* With u_amp below VT+ (C + C_in)/C the neuron does not fire: x decays on the rest branch.
.lib "../devices/sky130.lib.sp" tt
.include "../cells/schmitt.sp"
.include "../cells/nv_neuron.sp"
.param vdd=1.8 u_amp={vdd} t_edge=1u t_rise=1n t_hold=6u
.param t_stop=10u t_step=1n
.temp 27
Vdd vdd 0 {vdd}
Vu u 0 pwl(0 0 {t_edge} 0 {t_edge+t_rise} {u_amp} {t_edge+t_hold} {u_amp} {t_edge+t_hold+t_rise} 0)
X0 u x o vdd 0 nv_neuron
.save v(u) v(x) v(o) i(vdd)
.options method=gear
.tran {t_step} {t_stop} 0 {t_step}
.end
