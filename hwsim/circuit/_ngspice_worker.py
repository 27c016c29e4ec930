"""Child process for the PySpice shared-library backend (``python -m hwsim.circuit._ngspice_worker DIR``).

Runs ``DIR/deck.cir`` in ngspice's shared library through PySpice and writes ``DIR/vectors.npz``
(names in raw-file form: ``time``, ``v(node)``, ``i(source)``), ``DIR/ngspice.log`` (everything
ngspice printed) and ``DIR/meta.json`` (versions). It never raises on ngspice messages: PySpice
1.5 treats any stderr line as an error (upstream issues #379, #399), so the parent classifies the
log itself. Running in a child process gives each run a fresh ngspice instance and lets the parent
kill a hung run.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np


def _vector_name(name: str, is_voltage: bool) -> str:
    low = name.lower()
    if low.endswith("#branch"):
        return f"i({low[:-7]})"
    if is_voltage and not low.startswith("v(") and low != "time":
        return f"v({low})"
    return low


def main(run_dir: str) -> int:
    folder = Path(run_dir)
    log_file = open(folder / "ngspice.log", "w", buffering=1)  # line-buffered: kept if we are killed

    def log(line: str) -> None:
        log_file.write(line.rstrip("\n") + "\n")

    handler = logging.Handler()
    handler.emit = lambda record: log(f"pyspice {record.levelname.lower()}: {record.getMessage()}")
    logging.getLogger("PySpice").addHandler(handler)
    logging.getLogger("PySpice").setLevel(logging.WARNING)
    logging.getLogger("PySpice").propagate = False

    import PySpice
    from PySpice.Spice.NgSpice.Shared import NgSpiceShared

    class _Collecting(NgSpiceShared):
        def send_char(self, message, ngspice_id):
            prefix, _, content = message.partition(" ")
            log(content if prefix in ("stdout", "stderr") else message)
            return 0

    meta = {"pyspice_version": PySpice.__version__, "ngspice_version": "", "status": "started"}
    try:
        ngspice = _Collecting.new_instance()
        meta["ngspice_version"] = f"ngspice-{ngspice.ngspice_version}"
        for command in ("set num_threads=1", "set ngbehavior=hsa", "set ng_nomodcheck"):
            ngspice._ngspice_shared.ngSpice_Command(command.encode())
        circuit = (folder / "deck.cir").read_text()
        try:
            ngspice.load_circuit(circuit)
        except Exception as exc:  # PySpice raises on any message; ngspice decides below
            log(f"pyspice: load_circuit raised {type(exc).__name__}: {exc}")
        ngspice._ngspice_shared.ngSpice_Command(b"run")
        plot_name = ngspice.last_plot
        vectors = {}
        if plot_name != "const":
            voltage = ngspice.simulation_type.voltage
            for name, vec in ngspice.plot(None, plot_name).items():
                vectors[_vector_name(name, vec._type == voltage)] = vec._data
        np.savez(folder / "vectors.npz", **vectors)
        meta["status"] = "done"
        meta["plot"] = plot_name
    except Exception as exc:  # reported to the parent through meta.json and the log
        meta["status"] = "crashed"
        log(f"hwsim worker: {type(exc).__name__}: {exc}")
    log_file.close()
    (folder / "meta.json").write_text(json.dumps(meta))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
