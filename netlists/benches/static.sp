* hwsim bench: static (leakage) supply current of one neuron at rest (u = 0, x = 0, o = VDD).
* Static power = -VDD * i(vdd) from the operating point.
.lib "../devices/sky130.lib.sp" tt
.include "../cells/schmitt.sp"
.include "../cells/nv_neuron.sp"
.param vdd=1.8
.temp 27
Vdd vdd 0 {vdd}
Vu u 0 0
X0 u x o vdd 0 nv_neuron
.op
.end
