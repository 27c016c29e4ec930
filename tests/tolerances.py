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

#: Schmitt input capacitance of the sky130 neuron estimated two ways: from tau = R (C + C_in) and
#: from the jump of x, C/(C + C_in). Both are ~40-50 fF, but tau sees the gate capacitance near
#: x = 0 (small signal) while the jump sees the charge shared over a full swing through the gate's
#: nonlinear C-V curve; they are allowed to differ by up to 50 %, which still tells a 45 fF input
#: from a missing (0 fF) or doubled one.
C_IN_ESTIMATES_REL = 0.5

#: A fresh SPICE result against the shipped sky130 tt card, calibrated from the same netlists
#: (tests/test_calibrate.py checks that the hashes match): ring periods to the card's calibration
#: tolerance (2 %), energies per ring period to 5 % (the hand-written ring5.sp runs 230 us from one
#: kick; the card's energies come from the generated ring at 25 periods: same circuit, different
#: window), static power to SPICE's reltol (1e-3: the same operating point).
CARD_PERIOD_REL = 0.02
CARD_RING_ENERGY_REL = 0.05
CARD_STATIC_REL = 1e-3

#: Thresholds measured by `hwsim characterize` on the generic model vs the shipped generic_tt card:
#: the card's check tolerance, 2 % of VDD (calibration/generic.toml [tolerance] threshold_vdd).
CARD_THRESHOLD_VDD = 0.02

#: sky130 mismatch: every Monte Carlo ring of 5 within 10 % of the nominal period. Measured sigma
#: is ~1 % (reports/example_sweep/mismatch), so 10 % is many sigma and still catches a broken
#: mismatch model (wrong section, 2x periods).
MISMATCH_PERIOD_REL = 0.10

#: Exact event engine (compiled, hwsim.lattice.compiled) vs the pure-Python exact engine and the ring
#: period law: the same formulas in double precision, evaluated in a different order (heap ties,
#: exp/log of accumulated times); the issue asks for 1e-9 relative.
EXACT_ENGINE_REL = 1e-9

#: Robustness check, supply energy per firing at VDD -10 % over nominal. Dynamic energy scales
#: as C VDD^2 (0.81); crowbar current in the slow Schmitt transitions falls faster than VDD^2
#: (measured +10 %: 1.29 against 1.21 for VDD^2), so the ratio sits at or a little below 0.81.
#: Bounds 0.65-0.90 catch a VDD override that was ignored (ratio 1) or applied twice (0.81 VDD: ~0.6).
ROBUST_ENERGY_RATIO_LOW_VDD = (0.65, 0.90)
