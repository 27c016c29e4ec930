* hwsim bench: hysteresis of the Schmitt inverter (VT+ and VT-).
* A slow triangle on the input x (0 -> VDD -> 0 over 2*t_ramp) is a quasi-static DC sweep in both
* directions; a transient triangle is used instead of `.dc` because a `.dc` sweep follows only one
* branch of the hysteresis per direction and was unreliable with several instances. VT- depends
* on how fast x falls (0.43 V at 0.001 V/us, 0.30 V at 1 V/us in one sky130 design): set t_ramp
* to the slew the ring sees. VT+ = x where o falls through VDD/2, VT- = x where o rises through it.
.lib "../devices/sky130.lib.sp" tt
.include "../cells/schmitt.sp"
.param vdd=1.8 t_ramp=20u t_step=5n
.temp 27
Vdd vdd 0 {vdd}
Vin x 0 pwl(0 0 {t_ramp} {vdd} {2*t_ramp} 0)
Xs x o vdd 0 schmitt_inv
.save v(x) v(o) i(vdd)
.options method=gear
.tran {t_step} {2*t_ramp} 0 {t_step}
.end
