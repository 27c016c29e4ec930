"""An AST check of hwsim's layer table (used by tests/test_layers.py).

Every ``import`` and ``from ... import`` in every module is read, including the lazy ones inside
functions, so a heavy import moved into a function cannot hide a wrong-way arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

#: Layers from the top down: a module may import its own layer, any layer below it and the base.
LAYERS = ("app", "checks", "analysis", "lattice", "model", "circuit")
#: Base modules at the package top: anyone may import them; they import only each other.
BASE = ("errors", "units", "files", "tomlcheck", "interrupt")
#: Names a layer may take from the package root itself (``from hwsim import __version__``).
ROOT_NAMES = ("__version__",)


def _module_name(path: Path, package_dir: Path) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _rank(module: str) -> tuple[str, int] | None:
    """(kind, rank) of an hwsim module: layers rank by position (0 = top), base modules rank
    below every layer, the package root and ``__main__`` above them all (``None``)."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] == "__main__":
        return None
    if parts[1] in LAYERS:
        return "layer", LAYERS.index(parts[1])
    if parts[1] in BASE:
        return "base", len(LAYERS)
    return "unknown", -1


def _imports(tree: ast.AST, module: str, is_package: bool):
    """(line, imported module, names) of every hwsim import in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                name = ".".join([*base, name] if name else base)
            yield node.lineno, name, tuple(a.name for a in node.names)


def violations(package_dir: Path) -> list[str]:
    """Every import in ``package_dir`` (the ``hwsim`` folder) that breaks the layer table,
    as ``"file:line: importer -> imported (why)"``; empty when the layers hold."""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        module = _module_name(path, package_dir)
        here = _rank(module)
        if here is None:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, target, names in _imports(tree, module, path.name == "__init__.py"):
            if target != "hwsim" and not target.startswith("hwsim."):
                continue
            where = f"{path.relative_to(package_dir.parent)}:{line}: {module} -> {target}"
            if here[0] == "unknown":
                found.append(f"{where} (module {module} is in no layer; add its folder to the table)")
                continue
            if target == "hwsim":
                bad = [n for n in names if n not in ROOT_NAMES] or ([] if names else ["hwsim"])
                if bad:
                    found.append(f"{where} (takes {', '.join(bad)} from the package root: import it from "
                                 f"its layer instead)")
                continue
            there = _rank(target)
            if there is None or there[0] == "unknown":
                found.append(f"{where} (imported module is in no layer)")
            elif here[0] == "base" and there[0] != "base":
                found.append(f"{where} (a base module may import only base modules)")
            elif there[0] == "layer" and there[1] < here[1]:
                found.append(f"{where} (upward: {LAYERS[here[1]]} is below {LAYERS[there[1]]})")
    return found
