* hwsim device names mapped onto the real sky130 1.8 V core devices (W, L in um).
.subckt nfet d g s b w=1 l=0.15
X0 d g s b sky130_fd_pr__nfet_01v8 w={w} l={l}
.ends nfet
.subckt pfet d g s b w=1 l=0.15
X0 d g s b sky130_fd_pr__pfet_01v8 w={w} l={l}
.ends pfet
