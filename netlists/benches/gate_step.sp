* hwsim bench: step response of a shared neuron behind its AND gate (gate rule).
* The same input as step.sp, but it is a predecessor's output: it drives input a of an AND2 whose
* other input sits at VDD (the other predecessor at rest), and the AND output u drives the neuron.
* At t_edge the predecessor returns to rest (a rises), u rises after the gate delay and the neuron
* fires; at t_edge + t_hold it fires again (a falls) and u falls. Comparing the neuron's output
* edge with step.sp's gives the delay the gate adds; the gate has its own supply vddg, so the
* energy of its edges is measured apart from the neuron's.
.lib "../devices/sky130.lib.sp" tt
.include "../cells/schmitt.sp"
.include "../cells/nv_neuron.sp"
.include "../cells/and_gate.sp"
.param vdd=1.8 u_amp={vdd} t_edge=1u t_rise=1n t_hold=6u
.param t_stop=10u t_step=1n
.temp 27
Vdd vdd 0 {vdd}
Vddg vddg 0 {vdd}
Va a 0 pwl(0 0 {t_edge} 0 {t_edge+t_rise} {u_amp} {t_edge+t_hold} {u_amp} {t_edge+t_hold+t_rise} 0)
Xg a vddg u vddg 0 and2
X0 u x o vdd 0 nv_neuron
.save v(a) v(u) v(x) v(o) i(vdd) i(vddg)
.options method=gear
.tran {t_step} {t_stop} 0 {t_step}
.end
