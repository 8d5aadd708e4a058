"""A package's face whose names load on first use (PEP 562), as ``feeds`` does.

A publish that finds nothing changed answers from its receipt: it must not
pay for loading the build, the site and every library behind them. So the
faces of those stages name each public name and the module it lives in, and
a module loads when one of its names is first used. The import graph is the
same (every import stands at the top of its module); only the moment differs.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any, Callable


def lazy_face(package: str, where: dict[str, tuple[str, ...]]) -> tuple[Callable[[str], Any], Callable[[], list]]:
    """``__getattr__`` and ``__dir__`` for the package named ``package``:
    ``where`` maps each submodule to the public names it holds."""
    home = {name: module for module, names in where.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{home[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(home)

    return __getattr__, __dir__
