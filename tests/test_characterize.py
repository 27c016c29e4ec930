"""Characterisation on the generic model: the ring period law and the energy bookkeeping."""

import numpy as np
import pytest

from hwsim.circuit.characterize import Conditions
from hwsim.errors import InputError

from tolerances import PERIOD_LAW_R2, PERIOD_LAW_RESID_REL

pytestmark = pytest.mark.ngspice


def test_ring_period_grows_linearly_with_n(generic_char):
    law = generic_char.period_law
    rings = generic_char.rings
    assert [r.n for r in rings] == [3, 4, 5, 6, 7, 8]
    print(f"\ngeneric tt period law: T = {law.slope_s * 1e6:.5f} us * N + {law.intercept_s * 1e9:.3f} ns "
          f"(slope +- {law.slope_err_s * 1e9:.3f} ns, R^2 = {law.r_squared:.8f})")
    for r in rings:
        print(f"  N={r.n}: period {r.period_s * 1e6:.4f} us, pulses {r.pulses:.3f}, "
              f"E/period {r.energy_per_period_j * 1e12:.2f} pJ, E/event {r.energy_per_event_j * 1e12:.3f} pJ")
    assert law.r_squared > PERIOD_LAW_R2
    for r in rings:
        assert r.sustained and r.n_periods >= 20 and round(r.pulses) == 1
        assert r.period_s == pytest.approx(law.slope_s * r.n + law.intercept_s, rel=PERIOD_LAW_RESID_REL)
    # one pulse hops once per neuron: the slope is the hop time, i.e. the firing width
    widths = np.array([r.pulse_width_s for r in rings])
    assert law.slope_s == pytest.approx(np.median(widths), rel=0.01)


def test_energy_bookkeeping_is_consistent(generic_char):
    for r in generic_char.rings:
        # N firing events per period of neuron 0 (one pulse), power = energy / time
        assert r.energy_per_event_j == pytest.approx(r.energy_per_period_j / r.n, rel=0.01)
        assert r.power_w == pytest.approx(r.energy_per_period_j / r.period_s, rel=0.01)
    table = generic_char.ring_table()
    assert list(table["n"]) == [3, 4, 5, 6, 7, 8] and "cell_vt_plus_v" in table and "cond_corner" in table


@pytest.mark.parametrize("kwargs,field", [
    (dict(library="tsmc"), "library"), (dict(corner="xx"), "corner"), (dict(vdd_v=12.0), "vdd_v"),
    (dict(temp_c=400.0), "temp_c"), (dict(r_ohm=-1.0), "r_ohm"), (dict(c_f=float("nan")), "c_f"),
    (dict(timeout_s=0.0), "timeout_s"),
])
def test_bad_conditions_name_the_field(kwargs, field):
    with pytest.raises(InputError, match=f"^{field}:"):
        Conditions(**kwargs)
