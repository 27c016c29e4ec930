* hwsim bench: the bare RC differentiator (no transistors), the analytic reference.
* u ramps 0 -> v_step over t_rise starting at t_edge; afterwards x(t) = x(t_edge + t_rise)
* * exp(-(t - t_edge - t_rise)/(R C)) exactly, with R C = rc_r * rc_c.
.param v_step=1.8 rc_r=1meg rc_c=1p t_edge=1u t_rise=1n
.param t_stop=8u t_step=2n
Vu u 0 pwl(0 0 {t_edge} 0 {t_edge+t_rise} {v_step})
C1 u x {rc_c}
R1 x 0 {rc_r}
.save v(u) v(x)
.options method=gear reltol=1e-4
.tran {t_step} {t_stop} 0 {t_step}
.end
