* hwsim bench: a capacitor charged and discharged through switches (no transistors).
* The supply vdd charges C_load through R_sw while clk is high; a second switch, driven by the
* complementary clkb, discharges it to ground while clk is low. The supply delivers
* C_load * VDD^2 per cycle (half stored then dumped to ground, half dissipated in R_sw), independent of R_sw: the analytic check of the energy measurement.
.param vdd=1.8 c_load=1p r_sw=1k t_per=100n
.param t_stop=1u t_step=0.1n
Vdd vdd 0 {vdd}
Vclk clk 0 pulse(0 1 0 0.1n 0.1n {t_per/2-0.1n} {t_per})
Scharge vdd n clk 0 swmod
Vclkb clkb 0 pulse(1 0 0 0.1n 0.1n {t_per/2-0.1n} {t_per})
Sdis n 0 clkb 0 swmod
Rsw n c {r_sw}
Cload c 0 {c_load}
.model swmod sw vt=0.5 vh=0 ron=1m roff=1e12
.save v(c) v(clk) i(vdd)
.options method=gear reltol=1e-4
.tran {t_step} {t_stop} 0 {t_step}
.end
