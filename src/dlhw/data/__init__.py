"""``dlhw.data``: the single way to get a data set.

>>> ds = load("fashion-mnist")          # doctest: +SKIP
>>> X, y = ds.train                      # X (50000, 784) float64, y (50000,) int64

Where files are looked for is described in :mod:`dlhw.data.locate`; downloads are in
:mod:`dlhw.data.fetch`.
"""

from __future__ import annotations

import os

import numpy as np

from dlhw.data import ames, emnist, fashion_mnist
from dlhw.data.ames import load_ames, prepare
from dlhw.data.dataset import Dataset
from dlhw.data.emnist import load_emnist_letters
from dlhw.data.fashion_mnist import load_fashion_mnist
from dlhw.data.pixels import PixelRows
from dlhw.errors import ConfigError, DataError

LOADERS = {
    "fashion-mnist": load_fashion_mnist,
    "emnist-letters": load_emnist_letters,
    "ames": load_ames,
}
NAMES = tuple(LOADERS)
PIXEL_SETS = ("fashion-mnist", "emnist-letters")  # image data: ``lazy=True`` keeps the pixels

_MODULES = {"fashion-mnist": fashion_mnist, "emnist-letters": emnist, "ames": ames}

__all__ = ["Dataset", "NAMES", "PixelRows", "find", "load", "prepare", "status"]


def find(name: str, data_dir: str | os.PathLike | None = None) -> str | None:
    """Where data set ``name`` would load from (a folder), or None if it is absent (no loading)."""
    from dlhw.data.locate import find_first

    if name not in LOADERS:
        raise ConfigError(f"unknown data set {name!r}; choose one of {', '.join(NAMES)}")
    found = find_first(name, data_dir, _MODULES[name].FILESETS)
    return None if found is None else str(found[0])


def fetch_hint(name: str) -> str:
    """The one-line fix for a missing data set."""
    return _MODULES[name].FIX


def load(name: str, *, data_dir: str | os.PathLike | None = None, bias: bool = False,
         dtype: np.dtype = np.float64, lazy: bool = False) -> Dataset:
    """Load data set ``name`` (one of :data:`NAMES`).

    Parameters
    ----------
    data_dir : folder searched first (then ``$DLHW_DATA_DIR``, the cache, system folders).
    bias : append a constant-1 feature column (the 2021-22 skeleton's convention).
    dtype : floating dtype of X (float64 by default; float32 halves memory).
    lazy : image data sets give each ``X`` as a :class:`dlhw.data.pixels.PixelRows` (8-bit
        codes; the same float values, made on first use); Ames, not images, ignores it.
    """
    if name not in LOADERS:
        raise ConfigError(f"unknown data set {name!r}; choose one of {', '.join(NAMES)}")
    if np.dtype(dtype).kind != "f":
        raise ConfigError(f"dtype must be a floating type (float32 or float64), got {np.dtype(dtype)}")
    if lazy and name in PIXEL_SETS:
        return LOADERS[name](data_dir, bias=bias, dtype=dtype, lazy=True)
    return LOADERS[name](data_dir, bias=bias, dtype=dtype)


def status(data_dir: str | os.PathLike | None = None) -> list[tuple[str, str]]:
    """``(name, where)`` for each data set: the source it loads from, or why it does not."""
    rows = []
    for name in NAMES:
        try:
            ds = load(name, data_dir=data_dir)  # float64, as load() gives
            rows.append((name, ds.describe()))
        except DataError as exc:
            rows.append((name, f"missing: {exc}"))
    return rows
