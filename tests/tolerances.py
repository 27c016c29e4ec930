"""Every numeric tolerance the tests use, with its reason, in one place."""

#: RC step: tau from a least-squares exponential fit vs R*C. The bench sets reltol=1e-4 and a
#: 2 ns max step on a 1 us decay; the issue asks for 1 %.
RC_TAU_REL = 0.01

#: Capacitor charge/discharge: supply energy per cycle vs C*VDD^2. The switch has a finite 1 mohm
#: on-resistance and 1e12 ohm off-resistance; each half period is 50 RC, so the capacitor settles to
#: 1e-21 of VDD; trapezoidal integration at 0.1 ns of a 1 ns exponential is good to ~0.1 %.
CV2_REL = 0.01

#: Shared (PySpice) vs batch (ngspice -b) backends run the same ngspice-39 on the same deck; they
#: must agree to floating-point noise on measured periods.
BACKEND_PERIOD_REL = 1e-6

#: Period law: period = slope*N + intercept on the generic model. A pulse hops once per neuron,
#: so the law is linear by construction; R^2 must exceed 0.9999 and every ring lies within 0.5 %
#: of the line (SPICE reltol is 1e-3, the RC/200 max step moves periods by ~0.1 %).
PERIOD_LAW_R2 = 0.9999
PERIOD_LAW_RESID_REL = 0.005

#: Interpolated crossings of synthetic piecewise-linear/sine waveforms: linear interpolation is
#: exact on straight segments and second order on a sine sampled at 1000 points per period.
CROSSING_ABS_S = 1e-9

#: Behavioural vs SPICE energy per ring period (issue 6 asks for 10 %): no energy parameter is fitted;
#: the model is KCL coupling charge + crowbar from supply tables measured along x decays + edges + leakage.
RING_ENERGY_REL = 0.10

#: Behavioural vs SPICE supply energy of a 2 x 2 square lattice sharing neurons (capacitive rule),
#: from 2 RC after the kicks: the issue's 10 %. Model and SPICE fire the same neurons; event times
#: differ by up to ~0.3 us, so the window must not start while events are happening.
LATTICE_ENERGY_REL = 0.10
