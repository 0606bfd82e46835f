"""Package attributes imported on first use (PEP 562), so importing a package stays cheap.

>>> __getattr__, __dir__ = lazy_exports(__name__, {"FeedforwardNetwork": "models"})  # doctest: +SKIP

``from dlhw.nets import NetConfig`` then imports ``dlhw.nets.config`` only, not torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], object],
                                                                   Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps each public name to its submodule."""

    def __getattr__(name: str) -> object:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{names[name]}"), name)

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__
