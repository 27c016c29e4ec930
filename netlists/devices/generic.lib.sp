* hwsim device library: generic 1.8 V CMOS, SPICE level-1 MOSFETs (fast, not a real process).
*
* Same interface as sky130.lib.sp: sections tt ff ss fs sf define subcircuits
*   Xn d g s b nfet w=<um> l=<um>   and   Xp d g s b pfet w=<um> l=<um>.
* Corners move |VTO| by 50 mV and KP by about 15 % (f = fast, s = slow; first letter NMOS).
* Gate capacitance comes from TOX (Meyer model) and overlap CGSO/CGDO; no junction areas.
* Short-channel drive is mimicked by an effective length L_eff = 0.15 um * (L/0.15 um)^0.3
* (drive falls more slowly than 1/L, as with velocity saturation), so the sky130 sizing of the
* Schmitt cell gives usable thresholds here too.
* Meant for quick runs, long rings and tests; calibrate against sky130 for real numbers.

.lib tt
.model nmos_gen nmos level=1 vto=0.45 kp=280u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10 cgbo=1e-10
.model pmos_gen pmos level=1 vto=-0.45 kp=70u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10 cgbo=1e-10
.subckt nfet d g s b w=1 l=0.15
M0 d g s b nmos_gen w={w*1e-6} l={0.15e-6*pwr(l/0.15, 0.3)}
.ends nfet
.subckt pfet d g s b w=1 l=0.15
M0 d g s b pmos_gen w={w*1e-6} l={0.15e-6*pwr(l/0.15, 0.3)}
.ends pfet
.endl tt

.lib ff
.model nmos_gen nmos level=1 vto=0.4 kp=320u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10 cgbo=1e-10
.model pmos_gen pmos level=1 vto=-0.4 kp=80u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10 cgbo=1e-10
.subckt nfet d g s b w=1 l=0.15
M0 d g s b nmos_gen w={w*1e-6} l={0.15e-6*pwr(l/0.15, 0.3)}
.ends nfet
.subckt pfet d g s b w=1 l=0.15
M0 d g s b pmos_gen w={w*1e-6} l={0.15e-6*pwr(l/0.15, 0.3)}
.ends pfet
.endl ff

.lib ss
.model nmos_gen nmos level=1 vto=0.5 kp=240u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10 cgbo=1e-10
.model pmos_gen pmos level=1 vto=-0.5 kp=60u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10 cgbo=1e-10
.subckt nfet d g s b w=1 l=0.15
M0 d g s b nmos_gen w={w*1e-6} l={0.15e-6*pwr(l/0.15, 0.3)}
.ends nfet
.subckt pfet d g s b w=1 l=0.15
M0 d g s b pmos_gen w={w*1e-6} l={0.15e-6*pwr(l/0.15, 0.3)}
.ends pfet
.endl ss

.lib fs
.model nmos_gen nmos level=1 vto=0.4 kp=320u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10 cgbo=1e-10
.model pmos_gen pmos level=1 vto=-0.5 kp=60u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10 cgbo=1e-10
.subckt nfet d g s b w=1 l=0.15
M0 d g s b nmos_gen w={w*1e-6} l={0.15e-6*pwr(l/0.15, 0.3)}
.ends nfet
.subckt pfet d g s b w=1 l=0.15
M0 d g s b pmos_gen w={w*1e-6} l={0.15e-6*pwr(l/0.15, 0.3)}
.ends pfet
.endl fs

.lib sf
.model nmos_gen nmos level=1 vto=0.5 kp=240u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10 cgbo=1e-10
.model pmos_gen pmos level=1 vto=-0.4 kp=80u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10 cgbo=1e-10
.subckt nfet d g s b w=1 l=0.15
M0 d g s b nmos_gen w={w*1e-6} l={0.15e-6*pwr(l/0.15, 0.3)}
.ends nfet
.subckt pfet d g s b w=1 l=0.15
M0 d g s b pmos_gen w={w*1e-6} l={0.15e-6*pwr(l/0.15, 0.3)}
.ends pfet
.endl sf
