"""Build hook: ship the repository's data folders inside the wheel.

``netlists/``, ``models/`` and ``calibration/`` stay at the top of the repository (the layout the
user fixed); a built wheel carries copies under ``hwsim/_data/``, where
:func:`hwsim.files.data_dir` finds them through :mod:`importlib.resources`. Links (such as the
``netlists/devices/sky130_fd_pr`` link into the PDK made by ``hwsim pdk link``) are not copied.
Everything else is in pyproject.toml.
"""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = ("netlists", "models", "calibration")
SUFFIXES = (".sp", ".json", ".toml", ".md")


class BuildWithData(build_py):
    """``build_py`` that also copies the data folders (regular files only) into the package."""

    def run(self):
        super().run()
        for name in DATA:
            target = os.path.join(self.build_lib, "hwsim", "_data", name)
            shutil.rmtree(target, ignore_errors=True)
            for folder, dirs, files in os.walk(name):
                dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
                for file in files:
                    source = os.path.join(folder, file)
                    if file.endswith(SUFFIXES) and not os.path.islink(source):
                        dest = os.path.join(self.build_lib, "hwsim", "_data", source)
                        os.makedirs(os.path.dirname(dest), exist_ok=True)
                        shutil.copyfile(source, dest)


setup(cmdclass={"build_py": BuildWithData})
